using System.Net;
using System.Text.Json;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Faults;

/// <summary>
/// Generated from the running API's own OpenAPI document, so a new endpoint is in the matrix the day it is added:
/// without a key (or with a bad one) every endpoint is 401, except the public ones listed here.
/// </summary>
public sealed class Authorization_matrix(FaultsFixture fixture, ITestOutputHelper output) : FaultTest(fixture, output)
{
    // /log/: the public tlog-tiles log (issue 16); /api/events/schemas and /asyncapi: the event catalogue (issue 14).
    private static readonly string[] PublicPrefixes = ["/health/", "/openapi", "/docs", "/log/", "/api/events/schemas", "/asyncapi/"];
    /// <summary>Public by design: anyone may fetch the ledger's verifier key and its latest signed checkpoint.</summary>
    // A checkpoint's RFC 3161 time-stamps are as public as the checkpoint they date (issue 17).
    private static readonly string[] PublicEndpoints = ["/api/ledger/key", "/api/ledger/checkpoint", "/api/ledger/checkpoints/{treeSize}/timestamps"];
    /// <summary>A fixity run appends a fixity event to every document by design; its roles are checked in-process.</summary>
    private static readonly string[] NotCalledWithRoles = ["/api/ledger/fixity"];

    [Fact]
    public async Task Every_endpoint_in_the_openapi_document_is_401_without_a_key_and_never_5xx_for_any_role()
    {
        using var anonymous = Fixture.Client(null);
        using var openApi = JsonDocument.Parse(await anonymous.GetStringAsync("/openapi/v1.json"));
        var endpoints = openApi.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (Method: m.Name.ToUpperInvariant(), Path: p.Name)))
            .Where(e => !PublicPrefixes.Any(e.Path.StartsWith) && !PublicEndpoints.Contains(e.Path))
            .ToList();
        endpoints.Count.ShouldBeGreaterThan(5, "the OpenAPI document lists too few endpoints to be the real API");

        using var badKey = Fixture.Client(null);
        badKey.DefaultRequestHeaders.Authorization = new("Bearer", "pvk_not_a_real_key");
        var failures = new List<string>();
        var events = await Fixture.EventCountAsync();
        foreach (var (method, path) in endpoints)
        {
            var url = System.Text.RegularExpressions.Regex.Replace(path, "{[^}]+}", Guid.NewGuid().ToString());
            var row = new List<string>();
            foreach (var (name, client) in new[] { ("no key", anonymous), ("bad key", badKey) })
            {
                using var response = await client.SendAsync(Request(method, url), HttpCompletionOption.ResponseHeadersRead);
                row.Add($"{name} {(int)response.StatusCode}");
                if (response.StatusCode != HttpStatusCode.Unauthorized) failures.Add($"{method} {path} with {name}: {(int)response.StatusCode}, expected 401");
            }
            foreach (var role in NotCalledWithRoles.Contains(path) ? [] : FaultsFixture.Roles)
            {
                using var client = Fixture.Client(role);
                // Headers only: a Server-Sent Events stream answers 200 and never ends.
                using var response = await client.SendAsync(Request(method, url), HttpCompletionOption.ResponseHeadersRead);
                row.Add($"{role} {(int)response.StatusCode}");
                if (response.StatusCode == HttpStatusCode.Unauthorized || (int)response.StatusCode >= 500)
                {
                    failures.Add($"{method} {path} as {role}: {(int)response.StatusCode}");
                }
            }
            Say($"{method} {path}: {string.Join(", ", row)}");
        }
        (await Fixture.EventCountAsync()).ShouldBe(events, "an empty-bodied request appended events");
        Say($"checked {endpoints.Count} endpoints × (no key, bad key, {FaultsFixture.Roles.Length} roles); the role each needs is checked in-process by Provenance.Tests");
        failures.ShouldBeEmpty();
    }

    private static HttpRequestMessage Request(string method, string url) => new(new HttpMethod(method), url)
    {
        Content = method is "POST" or "PUT" or "PATCH" ? Json("{}") : null,
    };
}
