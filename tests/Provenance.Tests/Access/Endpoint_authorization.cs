using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Access;

/// <summary>
/// Generated from the app's own endpoint list, so a new endpoint cannot be forgotten: it must carry authorization metadata
/// (unless public by design) and appear in <see cref="Role_boundaries.Endpoints"/> with exactly the roles it declares.
/// </summary>
public sealed class Endpoint_authorization(AppFixture fixture) : IntegrationContext(fixture)
{
    /// <summary>Public by design: the event catalogue's schemas (and the AsyncAPI document, outside /api/) describe the API, not data.</summary>
    private static readonly string[] PublicPrefixes = ["/health/", "/openapi", "/docs", "/api/events/schemas"];
    /// <summary>Public by design: anyone may fetch the ledger's verifier key and its latest signed checkpoint.</summary>
    // A checkpoint's RFC 3161 time-stamps are as public as the checkpoint they date (issue 17).
    private static readonly string[] PublicEndpoints = ["/api/ledger/key", "/api/ledger/checkpoint", "/api/ledger/checkpoints/{treeSize}/timestamps"];

    [Fact]
    public void Every_endpoint_declares_its_roles_and_is_in_the_role_matrix()
    {
        var matrix = Role_boundaries.Endpoints.ToDictionary(r => ((string)r[0], (string)r[1]), r => ((string[])r[2]).Order().ToArray());
        var endpoints = Host.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Select(e => (Endpoint: e, Template: "/" + e.RoutePattern.RawText!.TrimStart('/')))
            // The HTTP API's contract; the web pages (cookie sessions, redirects to sign-in) have their own role tests in Web/.
            .Where(e => e.Template.StartsWith("/api/", StringComparison.Ordinal))
            .Where(e => !PublicPrefixes.Any(e.Template.StartsWith) && !PublicEndpoints.Contains(e.Template))
            .ToList();
        endpoints.Count.ShouldBeGreaterThan(5);

        var problems = new List<string>();
        foreach (var (endpoint, template) in endpoints)
        {
            var authorize = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>();
            if (authorize.Count == 0 || endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                problems.Add($"{template} has no [Authorize] (or allows anonymous)");
                continue;
            }
            var declared = authorize.SelectMany(a => a.Roles?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? []).ToList();
            // The system key's endpoints are its alone: an archive's admin holds every role of its archive, not the installation's.
            var allowed = (declared.Count == 0 ? Roles.All : declared.Contains(Roles.System) ? declared : declared.Append(Roles.Admin)).Distinct().Order().ToArray();
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
            {
                if (!matrix.TryGetValue((method, template), out var listed)) problems.Add($"{method} {template} is missing from Role_boundaries.Endpoints");
                else if (!listed.SequenceEqual(allowed)) problems.Add($"{method} {template}: matrix says {string.Join(",", listed)}, endpoint allows {string.Join(",", allowed)}");
            }
        }
        problems.ShouldBeEmpty();
    }
}
