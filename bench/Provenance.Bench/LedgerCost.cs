using System.Diagnostics;
using Marten;
using Npgsql;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Provenance.Api.Ledger;
using Provenance.Api.Tenancy;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// All ledger work together against the same appends without the ledger, each side a store of its own in this process. Candidate:
/// the bench API's store (its ledger registered: the Merkle subscription builds chain, tree and tiles; checkpoints build the
/// document map), the clock stopping when the tree covers the last append and a checkpoint with its map is signed at that size.
/// Baseline: a second API host built with <c>AddProvenance(withLedger: false)</c> in its own schema (same projections, same
/// daemon otherwise), the clock stopping at the last commit. Both append one event per transaction, 8 writers, each over 64
/// documents of its own in turn. The baseline is valid only when its schema has no ledger table at the end.
/// </summary>
public sealed class LedgerCost(int workers, int eventsPerRepetition, int plainPort) : Scenario
{
    private const string PlainSchema = "bench_plain";
    private const int DocumentsPerWriter = 64;
    private const double Target = 0.85;
    private WebApplication? _plain;
    private Side _ledger = null!;
    private Side _without = null!;
    private readonly List<double> _tails = [];
    private readonly List<double> _treeTails = [];
    private readonly List<double> _commitRates = [];
    private readonly List<long> _mapDocuments = [];
    private readonly List<CostProbe.Usage> _ledgerUsage = [];
    private readonly List<CostProbe.Usage> _plainUsage = [];

    public override string Name => "ledger-cost";
    public override string Title =>
        $"{eventsPerRepetition:N0} appends by {workers} writers over {workers * DocumentsPerWriter} documents: with the ledger (chain, tree, tiles, map) until a checkpoint covers them vs a store without the ledger";
    public override string Unit => "events/s";
    public override bool HigherIsBetter => true;
    public override double RatioTarget => Target;

    private sealed class Side(IDocumentStore store, Guid[][] streams)
    {
        public IDocumentStore Store { get; } = store;
        public Guid[][] Streams { get; } = streams;
        public int[][] Revisions { get; } = streams.Select(s => s.Select(_ => 1).ToArray()).ToArray();
        public int[] Next { get; } = new int[streams.Length];
    }

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        await using (var connection = new NpgsqlConnection(host.ConnectionString))
        {
            await connection.OpenAsync(ct);
            await using var drop = new NpgsqlCommand($"drop schema if exists {PlainSchema} cascade", connection);
            await drop.ExecuteNonQueryAsync(ct);
        }
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Provenance:Schema"] = PlainSchema;
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls($"http://127.0.0.1:{plainPort}");
        builder.AddProvenance(withLedger: false);
        _plain = builder.Build();
        _plain.UseProvenance();
        await _plain.StartAsync(ct);

        _ledger = await StreamsAsync(host.Store, ct);
        _without = await StreamsAsync(_plain.Services.GetRequiredService<IDocumentStore>(), ct);
    }

    private async Task<Side> StreamsAsync(IDocumentStore store, CancellationToken ct)
    {
        var streams = Enumerable.Range(0, workers).Select(_ => Enumerable.Range(0, DocumentsPerWriter).Select(_ => Guid.CreateVersion7()).ToArray()).ToArray();
        await using var session = store.LightweightSession(Tenants.Default);
        foreach (var id in streams.SelectMany(s => s))
        {
            session.Events.StartStream<DocumentView>(id, new DocumentIngested(id, "Ledger cost bench", "en", "text/plain", Digest(0), 10, null, null,
                null, null, "bench", "bench", null));
        }
        await session.SaveChangesAsync(ct);
        return new Side(store, streams);
    }

    public override async Task WarmUpAsync(BenchHost host, CancellationToken ct)
    {
        await CandidateAsync(host, ct);
        await BaselineAsync(host, ct);
        _tails.Clear();
        _treeTails.Clear();
        _commitRates.Clear();
        _mapDocuments.Clear();
        _ledgerUsage.Clear();
        _plainUsage.Clear();
    }

    public override async Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct)
    {
        var ledger = host.Api.Services.GetRequiredService<LedgerDatabase>();
        var checkpoints = host.Api.Services.GetRequiredService<CheckpointWriter>();
        // Off the clock: the tree and a checkpoint cover everything appended so far.
        await WaitForTreeAsync(ledger, await LastSequenceAsync(host, BenchHost.Schema, ct), ct);
        await checkpoints.CheckpointAsync(ct);
        await SettleAsync(host, ct);

        var before = await CostProbe.UsageAsync(host.RawData, ct);
        var clock = Stopwatch.StartNew();
        var appends = await AppendAsync(_ledger, ct);
        var committed = clock.Elapsed;
        await WaitForTreeAsync(ledger, await LastSequenceAsync(host, BenchHost.Schema, ct), ct);
        var covered = clock.Elapsed;
        var signed = await checkpoints.CheckpointAsync(ct);
        var elapsed = clock.Elapsed;
        _ledgerUsage.Add((await CostProbe.UsageAsync(host.RawData, ct)).Minus(before));
        _tails.Add((elapsed - committed).TotalMilliseconds);
        _treeTails.Add((covered - committed).TotalMilliseconds);
        _commitRates.Add(eventsPerRepetition / committed.TotalSeconds);
        await using (var command = host.RawData.CreateCommand(
            $"select documents_changed from {BenchHost.Schema}.{DocumentMapStore.Roots} where tree_size = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = signed!.TreeSize });
            _mapDocuments.Add((long)(await command.ExecuteScalarAsync(ct))!);
        }
        return appends with { Value = eventsPerRepetition / elapsed.TotalSeconds };
    }

    public override async Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct)
    {
        await SettleAsync(host, ct);
        var before = await CostProbe.UsageAsync(host.RawData, ct);
        var clock = Stopwatch.StartNew();
        var appends = await AppendAsync(_without, ct);
        var elapsed = clock.Elapsed;
        _plainUsage.Add((await CostProbe.UsageAsync(host.RawData, ct)).Minus(before));
        return appends with { Value = eventsPerRepetition / elapsed.TotalSeconds };
    }

    private Task<Measurement> AppendAsync(Side side, CancellationToken ct)
        => LoadDriver.RunAsync(workers, TimeSpan.FromSeconds(120), async (w, c) =>
        {
            var d = side.Next[w];
            side.Next[w] = (d + 1) % DocumentsPerWriter;
            var id = side.Streams[w][d];
            await using var session = side.Store.LightweightSession(Tenants.Default);
            var revision = side.Revisions[w][d] + 1;
            session.Events.Append(id, new DocumentEdited(id, revision, revision - 1, "text/plain", Digest(revision), 42, 1, 1, "bench", "bench edit"));
            await session.SaveChangesAsync(c);
            side.Revisions[w][d] = revision;
            return true;
        }, ct, maxPerWorker: eventsPerRepetition / workers);

    /// <summary>
    /// Off the clock, before each side's appends: vacuum and a checkpoint, so autovacuum and the checkpointer (PostgreSQL CPU and
    /// full-page writes that one side's appends leave behind) do not fall at random into the other side's window.
    /// </summary>
    private static async Task SettleAsync(BenchHost host, CancellationToken ct)
    {
        await using var vacuum = host.RawData.CreateCommand("vacuum (analyze)");
        vacuum.CommandTimeout = 300;
        await vacuum.ExecuteNonQueryAsync(ct);
        await using var checkpoint = host.RawData.CreateCommand("checkpoint");
        checkpoint.CommandTimeout = 300;
        await checkpoint.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> LastSequenceAsync(BenchHost host, string schema, CancellationToken ct)
    {
        await using var command = host.RawData.CreateCommand($"select coalesce(max(seq_id), 0) from {schema}.mt_events");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task WaitForTreeAsync(LedgerDatabase ledger, long sequence, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while ((await ledger.TreeStateAsync(ct)).LastSequence < sequence)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException($"The Merkle tree did not reach sequence {sequence} within 120 s.");
            await Task.Delay(5, ct);
        }
    }

    public override IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline)
    {
        var ratios = candidate.Zip(baseline, (a, b) => a.Value / b.Value).ToArray();
        var ratio = Stats.Median(ratios);
        bool valid;
        long plainEvents;
        using (var connection = new NpgsqlConnection(_plain!.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand(
                $"select to_regclass('{PlainSchema}.{LedgerTables.Leaves}') is null and to_regclass('{PlainSchema}.{DocumentMapStore.Nodes}') is null, " +
                $"(select count(*) from {PlainSchema}.mt_events)", connection);
            using var reader = command.ExecuteReader();
            reader.Read();
            valid = reader.GetBoolean(0);
            plainEvents = reader.GetInt64(1);
        }
        yield return new Row(Name, valid ? "with ledger / without (separate store)" : "with ledger / without: INVALID, the second store has ledger tables",
            ratio, ratios.Min(), ratios.Max(), $"≥ {Target:0.00}", valid && ratio >= Target,
            $"{candidate.Count} + {baseline.Count} repetitions of {eventsPerRepetition} events; last commit → tree and signed checkpoint cover it: median {Stats.F(Stats.Median(_tails))} ms"
            + $" (max {Stats.F(_tails.Max())}), of which the tree catching up {Stats.F(Stats.Median(_treeTails))} ms and signing the checkpoint with its map"
            + $" {Stats.F(Stats.Median(_tails.Zip(_treeTails, (a, b) => a - b)))} ms; documents in each checkpoint's map update: median {Stats.F(Stats.Median(_mapDocuments.Select(d => (double)d)))};"
            + $" append p50 with ledger {Stats.F(Stats.Median(candidate.Select(m => m.P50Ms)))} ms vs without {Stats.F(Stats.Median(baseline.Select(m => m.P50Ms)))} ms;"
            + $" events in the store without the ledger: {plainEvents:N0}");
        var commitRatios = _commitRates.Zip(baseline, (a, b) => a / b.Value).ToArray();
        yield return new Row(Name, "appends committed with ledger / without (clock stops at the last commit on both sides)", Stats.Median(commitRatios),
            commitRatios.Min(), commitRatios.Max(), $"≥ {Target:0.00}", valid && Stats.Median(commitRatios) >= Target,
            $"with ledger {Stats.F(Stats.Median(_commitRates))} vs without {Stats.F(Stats.Median(baseline.Select(b => b.Value)))} events/s (the ledger catching up meanwhile)");
        // What each append cost the machine, each side's whole window (the ledger's from the first append until the checkpoint covers the last).
        string Per(List<CostProbe.Usage> usage) =>
            $".NET CPU {Stats.F(Stats.Median(usage.Select(u => u.DotnetCpuMs / eventsPerRepetition)))} ms, PostgreSQL CPU {Stats.F(Stats.Median(usage.Select(u => u.PostgresCpuMs / eventsPerRepetition)))} ms, "
            + $"WAL {Stats.F(Stats.Median(usage.Select(u => u.WalBytes / eventsPerRepetition)) / 1024)} KB, commits {Stats.F(Stats.Median(usage.Select(u => u.Commits / eventsPerRepetition)))}";
        var cpuRatios = _ledgerUsage.Zip(_plainUsage, (a, b) => (a.DotnetCpuMs + a.PostgresCpuMs) / (b.DotnetCpuMs + b.PostgresCpuMs)).ToArray();
        yield return new Row(Name, "CPU per append with ledger / without (.NET + PostgreSQL, context)", Stats.Median(cpuRatios), cpuRatios.Min(), cpuRatios.Max(), "context", true,
            $"per append with ledger: {Per(_ledgerUsage)}; without: {Per(_plainUsage)}");
    }

    private static string Digest(int n) => "sha256:" + n.ToString("x64");
}
