using System.Collections.Concurrent;
using System.Net;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Faults;

public sealed class Killing_the_api(FaultsFixture fixture, ITestOutputHelper output) : FaultTest(fixture, output)
{
    [Fact]
    public async Task Every_acknowledged_ingest_and_edit_survives_kill_9_and_projections_agree_with_events()
    {
        var cycles = FaultsFixture.Full ? 3 : 1;
        var ackedBeforeKill = FaultsFixture.Full ? 400 : 60;
        for (var cycle = 1; cycle <= cycles; cycle++)
        {
            var acked = new ConcurrentDictionary<Guid, int>();
            var enough = new TaskCompletionSource();
            using var client = Fixture.Client("contributor", 16);
            using var stop = new CancellationTokenSource();
            var ackedCount = 0;
            void Ack(Guid id, int revision)
            {
                acked.AddOrUpdate(id, revision, (_, old) => Math.Max(old, revision));
                if (Interlocked.Increment(ref ackedCount) >= ackedBeforeKill) enough.TrySetResult();
            }

            var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                try
                {
                    if (w % 2 == 0)
                    {
                        for (var n = 0; n < 10_000 && !stop.IsCancellationRequested; n++)
                        {
                            var (id, revision) = await IngestAsync(client, $"Ingest {cycle}.{w}.{n}", stop.Token);
                            Ack(id, revision);
                        }
                    }
                    else
                    {
                        var (id, revision) = await IngestAsync(client, $"Edited document {cycle}.{w}", stop.Token);
                        Ack(id, revision);
                        for (var n = 0; n < 10_000 && !stop.IsCancellationRequested; n++)
                        {
                            using var response = await EditAsync(client, id, revision, $"Edit {cycle}.{w}.{n}", stop.Token);
                            if (response.StatusCode == HttpStatusCode.Created) Ack(id, revision = Revision(response));
                            else if (response.StatusCode == HttpStatusCode.PreconditionFailed) revision = Revision(response);
                        }
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    // The kill cut this request: its outcome is unknown, and it was not acknowledged.
                }
            })).ToArray();

            var reached = await Task.WhenAny(enough.Task, Task.WhenAll(workers), Task.Delay(TimeSpan.FromSeconds(60)));
            reached.ShouldBe(enough.Task, $"the load did not reach {ackedBeforeKill} acknowledged writes");
            var pid = Fixture.Api.Pid;
            Fixture.Api.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            Say($"cycle {cycle}: kill -9 of API pid {pid} after {Volatile.Read(ref ackedCount)} acknowledged writes over {acked.Count} documents (4 ingesting, 4 editing workers)");

            await Fixture.Api.StartAsync(TimeSpan.FromSeconds(90));
            Say("restarted the API; /health/ready answered 200");

            var lost = new List<string>();
            using var reader = Fixture.Client("reader");
            foreach (var (id, revision) in acked)
            {
                var recorded = await Fixture.RecordedRevisionAsync(id);
                if (recorded < revision) lost.Add($"{id}: acknowledged revision {revision}, ledger has {recorded}");
                using var view = await reader.GetAsync($"/api/documents/{id}");
                if (view.StatusCode != HttpStatusCode.OK || Revision(view) < revision) lost.Add($"{id}: GET answered {(int)view.StatusCode}");
            }
            var disagreements = await Fixture.ProjectionDisagreementsAsync();
            Say($"checked {acked.Count} documents: every acknowledged revision is in mt_events and served by GET ({lost.Count} missing);"
                + $" DocumentView revision/version == events per stream for all documents ({disagreements.Count} disagreements)");
            lost.ShouldBeEmpty();
            disagreements.ShouldBeEmpty();
        }
    }
}
