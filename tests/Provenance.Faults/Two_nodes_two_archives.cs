using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Faults;

/// <summary>
/// Issue #20: two API processes in Distributed mode serve two archives, archive A in a database on the default server and archive B in a
/// database on a second PostgreSQL server (PROVENANCE_TEST_SECOND_SERVER; the fault cluster itself when unset). Wolverine's leader assigns
/// each archive's agents (audit log, search index, Merkle ledger, webhook fan-out; all of one database on one node) to a node. Under writes
/// to both archives, kill -9 of the node running B's agents, then (after it started again) of the node running A's: each archive's ledger
/// covers an event written after the kill (the time from the kill is the failover time per archive, logged as "failover archive b: 6.3 s"),
/// every acknowledged revision is in its own archive's database with exactly one leaf and one audit entry per event, and no archive's
/// documents are in another's database. Then a third archive created while the nodes run gets its agents (its ledger grows) without a restart.
/// </summary>
public sealed class Two_nodes_two_archives(FaultsFixture fixture, ITestOutputHelper output) : FaultTest(fixture, output)
{
    private const string SystemKey = "pvs_faults_system_key_0123456789abcdefghij";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<Archive> _created = [];
    private readonly List<EditorLoad> _loads = [];

    private void Log(string line) => Say($"[{_clock.Elapsed.TotalSeconds,5:F1} s] {line}");

    /// <summary>An archive as created: its id, the server it is on, its database there and its first admin key.</summary>
    private sealed record Archive(string Id, string Server, string Database, string AdminKey)
    {
        public ConcurrentDictionary<Guid, int> Acked { get; } = new();
    }

    /// <summary>The fault cluster's own server (the nodes' <c>default</c>); its maintenance database for create/drop.</summary>
    private string DefaultServer => new NpgsqlConnectionStringBuilder(Fixture.Cluster.ConnectionString) { Database = "postgres" }.ConnectionString;

    private string SecondServer => Environment.GetEnvironmentVariable("PROVENANCE_TEST_SECOND_SERVER") is { Length: > 0 } second ? second : DefaultServer;

    private string ServerOf(string name) => name == "second" ? SecondServer : DefaultServer;

    private string DatabaseOf(Archive archive)
        => new NpgsqlConnectionStringBuilder(ServerOf(archive.Server)) { Database = archive.Database, Pooling = false, Timeout = 5 }.ConnectionString;

    [Fact]
    public async Task Kill_9_of_the_node_running_an_archives_agents_moves_both_archives_agents_and_a_new_archive_starts_its_agents_without_a_restart()
    {
        var schema = Fixture.Schema + "_two_archives";
        await DropLeftoversAsync();
        var cluster = await Two_nodes.TwoNodes.StartAsync(Fixture, schema, Log, new Dictionary<string, string>
        {
            ["Provenance__SystemKey"] = SystemKey,
            ["Provenance__Tenancy__Servers__second"] = SecondServer,
        });
        try
        {
            await RunAsync(cluster);
        }
        finally
        {
            foreach (var load in _loads) load.Dispose();
            await cluster.DisposeAsync();
            await DropCreatedAsync();
        }
    }

    private async Task RunAsync(Two_nodes.TwoNodes cluster)
    {
        var a = await CreateArchiveAsync(cluster, 0, "failover-a", "default");
        var b = await CreateArchiveAsync(cluster, 1, "failover-b", "second");
        var both = new[] { a, b };

        // Round 1 kills the node running B's Merkle agent, round 2 (after the killed node started again and the leader spread the
        // agents anew) the node running A's: each archive's agents fail over at least once.
        foreach (var (round, target) in new[] { (1, b), (2, a) })
        {
            // Writes to both archives through both nodes; each archive's ledger covers its events.
            var loads = both.ToDictionary(x => x, x => Load(cluster, x, [0, 1], $"round {round}"));
            foreach (var (archive, load) in loads)
            {
                (await load.WaitForAckedAsync(30, TimeSpan.FromSeconds(60))).ShouldBeTrue($"archive {archive.Id}: the load did not reach 30 acknowledged writes");
            }
            foreach (var archive in both)
            {
                (await WaitUntilLedgerCoversAsync(archive, await LastSeqAsync(archive), Bound))
                    .ShouldNotBeNull($"archive {archive.Id}: the ledger did not cover its events within {Bound.TotalSeconds} s");
            }

            var placement = await WaitForPlacementAsync(cluster, both, TimeSpan.FromSeconds(30));
            var leader = (await cluster.AgentNodesAsync()).FirstOrDefault(x => x.Agent == "wolverine://leader/").Node;
            var victim = placement[target]!.Value;
            var survivor = 1 - victim;
            var pid = cluster.Nodes[victim].Pid;
            var killedAt = Stopwatch.StartNew();
            cluster.Nodes[victim].Kill();
            Log($"round {round}: kill -9 of node {victim + 1} (pid {pid}{(leader == victim ? ", the leader" : "")}), which ran the agents of "
                + $"{string.Join(" and ", both.Where(x => placement[x] == victim).Select(x => x.Id))}, after {loads[a].Acked} writes to {a.Id} and {loads[b].Acked} to {b.Id}");

            // A document written to each archive after the kill: its leaf can only come from an agent on the survivor.
            // Beside it, when Wolverine's assignment table had all of the archive's agents on the survivor.
            var failover = await Task.WhenAll(both.Select(async archive =>
            {
                var reassigned = Task.Run(async () =>
                {
                    await WaitForPlacementAsync(cluster, [archive], Bound, onlyNode: survivor, pollEvery: TimeSpan.FromMilliseconds(100));
                    return killedAt.Elapsed.TotalSeconds;
                });
                var seq = await ProbeAsync(cluster, survivor, archive);
                (await WaitUntilLedgerCoversAsync(archive, seq, Bound))
                    .ShouldNotBeNull($"archive {archive.Id}: no leaf for event {seq} (written after the kill) within {Bound.TotalSeconds} s");
                return (archive, seconds: killedAt.Elapsed.TotalSeconds, reassigned: await reassigned);
            }));
            foreach (var (archive, seconds, reassigned) in failover)
            {
                Log(placement[archive] == victim
                    ? $"failover archive {archive.Id[^1..]}: {seconds:F1} s (round {round}; server '{archive.Server}'; from the kill to the leaf of an event"
                        + $" written after it; its agents were assigned to the survivor after {reassigned:F1} s)"
                    : $"round {round}: archive {archive.Id} (its agents on the surviving node) ledgered an event written after the kill {seconds:F1} s after it");
            }
            var moved = await WaitForPlacementAsync(cluster, both, TimeSpan.FromSeconds(30), onlyNode: survivor);
            Log($"round {round}: agents after the kill: {Describe(moved)}");

            foreach (var (archive, load) in loads)
            {
                (await load.WaitForAckedAsync(load.Acked + 20, TimeSpan.FromSeconds(60))).ShouldBeTrue($"archive {archive.Id}: writes through node {survivor + 1} stalled");
                await load.StopAsync();
                Log($"round {round}: archive {archive.Id}: load stopped, {load.Acked} writes acknowledged, {load.Failed} requests failed or were cut (the killed node's)");
            }
            foreach (var archive in both) await CheckSettledAsync(archive);
            await CheckIsolationAsync(both);

            await cluster.RestartAsync(victim);
            Log($"round {round}: node {victim + 1} started again; agents: {Describe(await WaitForPlacementAsync(cluster, both, TimeSpan.FromSeconds(30)))}");
        }

        // A new archive while both nodes run: its agents start with no restart of either node.
        var createdAt = Stopwatch.StartNew();
        var c = await CreateArchiveAsync(cluster, 0, "failover-c", "default");
        var newLoad = Load(cluster, c, [0, 1], "new");
        (await newLoad.WaitForAckedAsync(1, TimeSpan.FromSeconds(30))).ShouldBeTrue($"archive {c.Id}: no write was acknowledged");
        (await WaitUntilLedgerCoversAsync(c, await LastSeqAsync(c), Bound))
            .ShouldNotBeNull($"archive {c.Id}: its ledger did not grow within {Bound.TotalSeconds} s of its creation: its agents did not start");
        var started = createdAt.Elapsed.TotalSeconds;
        (await newLoad.WaitForAckedAsync(newLoad.Acked + 20, TimeSpan.FromSeconds(60))).ShouldBeTrue($"archive {c.Id}: writes stalled");
        await newLoad.StopAsync();
        Log($"new archive {c.Id}: its ledger covered its first event {started:F1} s after the 201, without a restart; agents: "
            + Describe(await WaitForPlacementAsync(cluster, [a, b, c], TimeSpan.FromSeconds(30))));
        await CheckSettledAsync(c);
        await CheckIsolationAsync([a, b, c]);
    }

    /// <summary>Two writers ingesting and editing documents in <paramref name="archive"/> through the given nodes in turn (stopped at the end).</summary>
    private EditorLoad Load(Two_nodes.TwoNodes cluster, Archive archive, int[] nodes, string tag)
    {
        var load = new EditorLoad(nodes.Select(n => cluster.Client(n, archive.AdminKey, 4)).ToList(), archive.Acked, workers: 2, $"{archive.Id} {tag}",
            iterations: 50_000);
        _loads.Add(load);
        return load;
    }

    private async Task<Archive> CreateArchiveAsync(Two_nodes.TwoNodes cluster, int node, string id, string server)
    {
        using var system = cluster.Client(node, SystemKey);
        var clock = Stopwatch.StartNew();
        using var response = await system.PostAsJsonAsync("/api/tenants", new { id, displayName = $"Failover {id}", server });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var archive = new Archive(body.GetProperty("id").GetString()!, server, body.GetProperty("database").GetString()!, body.GetProperty("adminKey").GetString()!);
        _created.Add(archive);
        Log($"created archive {archive.Id} through node {node + 1} in {clock.Elapsed.TotalSeconds:F1} s: database {archive.Database} on server '{server}'");
        return archive;
    }

    /// <summary>Ingests one document through <paramref name="node"/>, retrying while the request fails; the sequence of its event.</summary>
    private async Task<long> ProbeAsync(Two_nodes.TwoNodes cluster, int node, Archive archive)
    {
        using var client = cluster.Client(node, archive.AdminKey);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (id, revision) = await IngestAsync(client, $"{archive.Id} probe after the kill");
                archive.Acked[id] = revision;
                return await ScalarAsync<long>(archive, "select max(seq_id) from {schema}.mt_events where stream_id = $1", id);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && attempt < 20)
            {
                await Task.Delay(250);
            }
        }
    }

    /// <summary>Until the archive's ledger has a leaf for every event up to <paramref name="seq"/>; the time it took, or null.</summary>
    private async Task<TimeSpan?> WaitUntilLedgerCoversAsync(Archive archive, long seq, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        var covered = await WaitUntilAsync(async () =>
        {
            try
            {
                return await ScalarAsync<long>(archive, "select count(*) from {schema}.ledger_leaves where seq_id <= $1", seq)
                    == await ScalarAsync<long>(archive, "select count(*) from {schema}.mt_events where seq_id <= $1", seq);
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }, within);
        return covered ? clock.Elapsed : null;
    }

    private Task<long> LastSeqAsync(Archive archive) => ScalarAsync<long>(archive, "select coalesce(max(seq_id), 0) from {schema}.mt_events");

    private Task<long> NonTombstonesAsync(Archive archive) => ScalarAsync<long>(archive, "select count(*) from {schema}.mt_events where type <> 'tombstone'");

    private Task<long> CountAsync(Archive archive, string table) => ScalarAsync<long>(archive, $"select count(*) from {{schema}}.{table}");

    /// <summary>
    /// Once the archive's ledger and audit log caught up: exactly one leaf per event of the archive, dense leaf indexes, one audit entry per
    /// non-tombstone event, and every acknowledged revision in the archive's own database.
    /// </summary>
    private async Task CheckSettledAsync(Archive archive)
    {
        (await WaitUntilLedgerCoversAsync(archive, await LastSeqAsync(archive), Bound)).ShouldNotBeNull($"archive {archive.Id}: the ledger did not catch up");
        (await WaitUntilAsync(async () => await CountAsync(archive, "mt_doc_auditentry") == await NonTombstonesAsync(archive), Bound))
            .ShouldBeTrue($"archive {archive.Id}: the audit log did not catch up");
        var events = await CountAsync(archive, "mt_events");
        var leaves = await CountAsync(archive, "ledger_leaves");
        var denseTo = await ScalarAsync<long>(archive, "select coalesce(max(leaf_index) + 1, 0) from {schema}.ledger_leaves");
        var eventsWithoutLeaf = await ScalarAsync<long>(archive,
            "select count(*) from {schema}.mt_events e where not exists (select 1 from {schema}.ledger_leaves l where l.seq_id = e.seq_id)");
        var leavesWithoutEvent = await ScalarAsync<long>(archive,
            "select count(*) from {schema}.ledger_leaves l where not exists (select 1 from {schema}.mt_events e where e.seq_id = l.seq_id and e.stream_id = l.stream_id)");
        var audit = await CountAsync(archive, "mt_doc_auditentry");
        var nonTombstone = await NonTombstonesAsync(archive);
        var lost = 0;
        foreach (var (id, revision) in archive.Acked)
        {
            var recorded = await ScalarAsync<int>(archive,
                "select count(*)::int from {schema}.mt_events where stream_id = $1 and type in ('document_ingested', 'document_edited')", id);
            if (recorded < revision) lost++;
        }
        Log($"archive {archive.Id}: {leaves} leaves for {events} events (leaf indexes 0..{denseTo - 1}; {eventsWithoutLeaf} events without a leaf,"
            + $" {leavesWithoutEvent} leaves without their event); {audit} audit entries for {nonTombstone} non-tombstone events;"
            + $" {archive.Acked.Count} documents, {lost} acknowledged revisions missing");
        events.ShouldBeGreaterThan(0);
        leaves.ShouldBe(events);
        denseTo.ShouldBe(leaves);
        eventsWithoutLeaf.ShouldBe(0);
        leavesWithoutEvent.ShouldBe(0);
        audit.ShouldBe(nonTombstone);
        lost.ShouldBe(0);
    }

    /// <summary>No archive's database (nor the default archive's) holds a stream of a document acknowledged by another archive.</summary>
    private async Task CheckIsolationAsync(IReadOnlyList<Archive> created)
    {
        var archives = created.Append(new Archive("default", "default", new NpgsqlConnectionStringBuilder(Fixture.Cluster.ConnectionString).Database!, "")).ToList();
        foreach (var archive in archives)
        {
            var streams = await ScalarAsync<long>(archive, "select count(*) from {schema}.mt_streams");
            var own = await ScalarAsync<long>(archive, "select count(*) from {schema}.mt_streams where id = any($1)", archive.Acked.Keys.ToArray());
            own.ShouldBe(archive.Acked.Count, $"archive {archive.Id}: an acknowledged document has no stream in its own database");
            foreach (var other in archives.Where(o => o != archive))
            {
                var foreign = await ScalarAsync<long>(archive, "select count(*) from {schema}.mt_streams where id = any($1)", other.Acked.Keys.ToArray());
                foreign.ShouldBe(0, $"documents of archive {other.Id} are in the database of {archive.Id}");
            }
            Log($"archive {archive.Id}: {streams} streams in its database, all {archive.Acked.Count} of its documents, none of the other archives'");
        }
    }

    /// <summary>
    /// The node running each archive's Merkle agent, from Wolverine's assignment table, once every archive has as many agents as the default
    /// archive (audit log, search index, Merkle ledger, webhook fan-out), each assigned to a running node (or all to <paramref name="onlyNode"/>).
    /// Agent URIs name the database as <c>host.database</c> (the host's dots written as '!').
    /// </summary>
    private async Task<Dictionary<Archive, int?>> WaitForPlacementAsync(Two_nodes.TwoNodes cluster, IReadOnlyList<Archive> archives, TimeSpan within,
        int? onlyNode = null, TimeSpan? pollEvery = null)
    {
        var clock = Stopwatch.StartNew();
        var last = "";
        while (clock.Elapsed < within)
        {
            var agents = await cluster.AgentNodesAsync();
            List<(string Agent, int? Node)> Of(string database) => agents.Where(x => x.Agent.StartsWith("event-subscriptions://", StringComparison.Ordinal)
                && new Uri(x.Agent).Segments[2].Trim('/').EndsWith("." + database, StringComparison.Ordinal)).ToList();
            var perDatabase = Of(new NpgsqlConnectionStringBuilder(Fixture.Cluster.ConnectionString).Database!).Count;
            var placement = new Dictionary<Archive, int?>();
            var complete = perDatabase > 0;
            foreach (var archive in archives)
            {
                var own = Of(archive.Database);
                complete &= own.Count == perDatabase && own.All(x => x.Node is { } n && (onlyNode is null || n == onlyNode));
                placement[archive] = own.FirstOrDefault(x => x.Agent.Contains("/merkleledger/", StringComparison.Ordinal)).Node;
            }
            last = string.Join("; ", agents.Select(x => $"{x.Agent} on {(x.Node is { } n ? $"node {n + 1}" : "none")}"));
            if (complete) return placement;
            await Task.Delay(pollEvery ?? TimeSpan.FromMilliseconds(200));
        }
        throw new TimeoutException($"the archives' agents were not assigned within {within.TotalSeconds} s: {last}");
    }

    private static string Describe(Dictionary<Archive, int?> placement)
        => string.Join(", ", placement.Select(p => $"{p.Key.Id} on {(p.Value is { } n ? $"node {n + 1}" : "none")}"));

    private async Task<T> ScalarAsync<T>(Archive archive, string sql, params object[] args)
    {
        await using var connection = new NpgsqlConnection(DatabaseOf(archive));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", Fixture.Schema + "_two_archives"), connection);
        foreach (var arg in args) command.Parameters.Add(new NpgsqlParameter { Value = arg });
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Databases an earlier, interrupted run of this test left on either server (provenance_faults__failover_*).</summary>
    private async Task DropLeftoversAsync()
    {
        foreach (var server in new[] { DefaultServer, SecondServer }.Distinct())
        {
            await using var connection = new NpgsqlConnection(server + ";Pooling=false");
            await connection.OpenAsync();
            var names = new List<string>();
            // LIKE's '_' matches any character: escaped, so only this test's names match.
            var prefix = new NpgsqlConnectionStringBuilder(Fixture.Cluster.ConnectionString).Database!.Replace("_", "\\_");
            await using (var find = new NpgsqlCommand(@"select datname from pg_database where datname like $1 || '\_\_failover\_%'", connection))
            {
                find.Parameters.Add(new NpgsqlParameter { Value = prefix });
                await using var reader = await find.ExecuteReaderAsync();
                while (await reader.ReadAsync()) names.Add(reader.GetString(0));
            }
            foreach (var name in names) await DropAsync(connection, name);
        }
    }

    private async Task DropCreatedAsync()
    {
        foreach (var archive in _created)
        {
            await using var connection = new NpgsqlConnection(ServerOf(archive.Server) + ";Pooling=false");
            await connection.OpenAsync();
            await DropAsync(connection, archive.Database);
        }
    }

    private async Task DropAsync(NpgsqlConnection connection, string database)
    {
        await using var drop = new NpgsqlCommand($"drop database if exists \"{database}\" with (force)", connection);
        await drop.ExecuteNonQueryAsync();
        Log($"dropped database {database} on {connection.Host}:{connection.Port}");
    }
}
