using System.Security.Claims;
using System.Text.Encodings.Web;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Provenance.Api.Http;

namespace Provenance.Api.Access;

/// <summary><c>Authorization: Bearer &lt;key&gt;</c>: looks the key's hash up (cached briefly) and yields its principal and roles.</summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IQuerySession session,
    IMemoryCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string KeyIdClaim = "key_id";
    /// <summary>Revocation reaches other nodes within this time; on the revoking node it is immediate.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.Fail("Not a bearer token.");
        var secret = header["Bearer ".Length..].Trim();
        if (secret.Length is 0 or > 256) return AuthenticateResult.Fail("Malformed key.");

        var identity = await IdentityForAsync(secret, session, cache, SchemeName, Context.RequestAborted);
        return identity is null
            ? AuthenticateResult.Fail("Unknown or revoked key.")
            : AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>The key's principal and roles (admin holds all, every key reads), or null for an unknown or revoked key.</summary>
    public static async Task<ClaimsIdentity?> IdentityForAsync(string secret, IQuerySession session, IMemoryCache cache, string scheme,
        CancellationToken ct)
    {
        var hash = ApiKey.Hash(secret);
        var key = await cache.GetOrCreateAsync(CacheKey(hash), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheFor;
            return await session.Query<ApiKey>().FirstOrDefaultAsync(k => k.KeyHash == hash, ct);
        });
        return key is null || key.RevokedAt is not null ? null : IdentityOf(key, scheme);
    }

    public static ClaimsIdentity IdentityOf(ApiKey key, string scheme)
    {
        var roles = key.Roles.Contains(Roles.Admin) ? Roles.All : key.Roles.Append(Roles.Reader).Distinct();
        return new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, key.Name), new Claim(KeyIdClaim, key.Id.ToString()), .. roles.Select(r => new Claim(ClaimTypes.Role, r))],
            scheme);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return WriteProblem(Problems.Unauthenticated, "Send an API key as 'Authorization: Bearer <key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
        => WriteProblem(Problems.Forbidden, $"The key of '{Context.User.Identity?.Name}' does not have a role this request needs.");

    private Task WriteProblem(ProblemKind kind, string detail)
        => Problems.Result(kind, detail).ExecuteAsync(Context);

    public static string CacheKey(string hash) => "apikey:" + hash;
}
