using System.Security.Claims;
using Provenance.Api.Access;
using Provenance.Api.Http;

namespace Provenance.Api.Tenancy;

/// <summary>
/// Before routing: <c>/t/{tenant}/log/...</c> is archive <c>tenant</c>'s public log, served by the same endpoints as the default
/// archive's <c>/log/...</c> (CONTRACTS.md "Tenants"), and <c>/log/...</c> is always the default archive's. The archive is remembered for <see cref="ArchiveMiddleware"/> and the path
/// becomes <c>/log/...</c> under the path base <c>/t/{tenant}</c>; an unknown or disabled archive is a 404 that says no more.
/// </summary>
public sealed class ArchivePathMiddleware(RequestDelegate next, Archives archives)
{
    public const string ItemKey = "provenance.archive-from-path";

    public async Task InvokeAsync(HttpContext http)
    {
        var path = http.Request.Path;
        if (!path.StartsWithSegments("/t", out var rest))
        {
            // /log/ is always the default archive's log, whoever asks.
            if (path.StartsWithSegments(PublicLogPrefix)) http.Items[ItemKey] = archives.Default;
            await next(http);
            return;
        }
        var value = rest.Value ?? "";
        var slash = value.IndexOf('/', 1);
        var id = slash < 0 ? value.TrimStart('/') : value[1..slash];
        var remainder = slash < 0 ? new PathString() : new PathString(value[slash..]);
        if (!remainder.StartsWithSegments(PublicLogPrefix) || await archives.FindAsync(id, http.RequestAborted) is not { } archive)
        {
            await Problems.Result(Problems.NotFound, "No such public log: public logs are at /log/ and /t/{archive}/log/.").ExecuteAsync(http);
            return;
        }
        http.Items[ItemKey] = archive;
        http.Request.PathBase = http.Request.PathBase.Add($"/t/{archive.Id}");
        http.Request.Path = remainder;
        await next(http);
    }

    const string PublicLogPrefix = "/log";
}

/// <summary>
/// After authentication: the request's archive, which every session (<see cref="ProvenanceTenantDetection"/>, <see cref="DefaultTenantSessions"/>)
/// and raw-SQL reader (<see cref="Archives.Current"/>) then works in. An archive key's request is in the key's archive; a public-log
/// path's request in the path's archive, and a key of another archive counts there as no key at all (so it reads only what is public);
/// everything else (the system key, anonymous pages) is in the default archive, where the authorization policy lets a principal without
/// an archive do nothing but what is anonymous.
/// </summary>
public sealed class ArchiveMiddleware(RequestDelegate next, Archives archives)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var tenant = http.User.FindFirst(ApiKeyAuthentication.TenantClaim)?.Value;
        Archive archive;
        if (http.Items[ArchivePathMiddleware.ItemKey] is Archive fromPath)
        {
            archive = fromPath;
            if (tenant is not null && tenant != archive.Id) http.User = new ClaimsPrincipal(new ClaimsIdentity());
        }
        else if (tenant is not null)
        {
            // Authentication found the archive enabled a moment ago; disabled since (on this node), the key no longer opens anything.
            if (await archives.FindAsync(tenant, http.RequestAborted) is not { } keyArchive)
            {
                await Problems.Result(Problems.Unauthenticated, "The key's archive is disabled.").ExecuteAsync(http);
                return;
            }
            archive = keyArchive;
        }
        else
        {
            archive = archives.Default;
        }
        http.Response.Headers["Provenance-Archive"] = archive.Id;
        using var scope = CurrentArchive.Enter(archive);
        await next(http);
    }
}
