using System.Globalization;
using System.Security.Claims;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Caching.Memory;
using Provenance.Api.Access;
using Provenance.Api.Http;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Web;

/// <summary>
/// Two ways in: API clients send <c>Authorization: Bearer</c>; people sign in once with their key and carry a cookie session.
/// A policy scheme picks bearer whenever the header is there, so API clients keep getting 401/403 problem+json, and pages get the
/// cookie (redirecting to sign-in). The cookie is honoured on the API only for safe methods (reading, downloading content):
/// a cookie never authorises an API write, so no cross-site form can make one.
/// </summary>
public static class WebAuthentication
{
    public const string PolicyScheme = "Provenance";
    public const string CookieScheme = "ProvenanceSession";
    public const string CookieName = "provenance_session";
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(8);
    public const string DefaultReturnUrl = "/documents";

    public static AuthenticationBuilder AddProvenanceAuthentication(this IServiceCollection services)
    {
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "provenance_csrf";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
            o.FormFieldName = "__csrf";
        });
        return services.AddAuthentication(PolicyScheme)
            .AddPolicyScheme(PolicyScheme, "API key or session", o => o.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
                o.Cookie.IsEssential = true;
                o.ExpireTimeSpan = SessionLifetime;
                o.SlidingExpiration = true;
                o.LoginPath = "/sign-in";
                o.AccessDeniedPath = "/forbidden";
                o.ReturnUrlParameter = "returnUrl";
                o.Events.OnRedirectToLogin = context => IsApi(context.Request)
                    ? Problems.Result(Problems.Unauthenticated, "Send an API key as 'Authorization: Bearer <key>'.").ExecuteAsync(context.HttpContext)
                    : Redirect(context);
                o.Events.OnRedirectToAccessDenied = context => IsApi(context.Request)
                    ? Problems.Result(Problems.Forbidden, $"The key of '{context.HttpContext.User.Identity?.Name}' does not have a role this request needs.")
                        .ExecuteAsync(context.HttpContext)
                    : Redirect(context);
                o.Events.OnValidatePrincipal = RevalidateAsync;
            });
    }

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    public static bool IsApi(HttpRequest request)
        => request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/health") || request.Path.StartsWithSegments("/openapi")
           || request.Path.StartsWithSegments("/docs");

    private static string SelectScheme(HttpContext context)
    {
        var request = context.Request;
        if (request.Headers.ContainsKey("Authorization")) return ApiKeyAuthentication.SchemeName;
        if (!IsApi(request)) return CookieScheme;
        var safe = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        return safe && request.Cookies.ContainsKey(CookieName) ? CookieScheme : ApiKeyAuthentication.SchemeName;
    }

    /// <summary>Every request re-reads the key (cached as briefly as the bearer scheme does): a revoked key ends its sessions.</summary>
    private static async Task RevalidateAsync(CookieValidatePrincipalContext context)
    {
        var keyId = context.Principal?.FindFirst(ApiKeyAuthentication.KeyIdClaim)?.Value;
        var tenant = context.Principal?.FindFirst(ApiKeyAuthentication.TenantClaim)?.Value;
        var services = context.HttpContext.RequestServices;
        // A session from before archives (no tenant claim), of a disabled archive, or of a revoked key ends here.
        if (!Guid.TryParse(keyId, out var id) || tenant is null
            || await services.GetRequiredService<Archives>().FindAsync(tenant, context.HttpContext.RequestAborted) is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
            return;
        }
        var cache = services.GetRequiredService<IMemoryCache>();
        var key = await cache.GetOrCreateAsync(CacheKey(tenant, id), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = ApiKeyAuthentication.CacheFor;
            await using var session = services.GetRequiredService<IDocumentStore>().QuerySession(tenant);
            return await session.LoadAsync<ApiKey>(id, context.HttpContext.RequestAborted);
        });
        if (key is null || key.RevokedAt is not null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
            return;
        }
        context.ReplacePrincipal(new ClaimsPrincipal(ApiKeyAuthentication.IdentityOf(key, tenant, CookieScheme)));
    }

    public static string CacheKey(string tenant, Guid keyId) => $"apikey-id:{tenant}:{keyId}";

    /// <summary>
    /// A normalized local path to return to after signing in, else the document list. Browsers strip tabs and newlines from a
    /// <c>Location</c> and may decode it once more, so the value is judged as sent and as decoded: no control character, whitespace or
    /// backslash anywhere, no <c>//</c> prefix, no dot segment; the value sent is also plain ASCII (a header can carry nothing else).
    /// </summary>
    public static string SafeReturnUrl(string? returnUrl)
    {
        if (string.IsNullOrEmpty(returnUrl) || returnUrl.Length > 2048 || !returnUrl.All(char.IsAscii)) return DefaultReturnUrl;
        var decoded = returnUrl;
        for (var round = 0; round < 4 && IsLocalPath(decoded); round++)
        {
            var next = Uri.UnescapeDataString(decoded);
            if (next == decoded) return WebAuthenticationPaths.IsSignIn(decoded) ? DefaultReturnUrl : returnUrl;
            decoded = next;
        }
        return DefaultReturnUrl;
    }

    private static bool IsLocalPath(string value)
    {
        if (value.Length == 0 || value[0] != '/' || (value.Length > 1 && value[1] is '/' or '\\')) return false;
        // Zero-width and bidirectional formatting characters (category Cf) hide what a link says as surely as whitespace does.
        if (value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == '\\' || char.GetUnicodeCategory(c) == UnicodeCategory.Format)) return false;
        var end = value.AsSpan().IndexOfAny('?', '#');
        return !value[..(end < 0 ? value.Length : end)].Split('/').Any(segment => segment is "." or "..");
    }
}

internal static class WebAuthenticationPaths
{
    public static bool IsSignIn(string path) => path.StartsWith("/sign-in", StringComparison.OrdinalIgnoreCase);
}
