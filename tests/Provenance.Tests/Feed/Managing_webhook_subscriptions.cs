using System.Text.Json;
using Npgsql;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Feed;

public sealed class Managing_webhook_subscriptions(AppFixture fixture) : FeedContext(fixture)
{
    private async Task<long> SubscriptionRowsAsync()
    {
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select count(*) from {Fixture.Schema}.webhook_subscriptions", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Creating_a_subscription_shows_its_secret_once_and_lists_it()
    {
        var created = await CreateSubscriptionAsync(new { url = "http://127.0.0.1:9/hook", types = new[] { "org.provenance.document.translated.v1" } });
        var id = created.GetProperty("id").GetGuid();
        created.GetProperty("secret").GetString()!.ShouldMatch("^whsec_[A-Za-z0-9+/]{43}=$");
        created.GetProperty("status").GetString().ShouldBe("active");
        created.GetProperty("types").EnumerateArray().Select(t => t.GetString()).ShouldBe(["org.provenance.document.translated.v1"]);

        var one = await GetJsonAsync($"/api/subscriptions/{id}");
        one.TryGetProperty("secret", out _).ShouldBeFalse();
        one.GetProperty("url").GetString().ShouldBe("http://127.0.0.1:9/hook");
        var all = await GetJsonAsync("/api/subscriptions");
        all.GetProperty("items").EnumerateArray().ShouldContain(s => s.GetProperty("id").GetGuid() == id);
        all.GetRawText().ShouldNotContain("whsec_");

        var rotated = await As(Roles.Integrator, s => s.Patch.Json(new { rotateSecret = true }).ToUrl($"/api/subscriptions/{id}"));
        var body = JsonDocument.Parse(await rotated.ReadAsTextAsync()).RootElement;
        body.GetProperty("secret").GetString().ShouldNotBe(created.GetProperty("secret").GetString());
    }

    public static TheoryData<string, string> BadSubscriptions => new()
    {
        { """{"types":[]}""", "url" },
        { """{"url":"ftp://example.org/hook"}""", "url" },
        { """{"url":"https://user:pw@example.org/hook"}""", "url" },
        { """{"url":"not a url"}""", "url" },
        { """{"url":"http://10.1.2.3/hook"}""", "url" },
        { """{"url":"http://169.254.169.254/latest/meta-data"}""", "url" },
        { """{"url":"http://[::1]:8080/hook"}""", "url" },
        { """{"url":"http://192.168.0.10/hook"}""", "url" },
        { """{"url":"http://[64:ff9b::a9fe:a9fe]/latest/meta-data"}""", "url" },
        { """{"url":"http://[2002:a00:1::1]/hook"}""", "url" },
        { """{"url":"http://[::ffff:0:10.0.0.1]/hook"}""", "url" },
        { """{"url":"http://198.51.100.7/hook"}""", "url" },
        { """{"url":"http://127.0.0.1:9/hook","types":["org.provenance.document.burned.v1"]}""", "types" },
        { """{"url":"http://127.0.0.1:9/hook","document":"0190c0de-0000-7000-8000-000000000000"}""", "document" },
    };

    [Theory, MemberData(nameof(BadSubscriptions))]
    public async Task Bad_subscriptions_are_refused_and_nothing_is_written(string json, string field)
    {
        var before = await SubscriptionRowsAsync();
        var result = await As(Roles.Integrator, s =>
        {
            s.Post.Text(json).ToUrl("/api/subscriptions");
            s.WithRequestHeader("Content-Type", "application/json");
        });
        await ShouldBeProblemAsync(result, 422, "validation");
        JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue();
        (await SubscriptionRowsAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task Malformed_json_and_bad_updates_are_problems()
    {
        var before = await SubscriptionRowsAsync();
        var malformed = await As(Roles.Integrator, s =>
        {
            s.Post.Text("{\"url\":").ToUrl("/api/subscriptions");
            s.WithRequestHeader("Content-Type", "application/json");
        });
        await ShouldBeProblemAsync(malformed, 400, "malformed-json");
        (await SubscriptionRowsAsync()).ShouldBe(before);

        var id = (await CreateSubscriptionAsync(new { url = "http://127.0.0.1:9/hook" })).GetProperty("id").GetGuid();
        await ShouldBeProblemAsync(await As(Roles.Integrator, s => s.Patch.Json(new { status = "disabled" }).ToUrl($"/api/subscriptions/{id}")), 422, "validation");
        await ShouldBeProblemAsync(await As(Roles.Integrator, s => s.Patch.Json(new { url = "http://10.0.0.1/" }).ToUrl($"/api/subscriptions/{id}")), 422, "validation");
        await ShouldBeProblemAsync(await As(Roles.Integrator, s => s.Patch.Json(new { url = "http://[fec0::1]/" }).ToUrl($"/api/subscriptions/{id}")), 422, "validation");
        (await GetJsonAsync($"/api/subscriptions/{id}")).GetProperty("url").GetString().ShouldBe("http://127.0.0.1:9/hook");
        await ShouldBeProblemAsync(await As(Roles.Integrator, s => s.Patch.Json(new { status = "paused" }).ToUrl($"/api/subscriptions/{Guid.NewGuid()}")), 404, "not-found");
        await ShouldBeProblemAsync(await As(Roles.Integrator, s => s.Get.Url($"/api/subscriptions/{id}/deliveries?status=lost")), 422, "validation");
    }

    [Theory, InlineData(Roles.Reader), InlineData(Roles.Contributor), InlineData(Roles.Auditor)]
    public async Task Only_integrators_manage_subscriptions(string role)
    {
        var before = await SubscriptionRowsAsync();
        (await As(role, s => s.Post.Json(new { url = "http://127.0.0.1:9/hook" }).ToUrl("/api/subscriptions"))).Context.Response.StatusCode.ShouldBe(403);
        (await As(role, s => s.Get.Url("/api/subscriptions"))).Context.Response.StatusCode.ShouldBe(403);
        (await SubscriptionRowsAsync()).ShouldBe(before);
    }
}
