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
            var ackedCount = 0;
            var failed = 0;
            using var client = Fixture.Client("contributor", 8);
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                Guid? id = null;
                var revision = 0;
                for (var n = 0; n < 20_000 && !stop.IsCancellationRequested; n++)
                {
                    try
                    {
                        if (id is null)
                        {
                            (var created, revision) = await IngestAsync(client, $"Outage document {cycle}.{w}", stop.Token);
                            id = created;
                            acked[created] = revision;
                            Interlocked.Increment(ref ackedCount);
                            continue;
                        }
                        using var response = await EditAsync(client, id.Value, revision, $"Outage edit {cycle}.{w}.{n}", stop.Token);
                        if (response.StatusCode == HttpStatusCode.Created)
                        {
                            acked[id.Value] = revision = Revision(response);
                            Interlocked.Increment(ref ackedCount);
                        }
                        else if (response.StatusCode == HttpStatusCode.PreconditionFailed) revision = Revision(response);
                        else
                        {
                            Interlocked.Increment(ref failed);
                            await Task.Delay(50, stop.Token); // back off while the database is away; the loop stays bounded
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        Interlocked.Increment(ref failed);
                        if (stop.IsCancellationRequested) break;
                    }
                }
            })).ToArray();

            (await WaitUntilAsync(() => Volatile.Read(ref ackedCount) >= 40, TimeSpan.FromSeconds(60))).ShouldBeTrue("the load never got going");
            var before = Volatile.Read(ref ackedCount);
            Fixture.Cluster.StopImmediately();
            var down = Stopwatch.StartNew();
            var whileDown = await Fixture.Api.WaitForReadyAsync(HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20));
            Say($"cycle {cycle}: pg_ctl stop -m immediate under load (4 writers, {before} writes acknowledged); /health/ready answered {(int?)whileDown} after {down.ElapsedMilliseconds} ms");
            whileDown.ShouldBe(HttpStatusCode.ServiceUnavailable);

            Fixture.Cluster.Start();
            var recovered = await Fixture.Api.WaitForReadyAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(60));
            Say($"cycle {cycle}: PostgreSQL started again; /health/ready answered {(int?)recovered} {down.Elapsed.TotalSeconds:F1} s after the stop, without restarting the API");
            recovered.ShouldBe(HttpStatusCode.OK);

            var resumedFrom = Volatile.Read(ref ackedCount);
            var resumed = await WaitUntilAsync(() => Volatile.Read(ref ackedCount) >= resumedFrom + 40, TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            Say($"cycle {cycle}: writes succeed again ({Volatile.Read(ref ackedCount) - resumedFrom} acknowledged after recovery; {failed} failed during the outage)");
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
        }
    }

    /// <summary>Bounded polling of a condition, with a deadline.</summary>
    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (condition()) return true;
            await Task.Delay(100);
        }
        return condition();
    }
}
