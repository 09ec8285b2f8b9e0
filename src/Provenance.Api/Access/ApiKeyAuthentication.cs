using System.Security.Claims;
using System.Text.Encodings.Web;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Access;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c>: looks the key's hash up (cached briefly) in its archive's database and yields its principal,
/// roles and archive (<see cref="TenantClaim"/>). A key names its archive: <c>pvk_&lt;tenant&gt;.&lt;secret&gt;</c>, or no tenant for the default
/// archive's keys (<c>pvk_&lt;secret&gt;</c> and <c>PROVENANCE_ADMIN_KEY</c>), so the lookup never touches another archive's keys; the tenant is
/// part of the hashed key, so a key sent with another archive's prefix matches nothing. <c>PROVENANCE_SYSTEM_KEY</c> is the system
/// administrator: role <see cref="Roles.System"/> and no archive.
/// </summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IDocumentStore store,
    Archives archives,
    IOptions<ProvenanceOptions> provenance,
    IMemoryCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string KeyIdClaim = "key_id";
    /// <summary>The archive (tenant id) a key belongs to; the system key has none.</summary>
    public const string TenantClaim = "tenant";
    /// <summary>Revocation reaches other nodes within this time; on the revoking node it is immediate.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.Fail("Not a bearer token.");
        var secret = header["Bearer ".Length..].Trim();
        if (secret.Length is 0 or > 256) return AuthenticateResult.Fail("Malformed key.");

        var identity = SystemIdentity(secret, provenance.Value.SystemKey, SchemeName)
            ?? await IdentityForAsync(secret, store, archives, cache, SchemeName, Context.RequestAborted);
        return identity is null
            ? AuthenticateResult.Fail("Unknown or revoked key.")
            : AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>
    /// The key's principal, roles (admin holds all, every key reads) and archive, or null for an unknown or revoked key, or a key of an
    /// archive that does not exist or is disabled.
    /// </summary>
    public static async Task<ClaimsIdentity?> IdentityForAsync(string secret, IDocumentStore store, Archives archives, IMemoryCache cache,
        string scheme, CancellationToken ct)
    {
        if (await archives.FindAsync(ApiKey.TenantOf(secret), ct) is not { } archive) return null;
        var hash = ApiKey.Hash(secret);
        var key = await cache.GetOrCreateAsync(CacheKey(hash), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheFor;
            await using var session = store.QuerySession(archive.Id);
            return await session.Query<ApiKey>().FirstOrDefaultAsync(k => k.KeyHash == hash, ct);
        });
        return key is null || key.RevokedAt is not null ? null : IdentityOf(key, archive.Id, scheme);
    }

    public static ClaimsIdentity IdentityOf(ApiKey key, string tenant, string scheme)
    {
        var roles = key.Roles.Contains(Roles.Admin) ? Roles.All : key.Roles.Append(Roles.Reader).Distinct();
        return new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, key.Name), new Claim(KeyIdClaim, key.Id.ToString()), new Claim(TenantClaim, tenant),
                .. roles.Select(r => new Claim(ClaimTypes.Role, r))],
            scheme);
    }

    /// <summary>The system administrator's principal when <paramref name="secret"/> is <c>PROVENANCE_SYSTEM_KEY</c> (compared in fixed time).</summary>
    public static ClaimsIdentity? SystemIdentity(string secret, string? systemKey, string scheme)
    {
        if (systemKey is null) return null;
        var given = System.Text.Encoding.UTF8.GetBytes(secret);
        var expected = System.Text.Encoding.UTF8.GetBytes(systemKey);
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(given, expected)) return null;
        return new ClaimsIdentity([new Claim(ClaimTypes.Name, Roles.System), new Claim(KeyIdClaim, Roles.System), new Claim(ClaimTypes.Role, Roles.System)],
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
