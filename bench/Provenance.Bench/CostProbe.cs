using System.Diagnostics;
using Npgsql;

namespace Provenance.Bench;

/// <summary>What one request costs, averaged over a window of requests, with the idle cost of the same window subtracted.</summary>
public sealed record RequestCost(
    string Name, int Requests, double RoundTrips, double Statements, double Resets, double Commits, double WalBytes,
    double PostgresCpuMs, double DotnetCpuMs, double AllocatedKb, IReadOnlyList<(string Statement, double PerRequest)> Top)
{
    public string Summary =>
        $"{Stats.F(RoundTrips)} round trips, {Stats.F(Statements)} statements (+{Stats.F(Resets)} resets), {Stats.F(Commits)} commits, "
        + $"{WalBytes / 1024:F1} KB WAL, {Stats.F(PostgresCpuMs)} ms PostgreSQL CPU, {Stats.F(DotnetCpuMs)} ms .NET CPU, {AllocatedKb:F0} KB allocated";
}

/// <summary>
/// Counts, around a window of requests sent one at a time: round trips (Npgsql's command activities in this process), statements
/// and resets (pg_stat_statements; <c>DISCARD ALL</c> and <c>DEALLOCATE</c> counted apart), commits (pg_stat_database), WAL bytes
/// (LSN difference), PostgreSQL CPU (every server process of the cluster, from /proc), this process's CPU and allocations (which
/// include the client side of the request). The same window with no requests is measured first and its rate subtracted, so
/// background work (pollers, heartbeats) is not charged to requests.
/// </summary>
public sealed class CostProbe : IDisposable
{
    private readonly NpgsqlDataSource _data;
    private readonly ActivityListener _listener;
    private long _roundTrips;
    private int _postmaster;

    public CostProbe(string connectionString)
    {
        _data = new NpgsqlDataSourceBuilder(connectionString) { Name = "cost-probe" }.Build();
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                // The probe's own snapshots run on a data source named cost-probe (db.client.connection.pool.name / db.name tag).
                if (a.Tags.Any(t => t.Value == "cost-probe")) return;
                if (a.OperationName.Contains("connect", StringComparison.OrdinalIgnoreCase)) return;
                Interlocked.Increment(ref _roundTrips);
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public static async Task EnsureStatementsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("create extension if not exists pg_stat_statements", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs <paramref name="request"/> <paramref name="count"/> times, one at a time, and returns its cost per request.</summary>
    public async Task<RequestCost> MeasureAsync(string name, int count, Func<int, Task> request, Func<Task>? settle = null)
    {
        // Idle rate first: the same machinery with nothing to do, for about as long as the requests will take.
        var probeClock = Stopwatch.StartNew();
        await request(0);
        var single = probeClock.Elapsed;
        var idleWindow = TimeSpan.FromTicks(Math.Clamp(single.Ticks * count, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromSeconds(5).Ticks));
        var idleStart = await SnapshotAsync();
        await Task.Delay(idleWindow);
        var idleEnd = await SnapshotAsync();
        var idle = idleEnd.Minus(idleStart);
        if (await WalCommitsAsync(idleStart.Lsn, idleEnd.Lsn) is { } idleCommits) idle = idle with { Commits = idleCommits };

        await ResetStatementsAsync();
        var start = await SnapshotAsync();
        for (var i = 1; i <= count; i++) await request(i);
        if (settle is not null) await settle();
        var end = await SnapshotAsync();
        var busy = end.Minus(start);
        if (await WalCommitsAsync(start.Lsn, end.Lsn) is { } busyCommits) busy = busy with { Commits = busyCommits };
        var top = await TopStatementsAsync(count);

        var scale = busy.Seconds / idle.Seconds;
        double Per(Func<Snapshot, double> f) => Math.Max(0, f(busy) - f(idle) * scale) / count;
        return new RequestCost(name, count, Per(s => s.RoundTrips), Per(s => s.Statements), Per(s => s.Resets), Per(s => s.Commits),
            Per(s => s.WalBytes), Per(s => s.PostgresCpuMs), Per(s => s.DotnetCpuMs), Per(s => s.AllocatedBytes) / 1024, top);
    }

    private sealed record Snapshot(double Seconds, double RoundTrips, double Statements, double Resets, double Commits, double WalBytes,
        double PostgresCpuMs, double DotnetCpuMs, double AllocatedBytes, string Lsn = "")
    {
        public Snapshot Minus(Snapshot o) => new(Seconds - o.Seconds, RoundTrips - o.RoundTrips, Statements - o.Statements, Resets - o.Resets,
            Commits - o.Commits, WalBytes - o.WalBytes, PostgresCpuMs - o.PostgresCpuMs, DotnetCpuMs - o.DotnetCpuMs, AllocatedBytes - o.AllocatedBytes);
    }

    private string? _walDirectory;

    /// <summary>
    /// Durable commits between two WAL positions: the COMMIT records pg_waldump finds (read-only transactions write none, so this
    /// counts what costs an fsync). Falls back to pg_stat_database's counter, which lags (backends flush it at most every second).
    /// </summary>
    private async Task<double?> WalCommitsAsync(string from, string to)
    {
        if (_walDirectory is null)
        {
            await using var setting = _data.CreateCommand("select setting from pg_settings where name = 'data_directory'");
            _walDirectory = Path.Combine((string)(await setting.ExecuteScalarAsync())!, "pg_wal");
        }
        // ops/bench.sh exports PG_BIN (the server's binaries, found by ops/lib/postgres.sh).
        var dump = Path.Combine(Environment.GetEnvironmentVariable("PG_BIN") ?? "/usr/lib/postgresql/15/bin", "pg_waldump");
        if (!File.Exists(dump)) return null;
        using var process = Process.Start(new ProcessStartInfo(dump, ["-p", _walDirectory, "-s", from, "-e", to, "-r", "Transaction"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        });
        if (process is null) return null;
        var commits = 0;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.Contains("desc: COMMIT", StringComparison.Ordinal)) commits++;
        }
        await process.WaitForExitAsync();
        return commits;
    }

    private async Task<Snapshot> SnapshotAsync()
    {
        var roundTrips = Interlocked.Read(ref _roundTrips);
        var dotnet = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        await using var command = _data.CreateCommand("""
            select (select coalesce(sum(calls), 0) from pg_stat_statements s where s.dbid = d.datid
                      and s.query not ilike 'discard%' and s.query not ilike 'deallocate%' and s.query not ilike '%pg_stat_%'),
                   (select coalesce(sum(calls), 0) from pg_stat_statements s where s.dbid = d.datid
                      and (s.query ilike 'discard%' or s.query ilike 'deallocate%')),
                   d.xact_commit, pg_wal_lsn_diff(pg_current_wal_flush_lsn(), '0/0'), pg_current_wal_flush_lsn()::text
            from pg_stat_database d where d.datname = current_database()
            """);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var statements = Convert.ToDouble(reader.GetValue(0));
        var resets = Convert.ToDouble(reader.GetValue(1));
        var commits = Convert.ToDouble(reader.GetValue(2));
        var wal = Convert.ToDouble(reader.GetValue(3));
        var lsn = reader.GetString(4);
        await reader.CloseAsync();
        if (_postmaster == 0)
        {
            await using var pid = _data.CreateCommand("select pg_backend_pid()");
            _postmaster = ParentOf((int)(await pid.ExecuteScalarAsync())!);
        }
        return new Snapshot(Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency, roundTrips, statements, resets, commits, wal,
            PostgresCpuMs(_postmaster), dotnet, allocated, lsn);
    }

    private async Task ResetStatementsAsync()
    {
        await using var command = _data.CreateCommand("select pg_stat_statements_reset()");
        await command.ExecuteNonQueryAsync();
        // The counters of pg_stat_database are flushed by backends at most every second.
        await Task.Delay(1100);
    }

    private async Task<IReadOnlyList<(string, double)>> TopStatementsAsync(int count)
    {
        await Task.Delay(1100);
        await using var command = _data.CreateCommand("""
            select left(regexp_replace(query, '\s+', ' ', 'g'), 110), calls from pg_stat_statements s
            join pg_database d on d.oid = s.dbid where d.datname = current_database() and s.query not ilike '%pg_stat_%'
            order by calls desc limit 12
            """);
        var rows = new List<(string, double)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetInt64(1) / (double)count));
        return rows;
    }

    /// <summary>What the whole machine spent so far: this process's CPU, the cluster's CPU, WAL written and transactions committed.</summary>
    public sealed record Usage(double DotnetCpuMs, double PostgresCpuMs, double WalBytes, double Commits)
    {
        public Usage Minus(Usage o) => new(DotnetCpuMs - o.DotnetCpuMs, PostgresCpuMs - o.PostgresCpuMs, WalBytes - o.WalBytes, Commits - o.Commits);
    }

    /// <summary>
    /// A <see cref="Usage"/> snapshot through <paramref name="data"/> (commits from pg_stat_database, which backends flush at most
    /// every second: take windows of several seconds).
    /// </summary>
    public static async Task<Usage> UsageAsync(NpgsqlDataSource data, CancellationToken ct = default)
    {
        await using var command = data.CreateCommand(
            "select pg_backend_pid(), pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0'), xact_commit from pg_stat_database where datname = current_database()");
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var postmaster = ParentOf(reader.GetInt32(0));
        var wal = Convert.ToDouble(reader.GetValue(1));
        var commits = Convert.ToDouble(reader.GetValue(2));
        return new Usage(Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds, PostgresCpuMs(postmaster), wal, commits);
    }

    private static int ParentOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
    }

    /// <summary>CPU time of the benchmark cluster's postmaster and its children (other clusters on the machine are not counted).</summary>
    private static double PostgresCpuMs(int postmaster)
    {
        var ticks = 0L;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                if (int.Parse(fields[1]) != postmaster && Path.GetFileName(dir) != postmaster.ToString()) continue;
                ticks += long.Parse(fields[11]) + long.Parse(fields[12]);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return ticks * 10.0; // USER_HZ = 100 on Linux
    }

    public void Dispose()
    {
        _listener.Dispose();
        _data.Dispose();
    }
}
