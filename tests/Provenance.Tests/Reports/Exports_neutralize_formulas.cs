using System.Text;
using Alba;
using Provenance.Api.Access;
using Provenance.Api.Audit;
using Provenance.Api.Documents;
using Provenance.Api.Reports;
using Shouldly;
using Provenance.Api.Tenancy;

namespace Provenance.Tests.Reports;

/// <summary>
/// A reason, a correlation id or a key name is typed by someone; a spreadsheet opening our CSV must not evaluate it (OWASP "CSV
/// injection"). Every CSV we produce prefixes a cell that starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, TAB or CR with a
/// <c>'</c>, and still quotes per RFC 4180; numbers and sequences stay numbers.
/// </summary>
public sealed class Exports_neutralize_formulas(AppFixture fixture) : ReportsContext(fixture)
{
    static readonly char[] Triggers = ['=', '+', '-', '@', '\t', '\r'];

    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+33 1 23 45 67 89", "'+33 1 23 45 67 89")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1:A9)", "'@SUM(A1:A9)")]
    [InlineData("\t=1+1", "'\t=1+1")]
    [InlineData("\r=1+1", "\"'\r=1+1\"")]
    [InlineData("=HYPERLINK(\"https://evil.example\",\"x\")", "\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"x\"\")\"")]
    [InlineData("=1,2", "\"'=1,2\"")]
    [InlineData("a=1", "a=1")]
    [InlineData("Fix, \"quoted\"", "\"Fix, \"\"quoted\"\"\"")]
    [InlineData("1234", "1234")]
    [InlineData("2026-01-15T09:00:00Z", "2026-01-15T09:00:00Z")]
    [InlineData("", "")]
    public void A_cell_a_spreadsheet_would_evaluate_is_prefixed_with_a_quote_and_still_quoted_per_RFC_4180(string value, string expected)
        => CsvFormat.Field(value).ShouldBe(expected);

    sealed record Story(Guid Id, string Actor, string From, string To, IReadOnlyList<string> Reasons, IReadOnlyList<string> Correlations);

    /// <summary>
    /// An actor named like a formula ingests, edits twice and translates with reasons and correlation ids starting with <c>=</c>,
    /// <c>+</c>, <c>-</c> and <c>@</c>; two verdicts whose reasons start with TAB and CR are stored directly, as older data could be
    /// (the API trims reasons).
    /// </summary>
    async Task<Story> StoryAsync()
    {
        Fixture.Clock.Advance(TimeSpan.FromHours(1));
        var from = Fixture.Clock.GetUtcNow();
        var actor = $"=archivist.{Guid.NewGuid():N}";
        var key = await Fixture.CreateKeyAsync(actor, Roles.Contributor);
        string[] reasons = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+SUM(1,2)", "-2+3", "@SUM(1)"];
        string[] correlations = ["=cmd|'/C;calc'!A0", "+1+1", "-2+3", "@SUM(1)"];
        async Task<DocumentResource> SendAsync(int step, Action<Scenario> request)
        {
            var result = await Host.Scenario(s =>
            {
                s.WithRequestHeader("Authorization", $"Bearer {key}");
                s.WithRequestHeader("X-Correlation-Id", correlations[step]);
                s.IgnoreStatusCode();
                request(s);
            });
            result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
            Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
            return (await result.ReadAsJsonAsync<DocumentResource>())!;
        }
        var doc = await SendAsync(0, s => s.Post.Json(new { title = "Formulae", language = "en", content = "One.\n", reason = reasons[0] }).ToUrl("/api/documents"));
        await SendAsync(1, s =>
        {
            s.Post.Json(new { content = "Two.\n", reason = reasons[1] }).ToUrl($"/api/documents/{doc.Id}/revisions");
            s.WithRequestHeader("If-Match", "\"1\"");
        });
        await SendAsync(2, s =>
        {
            s.Post.Json(new { content = "Three.\n", reason = reasons[2] }).ToUrl($"/api/documents/{doc.Id}/revisions");
            s.WithRequestHeader("If-Match", "\"2\"");
        });
        await SendAsync(3, s => s.Post.Json(new { language = "fr", content = "Trois.\n", translator = "=T", method = "human", reason = reasons[3] })
            .ToUrl($"/api/documents/{doc.Id}/translations"));
        await using (var session = Store.LightweightSession(Tenants.Default))
        {
            foreach (var reason in new[] { "\t=1+1", "\r=1+1" })
            {
                session.Events.Append(doc.Id, new DocumentVerified(doc.Id, 3, null, null, "expert-review", "verified", [], null, actor, reason));
            }
            await session.SaveChangesAsync();
        }
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var to = Fixture.Clock.GetUtcNow();
        await SignCheckpointAsync();
        static string Rfc3339(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'"));
        return new Story(doc.Id, actor, Rfc3339(from), Rfc3339(to), [.. reasons, "\t=1+1", "\r=1+1"], correlations);
    }

    /// <summary>No cell starts with a trigger; the reason, correlation id and actor columns hold the typed value behind one quote; sequences parse.</summary>
    static void ShouldBeNeutralized(List<string[]> rows, Story story, int sequence, int actor, int reason, int correlation)
    {
        rows.Count.ShouldBe(7, "a header and six events");
        foreach (var cell in rows.Skip(1).SelectMany(r => r))
        {
            if (cell.Length > 0) Triggers.ShouldNotContain(cell[0], $"cell {cell}");
        }
        rows.Skip(1).Select(r => r[reason]).ShouldBe(story.Reasons.Select(r => "'" + r));
        rows.Skip(1).Take(4).Select(r => r[correlation]).ShouldBe(story.Correlations.Select(c => "'" + c));
        rows.Skip(1).ShouldAllBe(r => r[actor] == "'" + story.Actor);
        rows.Skip(1).Select(r => long.Parse(r[sequence])).ShouldBeInOrder(SortDirection.Ascending);
    }

    async Task<List<string[]>> CsvAsync(string url, string? accept = null)
    {
        var result = await As(Roles.Auditor, s =>
        {
            s.Get.Url(url);
            if (accept is not null) s.WithRequestHeader("Accept", accept);
        });
        using var buffer = new MemoryStream();
        await result.Context.Response.Body.CopyToAsync(buffer);
        var text = Encoding.UTF8.GetString(buffer.ToArray());
        result.Context.Response.StatusCode.ShouldBe(200, text);
        result.Context.Response.ContentType.ShouldNotBeNull().ShouldStartWith("text/csv");
        return Rfc4180.Parse(text);
    }

    [Fact]
    public async Task Every_CSV_export_neutralizes_reasons_correlation_ids_and_actors_that_start_like_formulas()
    {
        var story = await StoryAsync();
        var actor = Uri.EscapeDataString(story.Actor);

        var audit = await CsvAsync($"/api/audit?actor={actor}", accept: "text/csv");
        audit[0].ShouldBe(AuditItem.CsvHeader);
        ShouldBeNeutralized(audit, story, sequence: 0, actor: 7, reason: 8, correlation: 9);

        var auditPage = await CsvAsync($"/audit/export.csv?actor={actor}");
        auditPage.ShouldBe(audit, "the page's download is the API's CSV");

        var report = await CsvAsync($"/api/documents/{story.Id}/provenance?format=csv");
        report[0].ShouldBe(CsvReport.Header);
        ShouldBeNeutralized(report, story, sequence: 1, actor: 6, reason: 7, correlation: 8);
        report.Skip(1).Select(r => long.Parse(r[2])).ShouldBe([1, 2, 3, 4, 5, 6], "the version column is untouched");

        var collection = await CsvAsync($"/api/reports/provenance?from={story.From}&to={story.To}&format=csv");
        collection.ShouldBe(report, "the collection CSV of a period holding only this document is its report's rows");
    }
}
