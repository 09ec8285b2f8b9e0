using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Npgsql;
using Provenance.Api.Hosting;
using Provenance.Api.Ledger;
using Provenance.Api.Tenancy;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// Writes spread over tenants on two PostgreSQL servers (issue #20, docs/scaling.md) against the same writes in one tenant on one
/// server, both through one API host of this scenario's own (schema <c>bench_tenants</c>, port <c>BENCH_TENANTS_PORT</c>) configured
/// with a second server (<c>Provenance:Tenancy:Servers:second</c> = <c>BENCH_CONNECTION_STRING2</c>) and a system key. In set-up it
/// creates three tenants with <c>POST /api/tenants</c>: <c>bench-a</c> on <c>default</c> and <c>bench-b</c> on <c>second</c> (the
/// candidate), <c>bench-one</c> on <c>default</c> (the baseline). Each side sends the same number of HTTP edits (http-append's edit,
/// <c>If-Match</c>, one document per worker) with the tenants' admin keys: the candidate's workers split half and half over the two
/// tenants, the baseline's all in one. On a machine whose cores both servers and the API share, the ratio is what spreading over
/// tenants costs (two pools, two daemons' agents, two WAL streams on the same CPUs), not what it gains.
/// </summary>
public sealed class TenantAppend(int workers, int eventsPerRepetition, int port, string secondServer) : Scenario
{
    private const string ScenarioSchema = "bench_tenants";
    private const string SystemKey = "pvk_bench_system_key_0123456789abcdef";
    private const string SecondServer = "second";
    private static readonly TimeSpan TreeTimeout = TimeSpan.FromSeconds(120);

    private WebApplication? _api;
    private Side _two = null!;
    private Side _one = null!;
    private long _counter;
    private readonly List<double> _treeRates = [];
    private readonly List<double> _baselineTreeRates = [];
    private readonly List<CostProbe.Usage> _twoUsage = [];
    private readonly List<CostProbe.Usage> _oneUsage = [];
    private string? _treeProblem;

    public override string Name => "tenants";
    public override string Title =>
        $"{eventsPerRepetition:N0} HTTP edits by {workers} writers: two tenants on two PostgreSQL servers (half the writers each) vs one tenant on one server";
    public override string Unit => "events/s";
    public override bool HigherIsBetter => true;
    public override double RatioTarget => 1;
    // Both servers share the bench machine's cores with the API, so the ratio is context (the coordination cost), not a target.
    public override bool RatioIsTarget => false;

    /// <summary>A tenant the bench writes to: its admin key's client, its database (from Marten's master table) and one document per worker.</summary>
    private sealed class Tenant(string id, string server, HttpClient client, NpgsqlDataSource database)
    {
        public string Id { get; } = id;
        public string Server { get; } = server;
        public HttpClient Client { get; } = client;
        public NpgsqlDataSource Database { get; } = database;
        public List<Guid> Documents { get; } = [];
        public List<int> Revisions { get; } = [];
    }

    /// <summary>One side's writers: worker <c>w</c> edits <c>Writers[w]</c>'s document number <c>Slots[w]</c>.</summary>
    private sealed class Side(IReadOnlyList<Tenant> tenants, Tenant[] writers, int[] slots)
    {
        public IReadOnlyList<Tenant> Tenants { get; } = tenants;
        public Tenant[] Writers { get; } = writers;
        public int[] Slots { get; } = slots;
    }

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        if (secondServer.Length == 0)
        {
            throw new InvalidOperationException(
                "The tenants scenario needs a second PostgreSQL server: set BENCH_CONNECTION_STRING2 (ops/bench.sh starts one on BENCH_PG2_PORT, 55437).");
        }
        if (workers < 2 || workers % 2 != 0) throw new InvalidOperationException($"The tenants scenario splits its writers over two tenants: BENCH_WORKERS must be even (is {workers}).");
        await DropPreviousRunAsync(host.ConnectionString, ct);

        // PROVENANCE_SYSTEM_KEY is an environment variable by contract; the configuration key of the same name is what the host binds.
        Environment.SetEnvironmentVariable("PROVENANCE_SYSTEM_KEY", SystemKey);
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Provenance:Schema"] = ScenarioSchema;
        builder.Configuration["PROVENANCE_SYSTEM_KEY"] = SystemKey;
        builder.Configuration[$"Provenance:Tenancy:Servers:{SecondServer}"] = secondServer;
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.AddProvenance();
        _api = builder.Build();
        _api.UseProvenance();
        await _api.StartAsync(ct);

        var uri = new Uri($"http://127.0.0.1:{port}");
        var a = await CreateTenantAsync(host, uri, "bench-a", Tenants.Default, ct);
        var b = await CreateTenantAsync(host, uri, "bench-b", SecondServer, ct);
        var one = await CreateTenantAsync(host, uri, "bench-one", Tenants.Default, ct);
        var half = workers / 2;
        _two = new Side([a, b], Enumerable.Range(0, workers).Select(w => w < half ? a : b).ToArray(), Enumerable.Range(0, workers).Select(w => w % half).ToArray());
        _one = new Side([one], Enumerable.Repeat(one, workers).ToArray(), Enumerable.Range(0, workers).ToArray());
        foreach (var (tenant, documents) in new[] { (a, half), (b, half), (one, workers) })
        {
            for (var d = 0; d < documents; d++)
            {
                var response = await tenant.Client.PostAsJsonAsync("/api/documents",
                    new { title = $"Bench document {d} of {tenant.Id}", language = "en", content = $"Bench document {d}, revision 1.", reason = "bench" }, ct);
                response.EnsureSuccessStatusCode();
                tenant.Documents.Add(Guid.Parse(response.Headers.Location!.OriginalString.Split('/').Last()));
                tenant.Revisions.Add(Revision(response));
            }
        }
    }

    /// <summary>
    /// The databases a previous run created (listed in its master table, <c>mt_tenant_databases</c>) are dropped with its schema, so
    /// <c>POST /api/tenants</c> provisions each tenant afresh; never the bench's own database nor a server's maintenance database.
    /// </summary>
    private static async Task DropPreviousRunAsync(string connectionString, CancellationToken ct)
    {
        await using var master = new NpgsqlConnection(connectionString);
        await master.OpenAsync(ct);
        var previous = new List<string>();
        await using (var exists = new NpgsqlCommand($"select to_regclass('{ScenarioSchema}.mt_tenant_databases') is not null", master))
        {
            if ((bool)(await exists.ExecuteScalarAsync(ct))!)
            {
                await using var list = new NpgsqlCommand($"select connection_string from {ScenarioSchema}.mt_tenant_databases where tenant_id <> $1", master);
                list.Parameters.Add(new NpgsqlParameter { Value = Tenants.Default });
                await using var reader = await list.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) previous.Add(reader.GetString(0));
            }
        }
        var own = new NpgsqlConnectionStringBuilder(connectionString).Database;
        foreach (var tenantConnection in previous)
        {
            var target = new NpgsqlConnectionStringBuilder(tenantConnection);
            if (target.Database is not { Length: > 0 } name || name == own || name == "postgres") continue;
            var maintenance = new NpgsqlConnectionStringBuilder(tenantConnection) { Database = "postgres", Pooling = false };
            await using var server = new NpgsqlConnection(maintenance.ConnectionString);
            await server.OpenAsync(ct);
            await using var drop = new NpgsqlCommand($"drop database if exists \"{name.Replace("\"", "\"\"")}\" with (force)", server);
            await drop.ExecuteNonQueryAsync(ct);
        }
        await using var schema = new NpgsqlCommand($"drop schema if exists {ScenarioSchema} cascade", master);
        await schema.ExecuteNonQueryAsync(ct);
    }

    private async Task<Tenant> CreateTenantAsync(BenchHost host, Uri uri, string id, string server, CancellationToken ct)
    {
        using var system = BenchHost.Client(uri, 1);
        system.Timeout = TimeSpan.FromMinutes(2); // provisioning creates a database and its schema
        system.DefaultRequestHeaders.Authorization = new("Bearer", SystemKey);
        using var response = await system.PostAsJsonAsync("/api/tenants", new { id, displayName = $"Bench archive {id}", server }, ct);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /api/tenants for '{id}' on '{server}' answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }
        var created = (await response.Content.ReadFromJsonAsync<CreatedTenant>(ct))!;
        var client = BenchHost.Client(uri, workers);
        client.DefaultRequestHeaders.Authorization = new("Bearer", created.AdminKey);

        // The tenant's own database, as Marten's master table (in the default tenant's database) names it: usage and the tree are read there.
        await using var command = host.RawData.CreateCommand($"select connection_string from {ScenarioSchema}.mt_tenant_databases where tenant_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        var connectionString = await command.ExecuteScalarAsync(ct) as string
            ?? throw new InvalidOperationException($"Tenant '{id}' was created but is not in {ScenarioSchema}.mt_tenant_databases.");
        return new Tenant(id, server, client, new NpgsqlDataSourceBuilder(connectionString).Build());
    }

    private sealed record CreatedTenant(string AdminKey);

    public override async Task WarmUpAsync(BenchHost host, CancellationToken ct)
    {
        await CandidateAsync(host, ct);
        await BaselineAsync(host, ct);
        _treeRates.Clear();
        _baselineTreeRates.Clear();
        _twoUsage.Clear();
        _oneUsage.Clear();
    }

    public override Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct) => RunSideAsync(_two, _treeRates, _twoUsage, ct);

    public override Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct) => RunSideAsync(_one, _baselineTreeRates, _oneUsage, ct);

    /// <summary>
    /// Off the clock: every tenant's tree covers what it holds, then vacuum and a checkpoint on both servers (what one side leaves
    /// behind does not fall into the other's window). On the clock: the side's edits (the value: edits committed per second), then
    /// until each of its tenants' trees covers its last edit (an extra row).
    /// </summary>
    private async Task<Measurement> RunSideAsync(Side side, List<double> treeRates, List<CostProbe.Usage> usage, CancellationToken ct)
    {
        foreach (var tenant in _two.Tenants.Concat(_one.Tenants)) await TreeCoversAsync(tenant, ct);
        foreach (var tenant in _two.Tenants.Concat(_one.Tenants)) await SettleAsync(tenant.Database, ct);

        var before = await UsageAsync(side, ct);
        var clock = Stopwatch.StartNew();
        var edits = await LoadDriver.RunAsync(workers, TimeSpan.FromSeconds(120), (w, c) => EditAsync(side, w, c), ct, maxPerWorker: eventsPerRepetition / workers);
        var committed = clock.Elapsed;
        var covered = true;
        foreach (var tenant in side.Tenants) covered &= await TreeCoversAsync(tenant, ct);
        var elapsed = clock.Elapsed;
        usage.Add((await UsageAsync(side, ct)).Minus(before));
        treeRates.Add(covered ? edits.Operations / elapsed.TotalSeconds : double.NaN);
        return edits with { Value = edits.Operations / committed.TotalSeconds };
    }

    private async Task<bool> EditAsync(Side side, int worker, CancellationToken ct)
    {
        var tenant = side.Writers[worker];
        var slot = side.Slots[worker];
        var n = Interlocked.Increment(ref _counter);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/documents/{tenant.Documents[slot]}/revisions")
        {
            Content = new StringContent($$"""{"content":"Bench document {{slot}}, edit {{n}}.\nA second line that stays the same.","reason":"bench edit {{n}}"}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{tenant.Revisions[slot]}\"");
        using var response = await tenant.Client.SendAsync(request, ct);
        if (response.Headers.ETag is not null) tenant.Revisions[slot] = Revision(response);
        return response.StatusCode == HttpStatusCode.Created;
    }

    private static int Revision(HttpResponseMessage response) => int.Parse(response.Headers.ETag!.Tag.Trim('"').Split('.')[0]);

    /// <summary>
    /// Waits until the tenant's Merkle tree (<c>ledger_leaves</c> in its own database) covers its last event; false (and the reason kept
    /// for the row) when the tree does not get there within <see cref="TreeTimeout"/> or the tenant database has no ledger table.
    /// </summary>
    private async Task<bool> TreeCoversAsync(Tenant tenant, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        await using var command = tenant.Database.CreateCommand(
            $"select (select coalesce(max(seq_id), 0) from {ScenarioSchema}.{LedgerTables.Leaves}) >= (select coalesce(max(seq_id), 0) from {ScenarioSchema}.mt_events)");
        while (true)
        {
            try
            {
                if ((bool)(await command.ExecuteScalarAsync(ct))!) return true;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                _treeProblem = $"tenant {tenant.Id}'s database has no {ScenarioSchema}.{LedgerTables.Leaves} or mt_events";
                return false;
            }
            if (deadline.Elapsed > TreeTimeout)
            {
                _treeProblem = $"tenant {tenant.Id}'s tree did not cover its last event within {TreeTimeout.TotalSeconds:F0} s";
                return false;
            }
            await Task.Delay(5, ct);
        }
    }

    private static async Task SettleAsync(NpgsqlDataSource database, CancellationToken ct)
    {
        foreach (var statement in new[] { "vacuum (analyze)", "checkpoint" })
        {
            await using var command = database.CreateCommand(statement);
            command.CommandTimeout = 300;
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>
    /// The side's machine usage: this process's CPU once; each server's cluster CPU and WAL once (two tenants of one side on one
    /// server would share them); commits of each tenant's database.
    /// </summary>
    private static async Task<CostProbe.Usage> UsageAsync(Side side, CancellationToken ct)
    {
        double dotnet = 0, postgres = 0, wal = 0, commits = 0;
        var servers = new HashSet<string>();
        foreach (var tenant in side.Tenants)
        {
            var u = await CostProbe.UsageAsync(tenant.Database, ct);
            dotnet = u.DotnetCpuMs;
            commits += u.Commits;
            if (servers.Add(tenant.Server))
            {
                postgres += u.PostgresCpuMs;
                wal += u.WalBytes;
            }
        }
        return new CostProbe.Usage(dotnet, postgres, wal, commits);
    }

    public override IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline)
    {
        var treeRatios = _treeRates.Zip(_baselineTreeRates, (a, b) => a / b).ToArray();
        if (treeRatios.Any(double.IsNaN))
        {
            yield return new Row(Name, "two tenants / one, until every tenant's tree covers its last edit: not measured", double.NaN, double.NaN, double.NaN,
                "context", false, _treeProblem ?? "a tree did not cover its tenant's last edit");
        }
        else
        {
            yield return new Row(Name, "two tenants on two servers / one tenant on one, until every tenant's tree covers its last edit (events/s)",
                Stats.Median(treeRatios), treeRatios.Min(), treeRatios.Max(), "context", true,
                $"two tenants {Stats.F(Stats.Median(_treeRates))} vs one {Stats.F(Stats.Median(_baselineTreeRates))} events/s; 2 cores shared by both servers, "
                + "the API and the load driver: the ratio is the coordination cost of spreading writes, not the scaling");
        }
        var tails = candidate.Zip(baseline, (a, b) => a.P99Ms / b.P99Ms).ToArray();
        yield return new Row(Name, "edit p99 two tenants / one (context)", Stats.Median(tails), tails.Min(), tails.Max(), "context", true,
            $"two tenants p50 {Stats.F(Stats.Median(candidate.Select(m => m.P50Ms)))} ms, p99 {Stats.F(Stats.Median(candidate.Select(m => m.P99Ms)))} ms;"
            + $" one tenant p50 {Stats.F(Stats.Median(baseline.Select(m => m.P50Ms)))} ms, p99 {Stats.F(Stats.Median(baseline.Select(m => m.P99Ms)))} ms;"
            + $" errors {candidate.Sum(m => m.Errors)} / {baseline.Sum(m => m.Errors)}; {workers} writers, {eventsPerRepetition} edits per side and repetition");
        string Per(List<CostProbe.Usage> usage, IReadOnlyList<Measurement> side)
        {
            var per = usage.Zip(side, (u, m) => (u, n: Math.Max(1, m.Operations))).ToArray();
            return $".NET CPU {Stats.F(Stats.Median(per.Select(p => p.u.DotnetCpuMs / p.n)))} ms, PostgreSQL CPU {Stats.F(Stats.Median(per.Select(p => p.u.PostgresCpuMs / p.n)))} ms, "
                + $"WAL {Stats.F(Stats.Median(per.Select(p => p.u.WalBytes / p.n)) / 1024)} KB, commits {Stats.F(Stats.Median(per.Select(p => p.u.Commits / p.n)))}";
        }
        var cpu = _twoUsage.Zip(_oneUsage, (a, b) => (a.DotnetCpuMs + a.PostgresCpuMs) / (b.DotnetCpuMs + b.PostgresCpuMs))
            .Zip(candidate.Zip(baseline, (a, b) => (double)b.Operations / Math.Max(1, a.Operations)), (r, scale) => r * scale).ToArray();
        yield return new Row(Name, "CPU per edit two tenants / one (.NET + PostgreSQL of both servers, context)", Stats.Median(cpu), cpu.Min(), cpu.Max(), "context", true,
            $"per edit, two tenants: {Per(_twoUsage, candidate)}; one tenant: {Per(_oneUsage, baseline)} (until the trees cover the last edit; "
            + ".NET CPU is this whole process: API, load driver and the idle bench host)");
    }
}
