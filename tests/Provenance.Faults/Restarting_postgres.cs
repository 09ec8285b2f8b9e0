using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Faults;

public sealed class Restarting_postgres(FaultsFixture fixture, ITestOutputHelper output) : FaultTest(fixture, output)
{
    [Fact]
    public async Task Readiness_reports_the_outage_recovers_by_itself_and_no_acknowledged_write_or_projection_is_lost()
    {
        var cycles = FaultsFixture.Full ? 3 : 1;
        for (var cycle = 1; cycle <= cycles; cycle++)
        {
            var acked = new ConcurrentDictionary<Guid, int>();
            using var load = new EditorLoad([Fixture.Client("contributor", 8)], acked, workers: 4, $"Outage {cycle}", iterations: 20_000);

            (await load.WaitForAckedAsync(40, TimeSpan.FromSeconds(60))).ShouldBeTrue("the load never got going");
            var before = load.Acked;
            Fixture.Cluster.StopImmediately();
            var down = Stopwatch.StartNew();
            var whileDown = await Fixture.Api.WaitForReadyAsync(HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20));
            Say($"cycle {cycle}: pg_ctl stop -m immediate under load (4 writers, {before} writes acknowledged); /health/ready answered {(int?)whileDown} after {down.ElapsedMilliseconds} ms");
            whileDown.ShouldBe(HttpStatusCode.ServiceUnavailable);
            await WritesAreRefusedAsRetryableAsync(cycle);

            Fixture.Cluster.Start();
            var recovered = await Fixture.Api.WaitForReadyAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(60));
            Say($"cycle {cycle}: PostgreSQL started again; /health/ready answered {(int?)recovered} {down.Elapsed.TotalSeconds:F1} s after the stop, without restarting the API");
            recovered.ShouldBe(HttpStatusCode.OK);

            var resumedFrom = load.Acked;
            var resumed = await load.WaitForAckedAsync(resumedFrom + 40, TimeSpan.FromSeconds(60));
            await load.StopAsync();
            Say($"cycle {cycle}: writes succeed again ({load.Acked - resumedFrom} acknowledged after recovery; {load.Failed} failed during the outage)");
            resumed.ShouldBeTrue("writes did not succeed again after PostgreSQL came back");

            var lost = new List<string>();
            foreach (var (id, revision) in acked)
            {
                var recorded = await Fixture.RecordedRevisionAsync(id);
                if (recorded < revision) lost.Add($"{id}: acknowledged {revision}, recorded {recorded}");
            }
            var disagreements = await Fixture.ProjectionDisagreementsAsync();
            Say($"cycle {cycle}: {acked.Count} documents checked: {lost.Count} acknowledged revisions missing; {disagreements.Count} views disagree with mt_events");
            lost.ShouldBeEmpty();
            disagreements.ShouldBeEmpty();
            (await Fixture.ScalarAsync<long>($"select count(*) from {{schema}}.mt_events where data ->> 'title' = 'Written while down {cycle}'"))
                .ShouldBe(0, "a write refused during the outage left an event behind");
        }
    }

    /// <summary>While PostgreSQL is down a write is a retryable 503 problem with Retry-After, never a 500, and nothing of it is kept.</summary>
    private async Task WritesAreRefusedAsRetryableAsync(int cycle)
    {
        using var client = Fixture.Client("contributor", 1);
        using var refused = await client.PostAsync("/api/documents", new StringContent(
            $$"""{"title":"Written while down {{cycle}}","language":"en","content":"Sent during the outage."}""",
            System.Text.Encoding.UTF8, "application/json"));
        var body = await refused.Content.ReadAsStringAsync();
        Say($"cycle {cycle}: an ingestion while PostgreSQL is down answered {(int)refused.StatusCode} {refused.Content.Headers.ContentType}, Retry-After {refused.Headers.RetryAfter}");
        refused.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, body);
        refused.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        body.ShouldContain("urn:provenance:problem:database-unavailable");
        refused.Headers.RetryAfter.ShouldNotBeNull();
    }
}
