using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Marten;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;
using Provenance.Api.Tenancy;

namespace Provenance.Tests.Http;

/// <summary>
/// Control characters never reach the database (PostgreSQL refuses NUL, and XML cannot carry most C0 controls), parameters that do
/// not parse are refused by name instead of being ignored, and whatever is already stored can always be exported.
/// </summary>
public sealed class Hostile_characters_and_parameters(AppFixture fixture) : Ledger.LedgerContext(fixture)
{
    [Theory]
    [InlineData("title", "A \\u0000 title")]
    [InlineData("title", "A bell \\u0007 in a title")]
    [InlineData("title", "A C1 control \\u0085 in a title")]
    [InlineData("title", "A line feed \\n in a title")]
    [InlineData("publisher", "Tab\\tPress")]
    [InlineData("reason", "A reason with NUL \\u0000")]
    [InlineData("reason", "A reason with escape \\u001b[31m")]
    [InlineData("content", "Text with NUL \\u0000 inside")]
    public async Task A_control_character_in_an_ingested_field_is_refused_by_name_and_nothing_is_written(string field, string jsonEscaped)
    {
        var before = await EventCountAsync();
        var fields = new Dictionary<string, string>
        {
            ["title"] = "A clean title", ["language"] = "en", ["content"] = "Clean text.", ["reason"] = "Clean.", ["publisher"] = "Press",
        };
        var json = "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":\"{(f.Key == field ? jsonEscaped : f.Value)}\"")) + "}";
        var result = await As(Roles.Contributor, s => s.Post.Text(json).ContentType("application/json").ToUrl("/api/documents"));

        await ShouldBeProblemAsync(result, 422, "validation");
        JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("errors").TryGetProperty(field, out _)
            .ShouldBeTrue(await result.ReadAsTextAsync());
        (await EventCountAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task Line_breaks_and_tabs_are_kept_in_multi_line_text()
    {
        var doc = await IngestAsync(content: "Line one.\n\tIndented.\r\nLine three.\n");
        var result = await As(Roles.Contributor, s =>
        {
            s.Post.Json(new { content = "Line one.\n\tIndented, edited.\r\nLine three.\n", reason = "First line of the reason.\nSecond line." })
                .ToUrl($"/api/documents/{doc.Id}/revisions");
            s.WithRequestHeader("If-Match", "\"1\"");
        });
        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
    }

    [Fact]
    public async Task A_control_character_in_a_subscription_or_key_body_is_refused_by_name()
    {
        var key = await As(Roles.Admin, s => s.Post.Text("{\"name\":\"bad\\u0000name\",\"roles\":[\"reader\"]}").ContentType("application/json").ToUrl("/api/keys"));
        await ShouldBeProblemAsync(key, 422, "validation");
        JsonDocument.Parse(await key.ReadAsTextAsync()).RootElement.GetProperty("errors").TryGetProperty("name", out _).ShouldBeTrue();

        var subscription = await As(Roles.Integrator, s => s.Post
            .Text("{\"url\":\"https://hooks.example.org/\\u0000\",\"types\":[\"org.provenance.document.revised.v1\"]}")
            .ContentType("application/json").ToUrl("/api/subscriptions"));
        await ShouldBeProblemAsync(subscription, 422, "validation");
        JsonDocument.Parse(await subscription.ReadAsTextAsync()).RootElement.GetProperty("errors").TryGetProperty("url", out _).ShouldBeTrue();
    }

    [Theory]
    [InlineData("/api/documents?q=a%00b", "q")]
    [InlineData("/api/documents?language=en%07", "language")]
    [InlineData("/api/search?q=%C2%85x", "q")]
    [InlineData("/api/audit?actor=me%0A", "actor")]
    public async Task A_control_character_in_a_query_parameter_is_refused_by_name(string url, string parameter)
    {
        var result = await As(Roles.Auditor, s => s.Get.Url(url));
        await ShouldBeProblemAsync(result, 422, "validation");
        JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("errors").TryGetProperty(parameter, out _).ShouldBeTrue();
    }

    [Theory]
    [InlineData("/content?revision=2147483648", "revision")]
    [InlineData("/content?revision=..%2F..%2F1", "revision")]
    [InlineData("/content?revision=1.0", "revision")]
    [InlineData("/history?limit=abc", "limit")]
    public async Task A_document_parameter_that_does_not_parse_is_refused_by_name(string suffix, string parameter)
    {
        var doc = await IngestAsync();
        var result = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{doc.Id}{suffix}"));
        await ShouldBeProblemAsync(result, 422, "validation");
        var problem = JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement;
        problem.GetProperty("errors").TryGetProperty(parameter, out _).ShouldBeTrue();
        problem.GetProperty("detail").GetString().ShouldNotBeNull().ShouldContain(parameter);
    }

    [Theory]
    [InlineData("/api/documents?limit=abc", "limit")]
    [InlineData("/api/documents?limit=99999999999", "limit")]
    [InlineData("/api/feed?limit=-", "limit")]
    [InlineData("/api/feed?document=not-a-guid", "document")]
    public async Task A_list_parameter_that_does_not_parse_is_refused_by_name(string url, string parameter)
    {
        var result = await As(Roles.Admin, s => s.Get.Url(url));
        await ShouldBeProblemAsync(result, 422, "validation");
        JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("errors").TryGetProperty(parameter, out _).ShouldBeTrue();
    }

    [Theory]
    [InlineData("/api/documents/not-a-guid")]
    [InlineData("/api/documents/0000/content")]
    public async Task A_malformed_id_in_a_route_is_a_404_problem_that_says_why(string url)
    {
        var result = await As(Roles.Reader, s => s.Get.Url(url));
        await ShouldBeProblemAsync(result, 404, "not-found");
        JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("detail").GetString().ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task Every_export_renders_an_event_stored_with_control_characters_and_says_what_it_replaced()
    {
        // Stored before validation existed (events are immutable): a title and reason with controls XML 1.0 cannot carry.
        var doc = await IngestAsync(title: "Clean title");
        await using (var session = Store.LightweightSession(Tenants.Default))
        {
            var version = (await session.Events.FetchStreamStateAsync(doc.Id))!.Version;
            session.Events.Append(doc.Id, version + 1, new DocumentVerified(doc.Id, 1, null, new VerifiedClaim("The first", 0, 9), "manual",
                "supported", ["https://example.org/evidence"], "Notes with an escape \u001b[0m and a form feed \f.", "Bell\u0007 checker", "Reason \u0001"));
            await session.SaveChangesAsync();
        }
        await SignCheckpointAsync();

        foreach (var format in new[] { "premis", "json", "prov-json", "turtle", "jsonld", "csv", "pdf" })
        {
            var result = await As(Roles.Auditor, s => s.Get.Url($"/api/documents/{doc.Id}/provenance?format={format}"));
            result.Context.Response.StatusCode.ShouldBe(200, $"{format}: {await result.ReadAsTextAsync()}");
            if (format is "premis")
            {
                var text = await result.ReadAsTextAsync();
                var xml = XDocument.Parse(text); // throws on a character XML cannot carry
                text.ShouldContain("U+FFFD", customMessage: "the output says that characters were replaced");
                xml.ToString().ShouldContain("Bell\uFFFD checker");
            }
        }
    }
}
