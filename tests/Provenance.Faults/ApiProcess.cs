using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Provenance.Faults;

/// <summary>
/// The real API as a separate process (its Release build output), on a loopback port, that a test may kill -9.
/// <paramref name="environment"/> adds or overrides environment variables; what the process prints is kept in <see cref="Output"/>.
/// </summary>
public sealed class ApiProcess(string connectionString, string schema, string adminKey, int port,
    IReadOnlyDictionary<string, string>? environment = null) : IDisposable
{
    private const int MaxOutputLines = 20_000;
    private Process? _process;
    public Uri BaseUri { get; } = new($"http://127.0.0.1:{port}");
    public int? Pid => _process?.Id;

    /// <summary>Lines the process wrote to stdout and stderr (the console logger writes a category line, then the message).</summary>
    public ConcurrentQueue<string> Output { get; } = new();

    public static string DllPath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Provenance.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("Provenance.sln not found above " + AppContext.BaseDirectory);
        var candidates = new[] { "Release", "Debug" }
            .Select(c => new FileInfo(Path.Combine(dir.FullName, "src", "Provenance.Api", "bin", c, "net10.0", "Provenance.Api.dll")))
            .Where(f => f.Exists).OrderByDescending(f => f.LastWriteTimeUtc).ToList();
        return candidates.FirstOrDefault()?.FullName ?? throw new InvalidOperationException("Build the API first: dotnet build -c Release.");
    }

    public async Task StartAsync(TimeSpan readyWithin)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(DllPath());
        // Nothing of the test process's own configuration reaches the child: the in-process fixture sets Provenance__* variables
        // (its admin key, its schema, a 1 MB content limit) that would otherwise override what this process is given.
        foreach (var inherited in info.Environment.Keys.Where(k => k.StartsWith("Provenance__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("PROVENANCE_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(inherited);
        }
        info.Environment["Provenance__ConnectionString"] = connectionString;
        info.Environment["Provenance__Schema"] = schema;
        info.Environment["Provenance__MaxContentBytes"] = (256 * 1024).ToString();
        info.Environment["PROVENANCE_ADMIN_KEY"] = adminKey;
        info.Environment["ASPNETCORE_URLS"] = BaseUri.ToString().TrimEnd('/');
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var status = await WaitForReadyAsync(HttpStatusCode.OK, readyWithin);
        if (status != HttpStatusCode.OK) throw new InvalidOperationException($"The API did not become ready within {readyWithin.TotalSeconds} s (last: {status}).");
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        Output.Enqueue(line);
        while (Output.Count > MaxOutputLines) Output.TryDequeue(out _);
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; what was acknowledged must already be durable.</summary>
    public void Kill()
    {
        if (_process is null) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
        _process = null;
    }

    /// <summary>Polls /health/ready until it answers <paramref name="wanted"/> or the deadline passes; returns the last status seen.</summary>
    public async Task<HttpStatusCode?> WaitForReadyAsync(HttpStatusCode wanted, TimeSpan within)
    {
        using var client = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        HttpStatusCode? last = null;
        while (deadline.Elapsed < within)
        {
            if (_process is { HasExited: true }) throw new InvalidOperationException($"The API exited with code {_process.ExitCode}.");
            try
            {
                using var response = await client.GetAsync("/health/ready");
                last = response.StatusCode;
                if (last == wanted) return last;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = null;
            }
            await Task.Delay(200);
        }
        return last;
    }

    public void Dispose() => Kill();
}
