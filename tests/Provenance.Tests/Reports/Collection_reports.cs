using System.Text;
using System.Text.Json;
using Provenance.Api.Access;
using Provenance.Api.Reports;
using Provenance.Ledger;
using Shouldly;

namespace Provenance.Tests.Reports;

public sealed class Collection_reports(AppFixture fixture) : ReportsContext(fixture)
{
    /// <summary>
    /// Three documents around a period pinned with the clock: one ingested before it and edited in it, one ingested and translated in it,
    /// one ingested at its end (excluded: the period is half-open), when the second is also edited.
    /// </summary>
    async Task<(string From, string To, Guid Before, Guid Inside, Guid After)> PeriodAsync()
    {
        Fixture.Clock.Advance(TimeSpan.FromHours(1));
        var before = (await IngestAsync("Older text.\n", title: "Ingested before the period")).Id;
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var from = Fixture.Clock.GetUtcNow();
        await EditAsync(before, 1, "Older text, corrected.\n");
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var inside = (await IngestAsync("Inside text.\n", title: "Ingested in the period")).Id;
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        await TranslateAsync(inside, "fr", "Texte intérieur.\n");
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var to = Fixture.Clock.GetUtcNow();
        var after = (await IngestAsync("Later text.\n", title: "Ingested at the end of the period")).Id;
        await EditAsync(inside, 1, "Inside text, edited after the period.\n");
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        await SignCheckpointAsync();
        return (Rfc3339(from), Rfc3339(to), before, inside, after);
    }

    static string Rfc3339(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'"));

    async Task<(byte[] Body, string ContentType, string Trailer)> StreamAsync(string query, string role = Roles.Auditor)
    {
        var result = await As(role, s => s.Get.Url($"/api/reports/provenance?{query}"));
        var response = result.Context.Response;
        using var buffer = new MemoryStream();
        await response.Body.CopyToAsync(buffer);
        response.StatusCode.ShouldBe(200, Encoding.UTF8.GetString(buffer.ToArray()));
        return (buffer.ToArray(), response.ContentType!, response.Headers.Trailer.ToString());
    }

    async Task<string> SidecarAsync(string query)
    {
        var result = await As(Roles.Auditor, s => s.Get.Url($"/api/reports/provenance.sig?{query}"));
        var text = await result.ReadAsTextAsync();
        result.Context.Response.StatusCode.ShouldBe(200, text);
        return text.Trim();
    }

    [Fact]
    public async Task JSON_Lines_hold_one_verifiable_report_per_document_touched_in_the_period_in_order_of_first_touch()
    {
        var (from, to, before, inside, after) = await PeriodAsync();
        var (body, contentType, _) = await StreamAsync($"from={from}&to={to}");
        contentType.ShouldStartWith("application/x-ndjson");

        var lines = Encoding.UTF8.GetString(body).Split('\n');
        lines[^1].ShouldBe("");
        var reports = lines[..^1].Select(l => JsonDocument.Parse(l).RootElement).ToList();
        reports.Select(r => r.GetProperty("document").GetProperty("id").GetGuid()).ShouldBe([before, inside]);
        reports.ShouldNotContain(r => r.GetProperty("document").GetProperty("id").GetGuid() == after);

        // Each report holds the document's events up to the end of the period, generated "at" its end: ingest + edit, ingest + translation.
        reports.Select(r => r.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList())
            .ShouldBe([["DocumentIngested", "DocumentEdited"], ["DocumentIngested", "DocumentTranslated"]]);
        reports.ShouldAllBe(r => r.GetProperty("generatedAt").GetDateTimeOffset() == DateTimeOffset.Parse(Uri.UnescapeDataString(to)));

        // A line is a complete report: without its own signature, its checkpoint and every leaf and inclusion proof still verify.
        var key = await LedgerKeyAsync();
        foreach (var line in lines[..^1])
        {
            var checks = ReportVerifier.Verify(Encoding.UTF8.GetBytes(line), null, key).Checks;
            checks.Where(c => c.Name is "key" or "checkpoint" or "events").ShouldAllBe(c => c.Passed);
        }
    }

    [Fact]
    public async Task The_CSV_holds_the_event_rows_of_the_period_across_documents()
    {
        var (from, to, before, inside, _) = await PeriodAsync();
        var (body, contentType, _) = await StreamAsync($"from={from}&to={to}&format=csv");
        contentType.ShouldStartWith("text/csv");
        var rows = Encoding.UTF8.GetString(body).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(r => r.Split(',')).ToList();
        rows[0].ShouldBe(CsvReport.Header);
        rows.Skip(1).Select(r => (Guid.Parse(r[0]), r[3])).ShouldBe(
            [(before, "DocumentEdited"), (inside, "DocumentIngested"), (inside, "DocumentTranslated")]);
        rows.Skip(1).ShouldAllBe(r => r[10].Length > 0 && r[11].Length == 64);
    }

    [Theory]
    [InlineData("json")]
    [InlineData("csv")]
    public async Task The_sidecar_signature_of_a_closed_period_verifies_the_streamed_bytes(string format)
    {
        var (from, to, _, _, _) = await PeriodAsync();
        var query = $"from={from}&to={to}&format={format}";
        var (body, _, trailer) = await StreamAsync(query);
        var signature = await SidecarAsync(query);

        var key = await LedgerKeyAsync();
        DetachedSignature.Parse(signature).Verify(body, key).IsValid.ShouldBeTrue();
        // Asked again, the same bytes and so the same signature (Ed25519 is deterministic).
        (await StreamAsync(query)).Body.ShouldBe(body);
        (await SidecarAsync(query)).ShouldBe(signature);
        // One byte changed, the signature no longer holds.
        var tampered = (byte[])body.Clone();
        tampered[^2] ^= 1;
        DetachedSignature.Parse(signature).Verify(tampered, key).IsValid.ShouldBeFalse();
        // Where the server can send trailers it announces the signature; the test server cannot, and then says nothing.
        trailer.ShouldBeOneOf("", ProvenanceReportEndpoint.SignatureHeader);
    }

    [Fact]
    public async Task Bad_periods_are_422_unknown_formats_406_and_readers_403()
    {
        var (from, to, _, _, _) = await PeriodAsync();
        var events = await EventCountAsync();
        await ShouldBeProblemAsync(await As(Roles.Auditor, s => s.Get.Url($"/api/reports/provenance?to={to}")), 422, "validation");
        await ShouldBeProblemAsync(await As(Roles.Auditor, s => s.Get.Url($"/api/reports/provenance?from=yesterday&to={to}")), 422, "validation");
        await ShouldBeProblemAsync(await As(Roles.Auditor, s => s.Get.Url($"/api/reports/provenance?from={to}&to={from}")), 422, "validation");
        await ShouldBeProblemAsync(await As(Roles.Auditor, s => s.Get.Url($"/api/reports/provenance?from={to}&to={to}")), 422, "validation");
        await ShouldBeProblemAsync(await As(Roles.Auditor, s => s.Get.Url($"/api/reports/provenance?from={from}&to={to}&format=pdf")), 406, "not-acceptable");
        await ShouldBeProblemAsync(await As(Roles.Auditor, s =>
        {
            s.Get.Url($"/api/reports/provenance?from={from}&to={to}");
            s.WithRequestHeader("Accept", "application/pdf");
        }), 406, "not-acceptable");
        await ShouldBeProblemAsync(await As(Roles.Auditor, s => s.Get.Url($"/api/reports/provenance.sig?from={from}&to={to}&format=xml")), 406, "not-acceptable");
        var future = Rfc3339(Fixture.Clock.GetUtcNow().AddDays(1));
        await ShouldBeProblemAsync(await As(Roles.Auditor, s => s.Get.Url($"/api/reports/provenance.sig?from={from}&to={future}")), 422, "validation");
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Get.Url($"/api/reports/provenance?from={from}&to={to}")), 403, "forbidden");
        await ShouldBeProblemAsync(await As(Roles.Contributor, s => s.Get.Url($"/api/reports/provenance.sig?from={from}&to={to}")), 403, "forbidden");
        (await EventCountAsync()).ShouldBe(events);
    }
}
