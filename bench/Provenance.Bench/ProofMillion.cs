using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;
using Provenance.Api.Ledger;
using Provenance.Ledger;
using Weasel.Postgresql;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// Scenario 6: inclusion proofs in a ledger of 1,000,000 leaves, through the production read path (<see cref="LedgerDatabase.LeafBySequenceAsync"/>
/// then <see cref="ProofPlan.ForInclusion"/> + <see cref="ProofPlan{T}.ExecuteAsync"/>: two round trips, the second fetching the ~20 nodes in
/// one query), against one indexed point lookup (<c>select leaf_hash from ledger_leaves where seq_id = $1</c>).
/// The ledger is seeded in bulk in a schema of its own: leaves and nodes computed in process with <see cref="MerkleAppender"/> and
/// written with binary COPY. This benchmarks proof generation over a large tree, not ingestion (the daemon never sees these leaves).
/// </summary>
public sealed class ProofMillion(int leaves, int proofsPerRepetition) : Scenario
{
    public const string ProofSchema = "bench_proof";

    private LedgerDatabase _ledger = null!;
    private byte[] _root = [];
    private readonly Random _random = new(20261123);

    public override string Name => "proof-1m";
    public override string Title => $"inclusion proof of a random leaf in a {leaves:N0}-leaf ledger, median of {proofsPerRepetition} per repetition";
    public override string Unit => "ms per proof";
    public override bool HigherIsBetter => false;
    public override double RatioTarget => 2;

    /// <summary>Leaf i has sequence 2i + 1: sequences with gaps, as Marten's have.</summary>
    private static long SequenceOf(long leafIndex) => 2 * leafIndex + 1;

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        // Proofs read only the ledger's tables, through the API's pool (its default archive); the event reader is the API's (unused here).
        _ledger = new LedgerDatabase(host.Api.Services.GetRequiredService<Provenance.Api.Tenancy.Archives>(), ProofSchema,
            host.Api.Services.GetRequiredService<Provenance.Api.EventStore.StoredEvents>());
        var clock = Stopwatch.StartNew();
        await using (var reset = host.RawData.CreateCommand($"drop schema if exists {ProofSchema} cascade; create schema {ProofSchema};"))
        {
            await reset.ExecuteNonQueryAsync(ct);
        }
        var ddl = new StringWriter();
        var migrator = new PostgresqlMigrator();
        foreach (var table in LedgerTables.SchemaObjects(ProofSchema).Where(t => t.Identifier.Name is LedgerTables.Leaves or LedgerTables.Nodes))
        {
            table.WriteCreateStatement(migrator, ddl);
        }
        await using (var create = host.RawData.CreateCommand(ddl.ToString()))
        {
            await create.ExecuteNonQueryAsync(ct);
        }

        var appender = new MerkleAppender();
        var streams = Enumerable.Range(0, 10_000).Select(_ => Guid.CreateVersion7()).ToArray();
        var versions = new long[streams.Length];
        var previous = new byte[streams.Length][];
        Array.Fill(previous, new byte[MerkleHash.Size]);
        var nodes = new List<MerkleNode>(leaves * 2);
        await using var connection = await host.RawData.OpenConnectionAsync(ct);
        await using (var copy = await connection.BeginBinaryImportAsync(
            $"copy {ProofSchema}.{LedgerTables.Leaves} (leaf_index, seq_id, stream_id, version, leaf_hash, chain_prev, payload_hash) from stdin (format binary)", ct))
        {
            var seed = new byte[8];
            for (long i = 0; i < leaves; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(seed, i);
                var payloadHash = SHA256.HashData(seed);
                var leafHash = MerkleHash.LeafHash(payloadHash);
                var s = (int)(i % streams.Length);
                await copy.StartRowAsync(ct);
                copy.Write(i, NpgsqlDbType.Bigint);
                copy.Write(SequenceOf(i), NpgsqlDbType.Bigint);
                copy.Write(streams[s], NpgsqlDbType.Uuid);
                copy.Write(++versions[s], NpgsqlDbType.Bigint);
                copy.Write(leafHash, NpgsqlDbType.Bytea);
                copy.Write(previous[s], NpgsqlDbType.Bytea);
                copy.Write(payloadHash, NpgsqlDbType.Bytea);
                previous[s] = leafHash;
                nodes.AddRange(appender.Append(leafHash));
            }
            await copy.CompleteAsync(ct);
        }
        await using (var copy = await connection.BeginBinaryImportAsync(
            $"copy {ProofSchema}.{LedgerTables.Nodes} (level, idx, hash) from stdin (format binary)", ct))
        {
            // As the Merkle subscription stores them: level 0 is the leaves' own hashes, in ledger_leaves.
            foreach (var node in nodes.Where(n => n.Level > 0))
            {
                await copy.StartRowAsync(ct);
                copy.Write(node.Level, NpgsqlDbType.Integer);
                copy.Write(node.Index, NpgsqlDbType.Bigint);
                copy.Write(node.Hash, NpgsqlDbType.Bytea);
            }
            await copy.CompleteAsync(ct);
        }
        await using (var analyze = new NpgsqlCommand($"vacuum analyze {ProofSchema}.{LedgerTables.Leaves}, {ProofSchema}.{LedgerTables.Nodes}", connection))
        {
            await analyze.ExecuteNonQueryAsync(ct);
        }
        _root = appender.Root();
        Console.WriteLine($"   seeded {leaves:N0} leaves and {nodes.Count:N0} nodes by binary COPY in {clock.Elapsed.TotalSeconds:F1} s");
    }

    public override async Task WarmUpAsync(BenchHost host, CancellationToken ct)
    {
        for (var i = 0; i < 200; i++)
        {
            await ProveAsync(ct);
            await LookUpAsync(host, ct);
        }
    }

    public override async Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct)
    {
        var measurement = await TimeAsync(ProveAsync, ct);
        return measurement;
    }

    public override Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct) => TimeAsync(c => LookUpAsync(host, c), ct);

    private long RandomSequence() => SequenceOf(_random.NextInt64(leaves));

    private async Task ProveAsync(CancellationToken ct)
    {
        var (leaf, proof) = await _ledger.InclusionAsync(RandomSequence(), leaves, ct);
        if (leaf is null || proof is null) throw new InvalidOperationException("Seeded leaf not found.");
        // Checking every proof against the root costs ~20 hashes (microseconds) and proves the benchmark measured real proofs.
        var check = proof.Verify(leaf.LeafHash, _root);
        if (!check.IsValid) throw new InvalidOperationException($"Proof of leaf {leaf.LeafIndex} does not verify: {check.Reason}");
    }

    private async Task LookUpAsync(BenchHost host, CancellationToken ct)
    {
        await using var command = host.RawData.CreateCommand($"select leaf_hash from {ProofSchema}.{LedgerTables.Leaves} where seq_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = RandomSequence() });
        if (await command.ExecuteScalarAsync(ct) is not byte[]) throw new InvalidOperationException("Seeded leaf not found.");
    }

    private async Task<Measurement> TimeAsync(Func<CancellationToken, Task> operation, CancellationToken ct)
    {
        var times = new double[proofsPerRepetition];
        for (var i = 0; i < proofsPerRepetition; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await operation(ct);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return new Measurement(Stats.Median(times), proofsPerRepetition, 0, Stats.Percentile(times, 50), Stats.Percentile(times, 99));
    }

    public override IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline)
    {
        var tails = candidate.Zip(baseline, (a, b) => a.P99Ms / b.P99Ms).ToArray();
        var tail = Stats.Median(tails);
        yield return new Row(Name, "ledger p99 / raw p99 (ms)", tail, tails.Min(), tails.Max(), "— (context)", true,
            $"proof p99 {Stats.F(Stats.Median(candidate.Select(m => m.P99Ms)))} ms vs lookup p99 {Stats.F(Stats.Median(baseline.Select(m => m.P99Ms)))} ms;"
            + $" a proof is one query (the leaf by sequence with its ≤ 8 siblings below level 8); its ≤ {ProofPlan.ForInclusion(0, leaves).Nodes.Count} nodes above level 8"
            + " come from memory once read (perfect subtrees never change); the HTTP endpoint adds the latest checkpoint");
    }
}
