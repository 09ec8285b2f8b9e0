using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Faults;

/// <summary>
/// Two API processes in Distributed mode on one schema (Wolverine elects a leader and assigns the audit log, Merkle ledger and
/// webhook fan-out agents to one node each), one webhook subscription to a Kestrel receiver in this process on 127.0.0.1.
/// What is asserted, per webhook subscription:
/// every event is delivered at least once; each <c>webhook-id</c> names one event; a <c>webhook-id</c> arrives more than once only
/// if its delivery was claimed and unsettled when the fault struck (kill -9: leased at the kill; PostgreSQL restart: first received
/// before the database was back); per document, first arrivals come in stream-version order 1, 2, 3, ... with no gap; the Merkle
/// ledger has exactly one leaf per mt_events row; the audit log has exactly one entry per non-tombstone event.
/// </summary>
public sealed class Two_nodes(FaultsFixture fixture, ITestOutputHelper output) : FaultTest(fixture, output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Each line with the seconds since the test started.</summary>
    private void Log(string line) => Say($"[{_clock.Elapsed.TotalSeconds,5:F1} s] {line}");

    [Fact]
    public async Task Kill_9_of_one_node_under_load_moves_its_agents_and_every_event_is_delivered_once_in_order_and_ledgered_once()
    {
        var rounds = FaultsFixture.Full ? 3 : 1;
        var beforeKill = FaultsFixture.Full ? 300 : 50;
        var afterKill = FaultsFixture.Full ? 200 : 30;
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var cluster = await TwoNodes.StartAsync(Fixture, Fixture.Schema + "_two_kill", Log);
        var subscription = await cluster.SubscribeAsync(receiver);
        var leasedAtFaults = new HashSet<string>();
        var acked = new ConcurrentDictionary<Guid, int>();

        for (var round = 1; round <= rounds; round++)
        {
            var assignments = await cluster.WaitForAgentsAsync(TimeSpan.FromSeconds(30));
            var victim = round % 2 == 1 ? assignments.FanOutNode : assignments.LeaderNode;
            var survivor = 1 - victim;
            using var load = new EditorLoad([cluster.Client(0, 16), cluster.Client(1, 16)], acked, workers: 6, $"Two nodes kill{round}", iterations: 50_000);
            (await load.WaitForAckedAsync(beforeKill, TimeSpan.FromSeconds(60))).ShouldBeTrue($"the load did not reach {beforeKill} acknowledged writes");
            (await WaitUntilAsync(() => Task.FromResult(receiver.Arrivals.Count > 0), TimeSpan.FromSeconds(30))).ShouldBeTrue("no webhook arrived under load");
            // Mid-delivery: kill while deliveries are claimed and unsettled (the receiver takes 50 ms per request).
            (await WaitUntilAsync(async () => (await cluster.LeasedDeliveryIdsAsync()).Count > 0, TimeSpan.FromSeconds(30)))
                .ShouldBeTrue("no delivery was ever in flight");

            var pid = cluster.Nodes[victim].Pid;
            var killedAt = Stopwatch.StartNew();
            cluster.Nodes[victim].Kill();
            var leased = await cluster.LeasedDeliveryIdsAsync();
            leasedAtFaults.UnionWith(leased);
            Log($"round {round}: kill -9 of node {victim + 1} (pid {pid}; it ran {assignments.Describe(victim)}) after {load.Acked} acknowledged writes"
                + $" through both nodes (6 workers) and {receiver.Arrivals.Count} webhook arrivals; {leased.Count} deliveries were leased and unsettled at the kill");

            (await load.WaitForAckedAsync(load.Acked + afterKill, TimeSpan.FromSeconds(60))).ShouldBeTrue($"writes through node {survivor + 1} stalled after the kill");
            await load.StopAsync();
            Log($"round {round}: load stopped: {load.Acked} writes acknowledged, {load.Failed} requests failed or were cut (the killed node's)");

            var moved = await cluster.WaitForAgentsAsync(TimeSpan.FromSeconds(45), onlyNode: survivor);
            Log($"round {round}: {killedAt.Elapsed.TotalSeconds:F1} s after the kill node {survivor + 1} runs {moved.Describe(survivor)}; its log: "
                + string.Join(" | ", cluster.Notable(survivor).TakeLast(8)));

            var settled = await cluster.WaitUntilSettledAsync(subscription, receiver, Settle);
            Log($"round {round}: settled {killedAt.Elapsed.TotalSeconds:F1} s after the kill: {settled}");
            await cluster.CheckAsync(subscription, receiver, acked, leasedAtFaults, duplicateRule: "leased at a kill", Log);

            if (round < rounds)
            {
                await cluster.RestartAsync(victim);
                Log($"round {round}: node {victim + 1} started again and is ready");
            }
        }
    }

    [Fact]
    public async Task PostgreSQL_restart_during_webhook_delivery_every_event_still_arrives_in_order_per_document()
    {
        var cycles = FaultsFixture.Full ? 3 : 1;
        var beforeStop = FaultsFixture.Full ? 200 : 30;
        var afterStart = FaultsFixture.Full ? 150 : 30;
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var cluster = await TwoNodes.StartAsync(Fixture, Fixture.Schema + "_two_pg", Log);
        var subscription = await cluster.SubscribeAsync(receiver);
        var acked = new ConcurrentDictionary<Guid, int>();
        var inFlight = new HashSet<string>();

        for (var cycle = 1; cycle <= cycles; cycle++)
        {
            await cluster.WaitForAgentsAsync(TimeSpan.FromSeconds(30));
            using var load = new EditorLoad([cluster.Client(0, 16), cluster.Client(1, 16)], acked, workers: 4, $"Two nodes pg{cycle}", iterations: 50_000);
            (await load.WaitForAckedAsync(beforeStop, TimeSpan.FromSeconds(60))).ShouldBeTrue($"the load did not reach {beforeStop} acknowledged writes");
            var arrivalsBefore = receiver.Arrivals.Count;
            (await WaitUntilAsync(() => Task.FromResult(receiver.Arrivals.Count > arrivalsBefore), TimeSpan.FromSeconds(30)))
                .ShouldBeTrue("no webhook was being delivered");

            Fixture.Cluster.StopImmediately();
            var down = Stopwatch.StartNew();
            var arrivalsAtStop = receiver.Arrivals.Count;
            var unready = await Task.WhenAll(cluster.Nodes.Select(n => n.WaitForReadyAsync(HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20))));
            Log($"cycle {cycle}: pg_ctl stop -m immediate while delivering ({load.Acked} writes acknowledged, {arrivalsAtStop} webhook arrivals);"
                + $" /health/ready answered {string.Join(" and ", unready.Select(s => (int?)s))} on the two nodes");

            Fixture.Cluster.Start();
            var ready = await Task.WhenAll(cluster.Nodes.Select(n => n.WaitForReadyAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(60))));
            var backAt = receiver.Clock.Elapsed;
            Log($"cycle {cycle}: PostgreSQL started again; /health/ready answered {string.Join(" and ", ready.Select(s => (int?)s))}"
                + $" {down.Elapsed.TotalSeconds:F1} s after the stop, without restarting either node");
            ready.ShouldAllBe(s => s == HttpStatusCode.OK);

            (await load.WaitForAckedAsync(load.Acked + afterStart, TimeSpan.FromSeconds(60))).ShouldBeTrue("writes did not succeed again after PostgreSQL came back");
            await load.StopAsync();
            Log($"cycle {cycle}: load stopped: {load.Acked} writes acknowledged, {load.Failed} failed during the outage");

            // A delivery sent just before the stop whose outcome could not be recorded is sent again once its lease runs out:
            // the only duplicates allowed here are of webhook-ids first received before the database was back.
            inFlight.UnionWith(receiver.Arrivals.Where(a => a.At < backAt).Select(a => a.WebhookId));
            var settled = await cluster.WaitUntilSettledAsync(subscription, receiver, Settle);
            Log($"cycle {cycle}: settled {down.Elapsed.TotalSeconds:F1} s after the stop: {settled}; leader and agents: "
                + string.Join(" | ", cluster.Notable(0).Concat(cluster.Notable(1)).Where(l => l.Contains("leadership") || l.Contains("Ejected")).TakeLast(4)));
            await cluster.CheckAsync(subscription, receiver, acked, inFlight, duplicateRule: "first received before PostgreSQL was back", Log);
        }
    }

    /// <summary>Two API processes in Distributed mode on one schema, with fast failover settings for the test.</summary>
    internal sealed class TwoNodes : IAsyncDisposable
    {
        private readonly FaultsFixture _fixture;
        private readonly string _schema;
        private readonly int[] _ports;
        private readonly Action<string> _say;
        private readonly IReadOnlyDictionary<string, string> _environment;
        public ApiProcess[] Nodes { get; }

        private TwoNodes(FaultsFixture fixture, string schema, Action<string> say, IReadOnlyDictionary<string, string>? environment)
        {
            _fixture = fixture;
            _schema = schema;
            _say = say;
            _environment = environment ?? new Dictionary<string, string>();
            var basePort = int.Parse(Environment.GetEnvironmentVariable("PROVENANCE_FAULTS_API_PORT") ?? "5095");
            _ports = [basePort + 1, basePort + 2];
            Nodes = [NewNode(0), NewNode(1)];
        }

        private ApiProcess NewNode(int index) => new(_fixture.Cluster.ConnectionString, _schema, FaultsFixture.AdminKey, _ports[index],
            new Dictionary<string, string>(_environment)
            {
                ["Provenance__Daemon"] = "Distributed",
                ["Provenance__Cluster__HeartbeatInterval"] = "00:00:01",
                ["Provenance__Cluster__StaleNodeTimeout"] = "00:00:06",
                ["Provenance__Webhooks__AllowedHosts__0"] = "127.0.0.1",
                ["Provenance__Webhooks__Timeout"] = "00:00:02",
                ["Provenance__Webhooks__LeaseMargin"] = "00:00:01",
                ["Provenance__Webhooks__PollInterval"] = "00:00:00.200",
                ["Provenance__Webhooks__InitialBackoff"] = "00:00:00.200",
                ["Provenance__Webhooks__MaxBackoff"] = "00:00:02",
                ["Provenance__Webhooks__MaxConsecutiveFailures"] = "10000",
                ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
                ["Logging__LogLevel__Wolverine.Runtime.Agents"] = "Information",
                ["Logging__LogLevel__Marten.Events.Daemon.ProjectionDaemon"] = "Information",
            });

        /// <param name="environment">Further settings of both nodes (the system key, tenancy servers).</param>
        public static async Task<TwoNodes> StartAsync(FaultsFixture fixture, string schema, Action<string> say,
            IReadOnlyDictionary<string, string>? environment = null)
        {
            await using (var connection = new NpgsqlConnection(fixture.Cluster.ConnectionString + ";Pooling=false"))
            {
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"drop schema if exists {schema} cascade", connection);
                await drop.ExecuteNonQueryAsync();
            }
            var nodes = new TwoNodes(fixture, schema, say, environment);
            var clock = Stopwatch.StartNew();
            // One after the other: the first creates the schema, the second finds it.
            await nodes.Nodes[0].StartAsync(TimeSpan.FromSeconds(90));
            await nodes.Nodes[1].StartAsync(TimeSpan.FromSeconds(90));
            say($"started two API nodes in Distributed mode on schema {schema} (127.0.0.1:{nodes._ports[0]} pid {nodes.Nodes[0].Pid},"
                + $" 127.0.0.1:{nodes._ports[1]} pid {nodes.Nodes[1].Pid}) in {clock.Elapsed.TotalSeconds:F1} s");
            return nodes;
        }

        public async Task RestartAsync(int index)
        {
            Nodes[index] = NewNode(index);
            await Nodes[index].StartAsync(TimeSpan.FromSeconds(90));
        }

        public HttpClient Client(int index, int connections = 8) => Client(index, FaultsFixture.AdminKey, connections);

        /// <summary>A client of node <paramref name="index"/> with <paramref name="key"/> (an archive's key, the system key).</summary>
        public HttpClient Client(int index, string key, int connections = 8)
        {
            var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections })
            {
                BaseAddress = Nodes[index].BaseUri,
                Timeout = TimeSpan.FromSeconds(20),
            };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return client;
        }

        public async Task<Subscription> SubscribeAsync(WebhookReceiver receiver)
        {
            using var client = Client(0);
            using var created = await client.PostAsJsonAsync("/api/subscriptions", new { url = receiver.Url });
            created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            var body = await created.Content.ReadFromJsonAsync<JsonElement>();
            var subscription = new Subscription(body.GetProperty("id").GetGuid(), body.GetProperty("secret").GetString()!);
            receiver.Secret = subscription.Secret;
            _say($"webhook subscription {subscription.Id} created through node 1 for {receiver.Url}");
            return subscription;
        }

        /// <summary>Node index (0, 1) of each Wolverine node id, read from the line each process logs as it joins.</summary>
        private Dictionary<Guid, int> NodeIds()
        {
            var ids = new Dictionary<Guid, int>();
            for (var i = 0; i < Nodes.Length; i++)
            {
                foreach (var line in Nodes[i].Output)
                {
                    const string marker = "Starting agents for Node ";
                    var at = line.IndexOf(marker, StringComparison.Ordinal);
                    if (at >= 0 && Guid.TryParse(line.AsSpan(at + marker.Length, 36), out var id)) ids[id] = i;
                }
            }
            return ids;
        }

        /// <summary>
        /// Waits until the leader and the three event agents (audit log, Merkle ledger, webhook fan-out) are each assigned to a
        /// running node (or all to <paramref name="onlyNode"/>), per Wolverine's assignment table.
        /// </summary>
        public async Task<Assignments> WaitForAgentsAsync(TimeSpan within, int? onlyNode = null)
        {
            var clock = Stopwatch.StartNew();
            Assignments? last = null;
            while (clock.Elapsed < within)
            {
                try
                {
                    last = await AssignmentsAsync();
                    var wanted = new[] { "leader", "auditlogprojection", "merkleledger", "webhookfanout" };
                    if (wanted.All(w => last.ByAgent.TryGetValue(w, out var node) && node is { } n && (onlyNode is null || n == onlyNode))) return last;
                }
                catch (NpgsqlException)
                {
                    // The database is coming back; try again.
                }
                await Task.Delay(200);
            }
            throw new TimeoutException($"agents not assigned within {within.TotalSeconds} s: {last?.DescribeAll() ?? "unreadable"}");
        }

        /// <summary>Every agent URI in Wolverine's assignment table with the index of the running node it is assigned to (null: none).</summary>
        public async Task<List<(string Agent, int? Node)>> AgentNodesAsync()
        {
            var ids = NodeIds();
            await using var connection = new NpgsqlConnection(_fixture.Cluster.ConnectionString + ";Pooling=false");
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"select id, node_id from {_schema}.wolverine_node_assignments", connection);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<(string, int?)>();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0),
                    reader.IsDBNull(1) ? null : ids.TryGetValue(reader.GetGuid(1), out var i) && Nodes[i].Pid is not null ? i : null));
            }
            return rows;
        }

        private async Task<Assignments> AssignmentsAsync()
        {
            var byAgent = new Dictionary<string, int?>();
            foreach (var (agent, node) in await AgentNodesAsync())
            {
                // event-subscriptions://marten/main/<database>/<shard>/all: the shard is webhookfanout, merkleledger or
                // provenance.api.audit.auditlogprojection.
                var shard = agent.TrimEnd('/').Split('/').Reverse().Skip(1).FirstOrDefault() ?? agent;
                var name = agent == "wolverine://leader/" ? "leader" : shard.Split('.').Last();
                if (agent.StartsWith("event-subscriptions://", StringComparison.Ordinal) || name == "leader") byAgent[name] = node;
            }
            return new Assignments(byAgent);
        }

        public async Task<HashSet<string>> LeasedDeliveryIdsAsync()
        {
            await using var connection = new NpgsqlConnection(_fixture.Cluster.ConnectionString + ";Pooling=false");
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                $"select id from {_schema}.webhook_deliveries where status = 'pending' and leased_until is not null", connection);
            await using var reader = await command.ExecuteReaderAsync();
            var ids = new HashSet<string>();
            while (await reader.ReadAsync()) ids.Add("msg_" + reader.GetGuid(0).ToString("N"));
            return ids;
        }

        /// <summary>The leadership, agent and stale-node lines a node logged, each with its timestamp.</summary>
        public IEnumerable<string> Notable(int index)
        {
            string? header = null;
            foreach (var line in Nodes[index].Output)
            {
                if (!line.StartsWith(' ')) header = line;
                else if (line.Contains("assumed leadership") || line.Contains("projection agent") || line.Contains("Ejected stale node"))
                {
                    yield return $"node {index + 1} {header?.Split(' ')[0]} {line.Trim()}";
                }
            }
        }

        private async Task<T> ScalarAsync<T>(string sql, params object[] args)
        {
            await using var connection = new NpgsqlConnection(_fixture.Cluster.ConnectionString + ";Pooling=false");
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql.Replace("{schema}", _schema), connection);
            foreach (var a in args) command.Parameters.Add(new NpgsqlParameter { Value = a });
            return (T)(await command.ExecuteScalarAsync())!;
        }

        private const string DeliverableEvents = "from {schema}.mt_events e where e.type <> 'tombstone' and e.type not like 'mt\\_%'"
            + " and e.seq_id > (select start_seq from {schema}.webhook_subscriptions where id = $1)";

        /// <summary>Until every deliverable event reached the receiver, every delivery row settled, and both async projections caught up.</summary>
        public async Task<string> WaitUntilSettledAsync(Subscription subscription, WebhookReceiver receiver, TimeSpan within)
        {
            var clock = Stopwatch.StartNew();
            var state = "";
            while (clock.Elapsed < within)
            {
                try
                {
                    var events = await ScalarAsync<long>("select count(*) " + DeliverableEvents, subscription.Id);
                    var unsettled = await ScalarAsync<long>("select count(*) from {schema}.webhook_deliveries where status <> 'succeeded'");
                    var rows = await ScalarAsync<long>("select count(*) from {schema}.webhook_deliveries");
                    var nonTombstone = await ScalarAsync<long>("select count(*) from {schema}.mt_events where type <> 'tombstone'");
                    var all = await ScalarAsync<long>("select count(*) from {schema}.mt_events");
                    var audit = await ScalarAsync<long>("select count(*) from {schema}.mt_doc_auditentry");
                    var leaves = await ScalarAsync<long>("select count(*) from {schema}.ledger_leaves");
                    var distinct = receiver.Arrivals.Select(a => a.WebhookId).Distinct().Count();
                    state = $"{events} deliverable events, {rows} delivery rows ({unsettled} unsettled), {distinct} distinct webhook-ids received"
                        + $" in {receiver.Arrivals.Count} arrivals; {all} rows in mt_events ({all - nonTombstone} tombstones), {leaves} ledger leaves, {audit} audit entries";
                    if (rows == events && unsettled == 0 && distinct >= events && leaves == all && audit == nonTombstone) return state;
                }
                catch (NpgsqlException)
                {
                    // Still coming back.
                }
                await Task.Delay(250);
            }
            throw new TimeoutException($"not settled within {within.TotalSeconds} s: {state}");
        }

        public async Task CheckAsync(Subscription subscription, WebhookReceiver receiver, ConcurrentDictionary<Guid, int> acked,
            IReadOnlySet<string> duplicatesAllowed, string duplicateRule, Action<string> say)
        {
            await using var connection = new NpgsqlConnection(_fixture.Cluster.ConnectionString + ";Pooling=false");
            await connection.OpenAsync();

            // Every deliverable event and its delivery row (the row's id is the webhook-id).
            var expected = new Dictionary<string, (long Seq, Guid Document, long Version)>();
            await using (var command = new NpgsqlCommand(("select d.id, e.seq_id, e.stream_id, e.version " + DeliverableEvents.Replace("from {schema}.mt_events e",
                "from {schema}.mt_events e left join {schema}.webhook_deliveries d on d.event_seq = e.seq_id and d.subscription_id = $1")).Replace("{schema}", _schema), connection))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = subscription.Id });
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    reader.IsDBNull(0).ShouldBeFalse($"event {reader.GetInt64(1)} has no delivery row");
                    expected["msg_" + reader.GetGuid(0).ToString("N")] = (reader.GetInt64(1), reader.GetGuid(2), reader.GetInt64(3));
                }
            }
            var arrivals = receiver.Arrivals.OrderBy(a => a.Order).ToList();
            var missing = expected.Keys.Except(arrivals.Select(a => a.WebhookId)).ToList();
            var unknown = arrivals.Where(a => !expected.ContainsKey(a.WebhookId)).Select(a => a.WebhookId).Distinct().ToList();
            var mismatched = arrivals.Where(a => expected.TryGetValue(a.WebhookId, out var e) && (e.Seq != a.Sequence || e.Document != a.Document || e.Version != a.Version)).ToList();
            var badSignatures = arrivals.Count(a => !a.SignatureValid);
            var duplicates = arrivals.GroupBy(a => a.WebhookId).Where(g => g.Count() > 1).ToList();
            var unexplained = duplicates.Where(g => !duplicatesAllowed.Contains(g.Key)).Select(g => g.Key).ToList();

            // Per document, first arrivals must be versions 1, 2, 3, ... in that order; a later repeat of an earlier version is a duplicate.
            var outOfOrder = new List<string>();
            var lateRepeats = 0;
            foreach (var document in arrivals.GroupBy(a => a.Document))
            {
                var seen = new HashSet<string>();
                long last = 0;
                foreach (var a in document)
                {
                    if (!seen.Add(a.WebhookId))
                    {
                        if (a.Version < last) lateRepeats++;
                        continue;
                    }
                    if (a.Version != last + 1) outOfOrder.Add($"{document.Key}: version {a.Version} arrived after {last}");
                    last = a.Version;
                }
            }

            var documents = expected.Values.Select(v => v.Document).Distinct().Count();
            say($"checked {expected.Count} events of {documents} documents against {arrivals.Count} webhook arrivals: {missing.Count} never delivered,"
                + $" {unknown.Count} unknown webhook-ids, {mismatched.Count} webhook-ids carrying another event, {badSignatures} bad signatures,"
                + $" {duplicates.Count} webhook-ids delivered more than once ({duplicates.Sum(g => g.Count() - 1)} extra arrivals, {lateRepeats} of them after a"
                + $" later version; allowed: {duplicatesAllowed.Count} {duplicateRule}, unexplained: {unexplained.Count}), {outOfOrder.Count} first arrivals out of version order");
            missing.ShouldBeEmpty();
            unknown.ShouldBeEmpty();
            mismatched.ShouldBeEmpty();
            badSignatures.ShouldBe(0);
            unexplained.ShouldBeEmpty();
            outOfOrder.ShouldBeEmpty();

            var events = await ScalarAsync<long>("select count(*) from {schema}.mt_events");
            var leavesWithoutEvent = await ScalarAsync<long>(
                "select count(*) from {schema}.ledger_leaves l left join {schema}.mt_events e on e.seq_id = l.seq_id where e.seq_id is null");
            var eventsWithoutLeaf = await ScalarAsync<long>(
                "select count(*) from {schema}.mt_events e left join {schema}.ledger_leaves l on l.seq_id = e.seq_id where l.seq_id is null");
            var leaves = await ScalarAsync<long>("select count(*) from {schema}.ledger_leaves");
            var denseTo = await ScalarAsync<long>("select coalesce(max(leaf_index) + 1, 0) from {schema}.ledger_leaves");
            var nonTombstone = await ScalarAsync<long>("select count(*) from {schema}.mt_events where type <> 'tombstone'");
            var audit = await ScalarAsync<long>("select count(*) from {schema}.mt_doc_auditentry");
            var auditWithoutEvent = await ScalarAsync<long>(
                "select count(*) from {schema}.mt_doc_auditentry a left join {schema}.mt_events e on e.seq_id = a.id and e.type <> 'tombstone' where e.seq_id is null");
            var lost = 0;
            foreach (var (id, revision) in acked)
            {
                var recorded = await ScalarAsync<int>(
                    "select count(*)::int from {schema}.mt_events where stream_id = $1 and type in ('document_ingested', 'document_edited')", id);
                if (recorded < revision) lost++;
            }
            say($"ledger: {leaves} leaves for {events} rows of mt_events (leaf indexes 0..{denseTo - 1}; {eventsWithoutLeaf} events without a leaf,"
                + $" {leavesWithoutEvent} leaves without an event); audit log: {audit} entries for {nonTombstone} non-tombstone events"
                + $" ({auditWithoutEvent} without an event); {acked.Count} documents: {lost} acknowledged revisions missing");
            leaves.ShouldBe(events);
            denseTo.ShouldBe(leaves);
            eventsWithoutLeaf.ShouldBe(0);
            leavesWithoutEvent.ShouldBe(0);
            audit.ShouldBe(nonTombstone);
            auditWithoutEvent.ShouldBe(0);
            lost.ShouldBe(0);

            // The attempt log was written with the delivery's state: every success has its 2xx attempt, no attempt outlived its
            // delivery, and a delivery never shows more logged attempts than it made (a crash may cost a log entry, never add one).
            var successWithoutAttempt = await ScalarAsync<long>("""
                select count(*) from {schema}.webhook_deliveries d where d.subscription_id = $1 and d.status = 'succeeded'
                and not exists (select 1 from {schema}.webhook_attempts a where a.delivery_id = d.id and a.status_code between 200 and 299)
                """, subscription.Id);
            var attemptsWithoutDelivery = await ScalarAsync<long>("""
                select count(*) from {schema}.webhook_attempts a where a.delivery_id is not null
                and not exists (select 1 from {schema}.webhook_deliveries d where d.id = a.delivery_id)
                """);
            var overLogged = await ScalarAsync<long>("""
                select count(*) from {schema}.webhook_deliveries d
                where (select count(*) from {schema}.webhook_attempts a where a.delivery_id = d.id) > d.attempts
                """);
            var logged = await ScalarAsync<long>("select count(*) from {schema}.webhook_attempts");
            say($"attempt log: {logged} attempts; {successWithoutAttempt} successes without their attempt, {attemptsWithoutDelivery} attempts"
                + $" without a delivery, {overLogged} deliveries with more logged attempts than made");
            successWithoutAttempt.ShouldBe(0);
            attemptsWithoutDelivery.ShouldBe(0);
            overLogged.ShouldBe(0);
        }

        /// <summary>Stops both nodes and keeps what they logged under the temp folder, for a failed run's post-mortem.</summary>
        public async ValueTask DisposeAsync()
        {
            var folder = Path.Combine(Path.GetTempPath(), "provenance-faults");
            Directory.CreateDirectory(folder);
            for (var i = 0; i < Nodes.Length; i++)
            {
                Nodes[i].Dispose();
                await File.WriteAllLinesAsync(Path.Combine(folder, $"{_schema}-node{i + 1}.log"), Nodes[i].Output);
            }
            _say($"node logs: {folder}/{_schema}-node{{1,2}}.log");
        }
    }

    internal sealed record Subscription(Guid Id, string Secret);

    internal sealed record Assignments(Dictionary<string, int?> ByAgent)
    {
        public int FanOutNode => ByAgent["webhookfanout"] ?? 0;
        public int LeaderNode => ByAgent["leader"] ?? 0;
        public string Describe(int node) => string.Join(", ", ByAgent.Where(a => a.Value == node).Select(a => a.Key).Order());
        public string DescribeAll() => string.Join(", ", ByAgent.Select(a => $"{a.Key} on {(a.Value is { } n ? $"node {n + 1}" : "none")}"));
    }

    /// <summary>One webhook request as the receiver saw it; <see cref="Order"/> is the order in which requests started arriving.</summary>
    internal sealed record Arrival(long Order, TimeSpan At, string WebhookId, Guid Document, long Sequence, long Version, bool SignatureValid);

    /// <summary>A Kestrel endpoint on 127.0.0.1 (a free port) that records every webhook, checks its signature and answers 204 after 50 ms.</summary>
    internal sealed class WebhookReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private long _order;
        public ConcurrentQueue<Arrival> Arrivals { get; } = new();
        public Stopwatch Clock { get; } = Stopwatch.StartNew();
        public string? Secret { get; set; }
        public string Url { get; private set; } = "";

        private WebhookReceiver()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            _app = builder.Build();
            _app.MapPost("/hook", async (HttpRequest request) =>
            {
                var order = Interlocked.Increment(ref _order);
                var at = Clock.Elapsed;
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer);
                var body = buffer.ToArray();
                var id = request.Headers["webhook-id"].ToString();
                var timestamp = request.Headers["webhook-timestamp"].ToString();
                var signature = request.Headers["webhook-signature"].ToString();
                var cloudEvent = JsonDocument.Parse(body).RootElement;
                Arrivals.Enqueue(new Arrival(order, at, id, Guid.Parse(cloudEvent.GetProperty("subject").GetString()!),
                    long.Parse(cloudEvent.GetProperty("sequence").GetString()!), cloudEvent.GetProperty("streamversion").GetInt64(),
                    Secret is { } secret && signature == Sign(secret, id, timestamp, body)));
                await Task.Delay(50);
                return Results.NoContent();
            });
        }

        private static string Sign(string secret, string id, string timestamp, byte[] body)
        {
            var key = Convert.FromBase64String(secret["whsec_".Length..]);
            var message = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray();
            return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, message));
        }

        public static async Task<WebhookReceiver> StartAsync()
        {
            var receiver = new WebhookReceiver();
            await receiver._app.StartAsync();
            receiver.Url = receiver._app.Urls.Single(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)) + "/hook";
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
