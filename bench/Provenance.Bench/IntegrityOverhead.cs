using System.Diagnostics;
using JasperFx.Events.Daemon;
using Marten;
using Provenance.Api.Documents;
using Provenance.Api.Ledger;
using Provenance.Api.Tenancy;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// The cost of tamper evidence on the write path. Both sides append the same number of events (one per transaction, 8 writers,
/// each on its own stream) through the app's own DocumentStore, with the rest of the daemon (audit log, webhook fan-out) running.
/// Candidate: the Merkle subscription running and caught up before the clock starts; the clock stops when the last appended
/// event is a leaf (append + tree covering it: the subscription competes for the 2 cores and the last page's poll is included).
/// Baseline: the Merkle subscription's agent stopped (<c>StopAgentAsync("MerkleLedger:All")</c>); the clock stops when the
/// last append committed. Between repetitions the subscription is restarted and catches up off the clock. The tree must not grow
/// during a baseline repetition; when it does (on 2026-11-23 it did: the running Solo daemon brought the stopped agent back, and
/// <c>PauseShardAsync("MerkleLedger")</c> refuses a subscription's name), the baseline is not "without the ledger" and the row says so.
/// </summary>
public sealed class IntegrityOverhead(int workers, int eventsPerRepetition) : Scenario
{
    private const string Shard = MerkleSubscription.SubscriptionName + ":All";
    private const double MaxOverhead = 0.15;
    private Guid[] _streams = [];
    private int[] _revisions = [];
    private readonly List<double> _tails = [];
    private long _leavesWhileStopped;

    public override string Name => "integrity-overhead";
    public override string Title => $"{eventsPerRepetition:N0} appends by {workers} writers, with the Merkle subscription until the tree covers them vs without it";
    public override string Unit => "events/s";
    public override bool HigherIsBetter => true;
    public override double RatioTarget => 1 - MaxOverhead;

    private static ValueTask<IProjectionDaemon> DaemonAsync(BenchHost host) => host.Api.Services.GetRequiredService<IProjectionCoordinator>().DaemonForDatabase(Tenants.Default);

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        _streams = Enumerable.Range(0, workers).Select(_ => Guid.CreateVersion7()).ToArray();
        _revisions = Enumerable.Repeat(1, workers).ToArray();
        await using var session = host.Store.LightweightSession(Tenants.Default);
        foreach (var id in _streams)
        {
            session.Events.StartStream<DocumentView>(id, new DocumentIngested(id, "Integrity bench", "en", "text/plain", Digest(0), 10, null, null,
                null, null, "bench", "bench", null));
        }
        await session.SaveChangesAsync(ct);
    }

    public override async Task WarmUpAsync(BenchHost host, CancellationToken ct)
    {
        await CandidateAsync(host, ct);
        await BaselineAsync(host, ct);
        _tails.Clear();
        _leavesWhileStopped = 0;
    }

    public override async Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct)
    {
        var ledger = host.Api.Services.GetRequiredService<LedgerDatabase>();
        await (await DaemonAsync(host)).StartAgentAsync(Shard, ct);
        await WaitForTreeAsync(host, ledger, await LastSequenceAsync(host, ct), TimeSpan.FromSeconds(120), ct);

        var clock = Stopwatch.StartNew();
        var appends = await AppendAsync(host, ct);
        var committed = clock.Elapsed;
        await WaitForTreeAsync(host, ledger, await LastSequenceAsync(host, ct), TimeSpan.FromSeconds(60), ct);
        var elapsed = clock.Elapsed;
        _tails.Add((elapsed - committed).TotalMilliseconds);
        return appends with { Value = eventsPerRepetition / elapsed.TotalSeconds };
    }

    public override async Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct)
    {
        await (await DaemonAsync(host)).StopAgentAsync(Shard);
        var ledger = host.Api.Services.GetRequiredService<LedgerDatabase>();
        var before = (await ledger.TreeStateAsync(ct)).Size;
        var clock = Stopwatch.StartNew();
        var appends = await AppendAsync(host, ct);
        var elapsed = clock.Elapsed.TotalSeconds;
        // Proof that the baseline ran without the subscription: the tree must not grow while its agent is stopped.
        _leavesWhileStopped += (await ledger.TreeStateAsync(ct)).Size - before;
        return appends with { Value = eventsPerRepetition / elapsed };
    }

    private Task<Measurement> AppendAsync(BenchHost host, CancellationToken ct)
        => LoadDriver.RunAsync(workers, TimeSpan.FromSeconds(60), async (w, c) =>
        {
            await using var session = host.Store.LightweightSession(Tenants.Default);
            var revision = _revisions[w] + 1;
            session.Events.Append(_streams[w], new DocumentEdited(_streams[w], revision, revision - 1, "text/plain", Digest(revision), 42, 1, 1, "bench", "bench edit"));
            await session.SaveChangesAsync(c);
            _revisions[w] = revision;
            return true;
        }, ct, maxPerWorker: eventsPerRepetition / workers);

    private static async Task<long> LastSequenceAsync(BenchHost host, CancellationToken ct)
    {
        await using var command = host.RawData.CreateCommand($"select coalesce(max(seq_id), 0) from {BenchHost.Schema}.mt_events");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task WaitForTreeAsync(BenchHost host, LedgerDatabase ledger, long sequence, TimeSpan patience, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while ((await ledger.TreeStateAsync(ct)).LastSequence < sequence)
        {
            if (deadline.Elapsed > patience) throw new TimeoutException($"The Merkle tree did not reach sequence {sequence} within {patience}.");
            await Task.Delay(5, ct);
        }
    }

    public override IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline)
    {
        var overheads = candidate.Zip(baseline, (a, b) => 1 - a.Value / b.Value).ToArray();
        var overhead = Stats.Median(overheads);
        var valid = _leavesWhileStopped == 0;
        yield return new Row(Name, valid ? "overhead (1 − ledger / raw)" : "overhead (1 − ledger / raw): INVALID, the baseline ran with the subscription",
            overhead, overheads.Min(), overheads.Max(), $"≤ {MaxOverhead:P0}", valid && overhead <= MaxOverhead,
            $"last commit → tree covers it: median {Stats.F(Stats.Median(_tails))} ms (max {Stats.F(_tails.Max())}); append p50 with ledger"
            + $" {Stats.F(Stats.Median(candidate.Select(m => m.P50Ms)))} ms vs without {Stats.F(Stats.Median(baseline.Select(m => m.P50Ms)))} ms;"
            + $" leaves added while the subscription was stopped: {_leavesWhileStopped}");
    }

    private static string Digest(int n) => "sha256:" + n.ToString("x64");
}
