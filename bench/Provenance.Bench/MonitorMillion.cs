using System.Diagnostics;
using System.Text;
using Provenance.Ledger;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// A full <c>provenance monitor --entries</c> audit of a tiled log of 1,000,000 events (issue 16: under 60 s), against
/// <c>sha256sum</c> over the very same files (every hash tile and entry bundle), both as child processes in turn. The log is a
/// static folder written here from chained ledger entries shaped like our events (the monitor reads a mirror exactly so), so this
/// measures the audit, not PostgreSQL or HTTP.
/// </summary>
public sealed class MonitorMillion(int entries, string folder) : Scenario
{
    const double TargetSeconds = 60;
    readonly LedgerSigner _signer = LedgerSigner.Generate("bench.monitor/log");
    long _bytes;
    int _files;

    public override string Name => "monitor-1m";
    public override string Title => $"provenance monitor --entries over a {entries:N0}-event tiled log, from an empty state; baseline sha256sum over the same files";
    public override string Unit => "s per audit";
    public override bool HigherIsBetter => false;
    public override double RatioTarget => 1;
    public override bool RatioIsTarget => false;

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        var appender = new MerkleAppender();
        var tiles = new Dictionary<(int, long), MemoryStream>();
        var streams = Enumerable.Range(0, 10_000).Select(_ => Guid.CreateVersion7()).ToArray();
        var heads = new (long Version, byte[] Hash)[streams.Length];
        var bundle = new MemoryStream();
        var start = DateTimeOffset.UtcNow;
        for (var i = 0; i < entries; i++)
        {
            var s = i % streams.Length;
            var (version, previous) = heads[s].Hash is null ? (1L, new byte[32]) : (heads[s].Version + 1, heads[s].Hash);
            var payload = Encoding.UTF8.GetBytes(
                $"{{\"actor\":\"editor.{s % 50}@example.org\",\"baseRevision\":{version},\"contentDigest\":\"sha256:{i:x64}\",\"documentId\":\"{streams[s]}\"," +
                $"\"linesAdded\":{i % 17},\"linesRemoved\":{i % 5},\"mediaType\":\"text/plain; charset=utf-8\",\"reason\":\"Corrected the figures in paragraph {i % 9}.\"," +
                $"\"revision\":{version + 1},\"size\":{1000 + i % 4000}}}");
            var entry = LeafEncoding.Encode(new LedgerEntry(2L * i + 1, streams[s], version, "document_edited", LeafEncoding.TruncateToMicroseconds(start.AddMilliseconds(i)),
                $"editor.{s % 50}@example.org", payload, previous));
            var leaf = MerkleHash.LeafHash(entry);
            heads[s] = (version, leaf);
            EntryBundle.Append(bundle, entry);
            foreach (var append in TlogTiles.TileAppends(appender.Append(leaf)))
            {
                if (!tiles.TryGetValue((append.Level, append.Index), out var tile)) tiles[(append.Level, append.Index)] = tile = new MemoryStream();
                tile.Write(append.Hashes);
            }
            if ((i + 1) % TlogTiles.Width == 0 || i + 1 == entries)
            {
                Write(new TileRef(0, i / TlogTiles.Width, i % TlogTiles.Width + 1, IsEntries: true).Path, bundle.ToArray());
                bundle.SetLength(0);
            }
        }
        foreach (var level in Enumerable.Range(0, TlogTiles.LevelCount(entries)))
        {
            foreach (var tile in TlogTiles.TilesOfLevel(level, entries)) Write(tile.Path, tiles[(level, tile.Index)].ToArray());
        }
        await File.WriteAllTextAsync(Path.Combine(folder, "checkpoint"), _signer.SignCheckpoint(new Checkpoint(_signer.Name, entries, appender.Root())), ct);
        Console.WriteLine($"   wrote {entries:N0} entries, {_files:N0} tiles and bundles, {_bytes:N0} bytes in {clock.Elapsed.TotalSeconds:F1} s ({folder})");
    }

    void Write(string path, byte[] bytes)
    {
        var file = Path.Combine(folder, path);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, bytes);
        _bytes += bytes.Length;
        _files++;
    }

    public override async Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct)
    {
        var state = Path.Combine(Path.GetTempPath(), $"bench-monitor-state-{Guid.NewGuid():N}");
        try
        {
            var cli = Path.Combine(AppContext.BaseDirectory, "provenance.dll");
            var (seconds, exit, output) = await RunAsync("dotnet",
                [cli, "monitor", "--log", folder, "--key", _signer.Verifier.VerifierKey, "--state", state, "--entries", "--json"], ct);
            if (exit != 0) Console.WriteLine($"   monitor failed ({exit}): {output}");
            return new Measurement(seconds, entries, exit == 0 ? 0 : 1, seconds * 1000, seconds * 1000);
        }
        finally
        {
            if (Directory.Exists(state)) Directory.Delete(state, recursive: true);
        }
    }

    public override async Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct)
    {
        // The same bytes: every file of the log but the checkpoint, hashed by coreutils.
        var (seconds, exit, output) = await RunAsync("bash", ["-c", $"cd '{folder}' && find tile -type f -print0 | xargs -0 sha256sum > /dev/null"], ct);
        if (exit != 0) Console.WriteLine($"   sha256sum failed ({exit}): {output}");
        return new Measurement(seconds, _files, exit == 0 ? 0 : 1, seconds * 1000, seconds * 1000);
    }

    static async Task<(double Seconds, int Exit, string Output)> RunAsync(string file, string[] args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (clock.Elapsed.TotalSeconds, process.ExitCode, (await stdout + await stderr).Trim());
    }

    public override IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline)
    {
        var times = candidate.Select(m => m.Value).ToArray();
        var median = Stats.Median(times);
        var failed = candidate.Sum(m => m.Errors);
        yield return new Row(Name, "full --entries audit (s)", median, times.Min(), times.Max(), $"< {TargetSeconds:F0} s", median < TargetSeconds && failed == 0,
            $"{entries:N0} entries, {_bytes / 1e6:F0} MB in {_files:N0} files: monitor {Stats.F(median)} s ({entries / median:N0} entries/s) vs " +
            $"sha256sum {Stats.F(Stats.Median(baseline.Select(m => m.Value)))} s over the same bytes; failed audits {failed}");
    }
}
