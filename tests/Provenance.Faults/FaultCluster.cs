using System.Diagnostics;
using System.Net.Sockets;
using Npgsql;

namespace Provenance.Faults;

/// <summary>
/// A PostgreSQL cluster of the fault suite's own (PROVENANCE_FAULTS_DATA_DIR, PROVENANCE_FAULTS_PG_PORT; default
/// /var/tmp/provenance/faults-pg on 55435), which the tests may stop and start: never the shared test cluster.
/// </summary>
public sealed class FaultCluster
{
    public string DataDir { get; } = Environment.GetEnvironmentVariable("PROVENANCE_FAULTS_DATA_DIR") ?? "/var/tmp/provenance/faults-pg";
    public int Port { get; } = int.Parse(Environment.GetEnvironmentVariable("PROVENANCE_FAULTS_PG_PORT") ?? "55435");
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=provenance_faults;Maximum Pool Size=40;Timeout=5";
    private readonly string _bin = Directory.GetDirectories("/usr/lib/postgresql").OrderDescending()
        .Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "pg_ctl")))
        ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql (ops/test.sh installs them).");
    private bool _startedHere;

    public async Task StartAsync()
    {
        if (!File.Exists(Path.Combine(DataDir, "PG_VERSION")))
        {
            Directory.CreateDirectory(DataDir);
            if (IsRoot) Run("chown", ["postgres:postgres", DataDir]);
            Run("chmod", ["700", DataDir]);
            AsOwner("initdb", "-D", DataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8");
            await File.AppendAllTextAsync(Path.Combine(DataDir, "postgresql.conf"),
                "\nlisten_addresses = '127.0.0.1'\nmax_connections = 200\nfsync = on\nsynchronous_commit = on\n");
        }
        if (!IsRunning())
        {
            Start();
            _startedHere = true;
        }
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres");
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = 'provenance_faults'", connection);
        if (await exists.ExecuteScalarAsync() is null)
        {
            await using var create = new NpgsqlCommand("create database provenance_faults", connection);
            await create.ExecuteNonQueryAsync();
        }
    }

    public void Start()
    {
        if (PortTaken()) throw new InvalidOperationException($"Port {Port} is taken; set PROVENANCE_FAULTS_PG_PORT.");
        AsOwner("pg_ctl", "-D", DataDir, "-o", $"-p {Port} -k /tmp", "-l", Path.Combine(DataDir, "server.log"), "-w", "-t", "60", "start");
    }

    /// <summary>A crash, as far as clients can tell: no checkpoint, connections cut.</summary>
    public void StopImmediately() => AsOwner("pg_ctl", "-D", DataDir, "-m", "immediate", "-w", "stop");

    public void StopIfStartedHere()
    {
        if (_startedHere && IsRunning()) AsOwner("pg_ctl", "-D", DataDir, "-m", "fast", "-w", "stop");
    }

    private bool IsRunning() => Run(IsRoot ? "runuser" : Path.Combine(_bin, "pg_ctl"),
        IsRoot ? ["-u", "postgres", "--", Path.Combine(_bin, "pg_ctl"), "-D", DataDir, "status"] : ["-D", DataDir, "status"], check: false) == 0;

    private bool PortTaken()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private void AsOwner(string tool, params string[] args)
    {
        var path = Path.Combine(_bin, tool);
        if (IsRoot) Run("runuser", ["-u", "postgres", "--", path, .. args]);
        else Run(path, args);
    }

    private static int Run(string file, string[] args, bool check = true)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(90_000))
        {
            process.Kill(true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 90 s.");
        }
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {error.Result}{output.Result}");
        }
        return process.ExitCode;
    }

}
