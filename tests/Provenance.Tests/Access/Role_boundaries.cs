using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Access;

public sealed class Role_boundaries(AppFixture fixture) : IntegrationContext(fixture)
{
    /// <summary>Every endpoint of the foundation, with the roles that may call it.</summary>
    public static TheoryData<string, string, string[]> Endpoints => new()
    {
        { "POST", "/api/documents", [Roles.Contributor, Roles.Admin] },
        { "POST", "/api/documents/batch", [Roles.Contributor, Roles.Admin] },
        { "POST", "/api/documents/{id}/revisions", [Roles.Contributor, Roles.Admin] },
        { "POST", "/api/documents/{id}/translations", [Roles.Contributor, Roles.Admin] },
        { "POST", "/api/documents/{id}/verifications", [Roles.Verifier, Roles.Admin] },
        { "POST", "/api/documents/{id}/redactions", [Roles.Steward, Roles.Admin] },
        { "GET", "/api/documents/{id}/redactions", [Roles.Steward, Roles.Auditor, Roles.Admin] },
        { "POST", "/api/documents/{id}/withdrawals", [Roles.Steward, Roles.Admin] },
        { "DELETE", "/api/documents/{id}/withdrawals/current", [Roles.Steward, Roles.Admin] },
        { "POST", "/api/documents/{id}/holds", [Roles.Auditor, Roles.Admin] },
        { "GET", "/api/documents/{id}/holds", [Roles.Auditor, Roles.Steward, Roles.Admin] },
        { "POST", "/api/documents/{id}/holds/{holdId}/release", [Roles.Auditor, Roles.Admin] },
        { "GET", "/api/documents", Roles.All.ToArray() },
        { "GET", "/api/documents/{id}", Roles.All.ToArray() },
        { "GET", "/api/documents/{id}/content", Roles.All.ToArray() },
        // The system administrator's archives (issue #20): no archive key reaches them.
        { "POST", "/api/tenants", [Roles.System] },
        { "GET", "/api/tenants", [Roles.System] },
        { "GET", "/api/tenants/{id}", [Roles.System] },
        { "POST", "/api/tenants/{id}/disable", [Roles.System] },
        { "POST", "/api/keys", [Roles.Admin] },
        { "GET", "/api/keys", [Roles.Admin] },
        { "DELETE", "/api/keys/{id}", [Roles.Admin] },
        { "PUT", "/api/people/{login}", [Roles.Admin] },
        { "GET", "/api/people", Roles.All.ToArray() },
        { "GET", "/api/documents/{id}/history", Roles.All.ToArray() },
        { "GET", "/api/documents/{id}/revisions", Roles.All.ToArray() },
        { "GET", "/api/documents/{id}/revisions/{n}", Roles.All.ToArray() },
        { "GET", "/api/documents/{id}/diff", Roles.All.ToArray() },
        { "GET", "/api/documents/{id}/timemap", Roles.All.ToArray() },
        { "GET", "/api/documents/{id}/lineage", Roles.All.ToArray() },
        { "GET", "/api/search", Roles.All.ToArray() },
        { "GET", "/api/audit", [Roles.Auditor, Roles.Admin] },
        { "GET", "/api/documents/{id}/provenance", [Roles.Auditor, Roles.Admin] },
        { "GET", "/api/reports/provenance", [Roles.Auditor, Roles.Admin] },
        { "GET", "/api/reports/provenance.sig", [Roles.Auditor, Roles.Admin] },
        { "GET", "/api/documents/{id}/package", [Roles.Auditor, Roles.Admin] },
        { "GET", "/api/reports/package", [Roles.Auditor, Roles.Admin] },
        { "POST", "/api/documents/{id}/imports", [Roles.Admin] },
        { "GET", "/api/documents/{id}/proof", Roles.All.ToArray() },
        { "GET", "/api/ledger/proofs/inclusion", Roles.All.ToArray() },
        { "GET", "/api/ledger/proofs/consistency", Roles.All.ToArray() },
        { "POST", "/api/ledger/checkpoints", [Roles.Auditor, Roles.Admin] },
        { "POST", "/api/ledger/verify", [Roles.Auditor, Roles.Admin] },
        { "POST", "/api/ledger/fixity", [Roles.Auditor, Roles.Admin] },
        { "GET", "/api/feed", [Roles.Integrator, Roles.Admin] },
        { "GET", "/api/feed/stream", [Roles.Integrator, Roles.Admin] },
        { "POST", "/api/subscriptions", [Roles.Integrator, Roles.Admin] },
        { "GET", "/api/subscriptions", [Roles.Integrator, Roles.Admin] },
        { "GET", "/api/subscriptions/{id}", [Roles.Integrator, Roles.Admin] },
        { "PATCH", "/api/subscriptions/{id}", [Roles.Integrator, Roles.Admin] },
        { "DELETE", "/api/subscriptions/{id}", [Roles.Integrator, Roles.Admin] },
        { "GET", "/api/subscriptions/{id}/deliveries", [Roles.Integrator, Roles.Admin] },
        { "POST", "/api/subscriptions/{id}/deliveries/{deliveryId}/retry", [Roles.Integrator, Roles.Admin] },
        { "POST", "/api/subscriptions/{id}/replay", [Roles.Integrator, Roles.Admin] },
        { "GET", "/api/subscriptions/{id}/deliveries/{deliveryId}", [Roles.Integrator, Roles.Admin] },
        { "POST", "/api/subscriptions/{id}/test", [Roles.Integrator, Roles.Admin] },
    };

    /// <summary>
    /// Endpoints not called with an allowed role here: the stream never ends, and a fixity run appends an event to every
    /// document. Their 401/403 boundaries are still checked; their own tests cover the allowed calls.
    /// </summary>
    private static readonly HashSet<string> NotCalledWhenAllowed = ["/api/feed/stream", "/api/ledger/fixity"];

    [Theory, MemberData(nameof(Endpoints))]
    public async Task Without_a_key_every_endpoint_is_401_and_with_the_wrong_role_403(string method, string template, string[] allowed)
    {
        var url = template.Replace("{id}", Guid.NewGuid().ToString()).Replace("{deliveryId}", Guid.NewGuid().ToString()).Replace("{holdId}", Guid.NewGuid().ToString()).Replace("{n}", "1").Replace("{login}", "someone");
        var events = await EventCountAsync();

        var anonymous = await Host.Scenario(s =>
        {
            s.IgnoreStatusCode();
            Send(s, method, url);
        });
        await ShouldBeProblemAsync(anonymous, 401, "unauthenticated");
        anonymous.Context.Response.Headers.WWWAuthenticate.ToString().ShouldBe("Bearer");

        var wrongKey = await Host.Scenario(s =>
        {
            s.IgnoreStatusCode();
            s.WithRequestHeader("Authorization", "Bearer pvk_not_a_real_key");
            Send(s, method, url);
        });
        await ShouldBeProblemAsync(wrongKey, 401, "unauthenticated");

        // The system key (no archive) is refused everywhere but its own endpoints, as every role is outside its own.
        foreach (var role in Roles.All.Append(Roles.System).Except(allowed))
        {
            var forbidden = await As(role, s => Send(s, method, url));
            await ShouldBeProblemAsync(forbidden, 403, "forbidden");
        }
        foreach (var role in NotCalledWhenAllowed.Contains(template) ? [] : allowed)
        {
            var permitted = await As(role, s => Send(s, method, url));
            permitted.Context.Response.StatusCode.ShouldNotBeOneOf(401, 403);
        }
        (await EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task An_admin_creates_lists_and_revokes_keys_and_a_revoked_key_stops_working()
    {
        var created = await As(Roles.Admin, s => s.Post.Json(new { name = "archivist.dubois", roles = new[] { "contributor", "verifier" } }).ToUrl("/api/keys"));
        created.Context.Response.StatusCode.ShouldBe(201);
        var key = (await created.ReadAsJsonAsync<CreatedApiKey>())!;
        key.Key.ShouldStartWith("pvk_");
        key.Roles.ShouldBe(["contributor", "verifier"]);

        var ingest = await Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {key.Key}");
            s.Post.Json(new { title = "By Dubois", language = "fr", content = "Texte.\n" }).ToUrl("/api/documents");
            s.StatusCodeShouldBe(201);
        });
        (await ingest.ReadAsJsonAsync<Provenance.Api.Documents.DocumentResource>())!.CreatedBy.ShouldBe("archivist.dubois");

        var listed = (await (await As(Roles.Admin, s => s.Get.Url("/api/keys"))).ReadAsJsonAsync<List<ApiKeySummary>>())!;
        var summary = listed.Single(k => k.Id == key.Id);
        summary.Prefix.ShouldBe(key.Key[..12]);
        (await As(Roles.Admin, s => s.Get.Url("/api/keys"))).ReadAsText().ShouldNotContain(key.Key);

        (await As(Roles.Admin, s => s.Delete.Url($"/api/keys/{key.Id}"))).Context.Response.StatusCode.ShouldBe(204);
        var after = await Host.Scenario(s =>
        {
            s.IgnoreStatusCode();
            s.WithRequestHeader("Authorization", $"Bearer {key.Key}");
            s.Get.Url("/api/documents");
        });
        await ShouldBeProblemAsync(after, 401, "unauthenticated");
    }

    [Theory]
    [InlineData("""{"roles":["reader"]}""", "name")]
    [InlineData("""{"name":"x","roles":[]}""", "roles")]
    [InlineData("""{"name":"x","roles":["superuser"]}""", "roles")]
    public async Task Bad_key_requests_are_validation_problems(string body, string field)
    {
        var result = await As(Roles.Admin, s => s.Post.Text(body).ToUrl("/api/keys").ContentType("application/json"));
        await ShouldBeProblemAsync(result, 422, "validation");
        (await result.ReadAsTextAsync()).ShouldContain($"\"{field}\":[");
    }

    [Fact]
    public async Task Revoking_an_unknown_key_is_a_404()
        => await ShouldBeProblemAsync(await As(Roles.Admin, s => s.Delete.Url($"/api/keys/{Guid.NewGuid()}")), 404, "not-found");
}
