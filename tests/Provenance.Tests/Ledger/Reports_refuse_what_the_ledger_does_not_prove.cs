using System.Net.Http.Headers;
using System.Text.Json;
using Provenance.Api.Access;
using Provenance.Api.Ledger;
using Provenance.Api.Reports;
using Shouldly;

namespace Provenance.Tests.Ledger;

/// <summary>
/// A rogue DBA rewrites the reason of one committed event in <c>mt_events</c>. Before anything is produced, every report format, the
/// collection reports and the document proof recompute the leaf of each event from the row and compare it with the stored leaf: they
/// refuse with <c>ledger-mismatch</c> naming the sequence and sign nothing. Time travel and the document page still answer, and flag it.
/// </summary>
public sealed class Reports_refuse_what_the_ledger_does_not_prove(AppFixture fixture) : LedgerContext(fixture)
{
    static string Rfc3339(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'"));

    async Task<JsonElement> ProblemAsync(string url, long sequence, string role = Roles.Auditor)
    {
        var result = await As(role, s => s.Get.Url(url));
        var body = await result.ReadAsTextAsync();
        await ShouldBeProblemAsync(result, 500, "ledger-mismatch");
        result.Context.Response.Headers[ProvenanceReportEndpoint.SignatureHeader].ToString().ShouldBeEmpty("nothing is signed");
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        problem.GetProperty("sequence").GetInt64().ShouldBe(sequence, body);
        problem.GetProperty("detail").GetString()!.ShouldContain(sequence.ToString());
        return problem;
    }

    [Fact]
    public async Task A_rewritten_event_makes_every_report_and_the_proof_refuse_and_time_travel_flag_it()
    {
        Fixture.Clock.Advance(TimeSpan.FromHours(1));
        var before = await IngestAsync(content: "An intact neighbour.\n", title: "Intact neighbour");
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var from = Fixture.Clock.GetUtcNow();
        var doc = await IngestAsync(content: "Ledgered text.\n", title: "Rewritten history");
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var beforeTamper = Fixture.Clock.GetUtcNow();
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        await EditAsync(doc.Id, 1, "Ledgered text, corrected.\n", reason: "A true reason.");
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var to = Fixture.Clock.GetUtcNow();
        await SignCheckpointAsync();
        var edited = (await EventsOfAsync(doc.Id)).Single(e => e.Version == 2).Sequence;
        var period = $"from={Rfc3339(from)}&to={Rfc3339(to)}";

        await SqlAsync($"drop table if exists {{schema}}.tamper_report; create table {{schema}}.tamper_report as select * from {{schema}}.mt_events where seq_id = {edited}");
        try
        {
            (await SqlAsync($"update {{schema}}.mt_events set data = jsonb_set(data, '{{reason}}', '\"A convenient reason.\"') where seq_id = {edited}")).ShouldBe(1);

            foreach (var format in ReportFormats.All)
            {
                var problem = await ProblemAsync($"/api/documents/{doc.Id}/provenance?format={format.Name}", edited);
                problem.GetProperty("kind").GetString().ShouldBe("payload-changed", format.Name);
            }
            await ProblemAsync($"/api/documents/{doc.Id}/proof", edited, Roles.Reader);
            // The rewritten document is the first of the period, so the streamed reports refuse before they send a byte.
            await ProblemAsync($"/api/reports/provenance?{period}&format=json", edited);
            await ProblemAsync($"/api/reports/provenance?{period}&format=csv", edited);
            await ProblemAsync($"/api/reports/provenance.sig?{period}&format=json", edited);
            await ProblemAsync($"/api/reports/provenance.sig?{period}&format=csv", edited);
            (await As(Roles.Auditor, s => s.Get.Url($"/api/documents/{before.Id}/provenance"))).Context.Response.StatusCode
                .ShouldBe(200, "only the rewritten document is refused");

            var now = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{doc.Id}?asOf={Rfc3339(to)}"));
            var nowBody = await now.ReadAsTextAsync();
            now.Context.Response.StatusCode.ShouldBe(200, nowBody);
            var flagged = JsonDocument.Parse(nowBody).RootElement.GetProperty("ledgerMismatches").EnumerateArray().ToList();
            var mismatch = flagged.ShouldHaveSingleItem();
            mismatch.GetProperty("sequence").GetInt64().ShouldBe(edited);
            mismatch.GetProperty("version").GetInt64().ShouldBe(2);
            mismatch.GetProperty("kind").GetString().ShouldBe("payload-changed");

            var earlier = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{doc.Id}?asOf={Rfc3339(beforeTamper)}"));
            JsonDocument.Parse(await earlier.ReadAsTextAsync()).RootElement.GetProperty("ledgerMismatches").GetArrayLength()
                .ShouldBe(0, "the view before the rewritten event replays only intact events");

            foreach (var url in new[] { $"/documents/{doc.Id}", $"/documents/{doc.Id}?asOf={Rfc3339(to)}", $"/documents/{doc.Id}/integrity" })
            {
                var page = await As(Roles.Reader, s => s.Get.Url(url));
                var html = await page.ReadAsTextAsync();
                page.Context.Response.StatusCode.ShouldBe(200, url);
                html.ShouldContain("class=\"notice bad\"", customMessage: url);
                html.ShouldContain($"sequence {edited}", customMessage: url);
            }
        }
        finally
        {
            await SqlAsync("update {schema}.mt_events e set data = b.data from {schema}.tamper_report b where e.seq_id = b.seq_id; drop table {schema}.tamper_report");
        }

        (await As(Roles.Auditor, s => s.Get.Url($"/api/documents/{doc.Id}/provenance?format=pdf"))).Context.Response.StatusCode.ShouldBe(200);
        (await As(Roles.Reader, s => s.Get.Url($"/api/documents/{doc.Id}/proof"))).Context.Response.StatusCode.ShouldBe(200);
        var restored = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{doc.Id}?asOf={Rfc3339(to)}"));
        JsonDocument.Parse(await restored.ReadAsTextAsync()).RootElement.GetProperty("ledgerMismatches").GetArrayLength().ShouldBe(0);
        var current = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{doc.Id}"));
        JsonDocument.Parse(await current.ReadAsTextAsync()).RootElement.TryGetProperty("ledgerMismatches", out _).ShouldBeFalse(
            "the current view is the projection, not a replay");
    }

    [Fact]
    public async Task A_rewritten_event_found_after_a_streamed_report_began_ends_it_without_a_signature()
    {
        Fixture.Clock.Advance(TimeSpan.FromHours(1));
        var from = Fixture.Clock.GetUtcNow();
        var first = await IngestAsync(content: "First in the period.\n", title: "Streamed first");
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var doc = await IngestAsync(content: "Second in the period.\n", title: "Streamed second");
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var to = Fixture.Clock.GetUtcNow();
        await SignCheckpointAsync();
        var ingested = (await EventsOfAsync(doc.Id)).Single().Sequence;

        await SqlAsync($"drop table if exists {{schema}}.tamper_stream; create table {{schema}}.tamper_stream as select * from {{schema}}.mt_events where seq_id = {ingested}");
        try
        {
            (await SqlAsync($"update {{schema}}.mt_events set data = jsonb_set(data, '{{title}}', '\"Streamed other\"') where seq_id = {ingested}")).ShouldBe(1);
            // The first document's line is sent before the second fails its check: the response is aborted, so the client reads at most
            // that line and then an error instead of the end of the stream; no second document, no trailer, no signature. (The test
            // server drops bytes not yet read when the response aborts, so whether the first line arrives here is a race.)
            using var client = Host.Server.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", KeyFor(Roles.Auditor));
            using var response = await client.GetAsync($"/api/reports/provenance?from={Rfc3339(from)}&to={Rfc3339(to)}&format=json",
                HttpCompletionOption.ResponseHeadersRead);
            ((int)response.StatusCode).ShouldBe(200);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var lines = new List<string>();
            var aborted = await Should.ThrowAsync<IOException>(async () =>
            {
                while (await reader.ReadLineAsync() is { } line) lines.Add(line);
            });
            aborted.InnerException.ShouldBeOfType<LedgerMismatchException>().Mismatch.Sequence.ShouldBe(ingested);
            lines.Count.ShouldBeLessThanOrEqualTo(1);
            foreach (var line in lines)
            {
                JsonDocument.Parse(line).RootElement.GetProperty("document").GetProperty("id").GetGuid().ShouldBe(first.Id);
            }
            await ProblemAsync($"/api/reports/provenance.sig?from={Rfc3339(from)}&to={Rfc3339(to)}&format=json", ingested);
        }
        finally
        {
            await SqlAsync("update {schema}.mt_events e set data = b.data from {schema}.tamper_stream b where e.seq_id = b.seq_id; drop table {schema}.tamper_stream");
        }
    }
}
