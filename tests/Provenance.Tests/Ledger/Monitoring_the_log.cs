using System.Text;
using System.Text.Json;
using Provenance.Api.Access;
using Provenance.Ledger;
using Provenance.Tests.Reports;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Ledger;

/// <summary>Issue 16: <c>provenance monitor</c> audits a tiled log from its tiles and entries, and says exactly what failed.</summary>
public sealed class Monitoring_the_log(AppFixture fixture, ITestOutputHelper output) : LedgerContext(fixture), IDisposable
{
    readonly DirectoryInfo work = Directory.CreateTempSubdirectory("provenance-monitor-");
    readonly LedgerSigner signer = LedgerSigner.Generate("monitor.test/log");

    public void Dispose()
    {
        signer.Dispose();
        work.Delete(recursive: true);
    }

    Task<(int Exit, string Output)> MonitorAsync(string log, string state, params string[] more) =>
        new CliRunner(Host, output).RunAsync(["monitor", "--log", log, "--key", signer.Verifier.VerifierKey, "--state", Path.Combine(work.FullName, state), .. more]);

    [Fact]
    public async Task A_growing_log_passes_at_every_partial_tile_edge_and_its_mirror_audits_offline()
    {
        var log = new StaticLog(Folder("log"), signer, TestEntries(700));
        foreach (var size in new[] { 1, 255, 256, 257, 300, 511, 512, 700 })
        {
            log.Publish(size);
            var (exit, text) = await MonitorAsync(log.Folder, "state", "--entries", "--json");
            exit.ShouldBe(0, text);
            var result = JsonDocument.Parse(text.Trim().Split('\n')[^1]).RootElement;
            result.GetProperty("result").GetString().ShouldBe("pass");
            result.GetProperty("treeSize").GetInt64().ShouldBe(size);
        }
        // Nothing new: passes again, reading only the edge tiles.
        (await MonitorAsync(log.Folder, "state", "--entries")).Exit.ShouldBe(0);

        var mirror = Folder("mirror");
        var (mirrored, said) = await MonitorAsync(log.Folder, "fresh", "--mirror", mirror);
        mirrored.ShouldBe(0, said);
        said.ShouldContain("PASS monitor.test/log: tree of 700 leaves");
        File.ReadAllText(Path.Combine(mirror, "checkpoint")).ShouldBe(log.Checkpoint);
        var (offline, text2) = await MonitorAsync(mirror, "offline", "--entries");
        offline.ShouldBe(0, text2);
    }

    [Fact]
    public async Task A_checkpoint_signed_with_another_key_fails()
    {
        using var other = LedgerSigner.Generate("monitor.test/log");
        var log = new StaticLog(Folder("log"), other, TestEntries(10));
        log.Publish(10);
        var (exit, text) = await MonitorAsync(log.Folder, "state");
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL bad-checkpoint");
        File.Exists(Path.Combine(work.FullName, "state", "state.json")).ShouldBeFalse();
    }

    [Fact]
    public async Task A_tree_rewritten_under_an_old_checkpoint_fails_as_a_rewritten_tile()
    {
        var entries = TestEntries(600);
        var log = new StaticLog(Folder("log"), signer, entries);
        log.Publish(300);
        (await MonitorAsync(log.Folder, "state", "--entries")).Exit.ShouldBe(0);

        // Leaf 3 changed and everything recomputed and re-signed: a perfectly self-consistent log that is not an extension.
        var rewritten = entries.ToArray();
        rewritten[3] = rewritten[3] with { Actor = "mallory" };
        new StaticLog(Folder("log"), signer, Rechain(rewritten)).Publish(600);
        var (exit, text) = await MonitorAsync(log.Folder, "state", "--entries");
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL rewritten-tile");
        text.ShouldContain("differs from the one verified at tree size 300");
        JsonDocument.Parse(File.ReadAllText(Path.Combine(work.FullName, "state", "state.json"))).RootElement.GetProperty("treeSize").GetInt64().ShouldBe(300);
    }

    [Fact]
    public async Task A_log_that_serves_a_different_tile_than_before_fails()
    {
        var log = new StaticLog(Folder("log"), signer, TestEntries(600));
        log.Publish(300);
        (await MonitorAsync(log.Folder, "state")).Exit.ShouldBe(0);
        log.Publish(600);
        // Tile 0/001 was served partial (44 hashes) at 300; now full, with one of those hashes changed.
        var tile = Path.Combine(log.Folder, "tile/0/001");
        var bytes = File.ReadAllBytes(tile);
        bytes[10 * 32] ^= 0xff;
        File.WriteAllBytes(tile, bytes);
        var (exit, text) = await MonitorAsync(log.Folder, "state");
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL rewritten-tile: Tile tile/0/001 differs");
    }

    [Fact]
    public async Task A_changed_byte_in_a_tile_holding_several_subtrees_of_the_root_fails()
    {
        // 300 = 256 + 32 + 8 + 4: three subtrees of the root fall in tile 0/001.p/44, which TileHashReader does not check against its parent.
        var log = new StaticLog(Folder("log"), signer, TestEntries(300));
        log.Publish(300);
        var tile = Path.Combine(log.Folder, "tile/0/001.p/44");
        var bytes = File.ReadAllBytes(tile);
        bytes[40 * 32 + 5] ^= 1;
        File.WriteAllBytes(tile, bytes);
        var (exit, text) = await MonitorAsync(log.Folder, "state");
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL bad-tile: The tiles do not hash to the signed root");

        // And a changed hash in a level-1 tile no longer matches the full level-0 tile below it.
        log.Publish(300);
        var upper = Path.Combine(log.Folder, "tile/1/000.p/1");
        var hashes = File.ReadAllBytes(upper);
        hashes[0] ^= 1;
        File.WriteAllBytes(upper, hashes);
        (exit, text) = await MonitorAsync(log.Folder, "state");
        exit.ShouldBe(1, text);
        text.ShouldContain("is not the hash of tile tile/0/000 below it");
    }

    [Fact]
    public async Task An_entry_that_does_not_hash_to_its_leaf_fails()
    {
        var log = new StaticLog(Folder("log"), signer, TestEntries(300));
        log.Publish(300);
        var bundle = Path.Combine(log.Folder, "tile/entries/001.p/44");
        var bytes = File.ReadAllBytes(bundle);
        bytes[^1] ^= 1;
        File.WriteAllBytes(bundle, bytes);
        (await MonitorAsync(log.Folder, "hashes-only")).Exit.ShouldBe(0);
        var (exit, text) = await MonitorAsync(log.Folder, "state", "--entries");
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL bad-entry: Entry 299 (in tile/entries/001.p/44) does not hash to leaf 299");
    }

    [Fact]
    public async Task A_chain_link_to_the_wrong_previous_leaf_fails()
    {
        var entries = TestEntries(300).ToArray();
        // Entry 200's stream link points at the stream's first leaf instead of its latest: hashed and logged as such.
        var stream = entries[200].StreamId;
        var first = entries.First(e => e.StreamId == stream);
        entries[200] = entries[200] with { PreviousHash = LeafEncoding.LeafHash(first) };
        entries[200].Version.ShouldBeGreaterThan(2);
        var log = new StaticLog(Folder("log"), signer, Rechain(entries, keep: 200));
        log.Publish(300);
        var (exit, text) = await MonitorAsync(log.Folder, "state", "--entries");
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL broken-chain: Entry 200");
        text.ShouldContain("not to the stream's previous leaf");
    }

    [Fact]
    public async Task Two_checkpoints_of_one_size_with_different_roots_are_a_split_view()
    {
        var entries = TestEntries(50);
        var log = new StaticLog(Folder("log"), signer, entries);
        log.Publish(50);
        (await MonitorAsync(log.Folder, "state")).Exit.ShouldBe(0);
        var other = entries.ToArray();
        other[49] = other[49] with { EventType = "document_forged" };
        new StaticLog(Folder("log"), signer, other).Publish(50);
        var (exit, text) = await MonitorAsync(log.Folder, "state");
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL split-view");
    }

    [Fact]
    public async Task The_monitor_audits_the_APIs_own_log_with_an_API_key_for_the_entries_and_its_mirror_offline()
    {
        await IngestAsync(content: "Monitored.\n", title: "Monitored");
        await SignCheckpointAsync();
        var key = (await GetJsonAsync(Roles.Reader, "/api/ledger/key")).GetProperty("verifierKey").GetString()!;
        var runner = new CliRunner(Host, output);
        string[] Args(string state) => ["monitor", "--log", CliRunner.Api + "/log/", "--key", key, "--state", Path.Combine(work.FullName, state)];

        var (exit, text) = await runner.RunAsync([.. Args("api"), "--entries"]);
        exit.ShouldBe(2, text);
        text.ShouldContain("needs an API key");

        var mirror = Folder("api-mirror");
        (exit, text) = await runner.RunAsync([.. Args("api"), "--entries", "--api-key", KeyFor(Roles.Reader), "--mirror", mirror]);
        exit.ShouldBe(0, text);
        text.ShouldContain("PASS");
        (exit, text) = await runner.RunAsync([.. Args("api"), "--json"]);
        exit.ShouldBe(0, text);

        (exit, text) = await runner.RunAsync("monitor", "--log", mirror, "--key", key, "--state", Path.Combine(work.FullName, "offline"), "--entries");
        exit.ShouldBe(0, text);
        (exit, text) = await runner.RunAsync("monitor", "--log", mirror, "--key", signer.Verifier.VerifierKey, "--state", Path.Combine(work.FullName, "x"));
        exit.ShouldBe(1, text);
        if (GoClient.Available)
        {
            var size = JsonDocument.Parse(File.ReadAllText(Path.Combine(work.FullName, "api", "state.json"))).RootElement.GetProperty("treeSize").GetInt64();
            (exit, text) = await GoClient.RunAsync(mirror, key, size / 2, 0, size / 2, size - 1);
            exit.ShouldBe(0, text);
        }
    }

    [GoFact]
    public async Task Golang_x_mod_sumdb_tlog_proves_records_and_consistency_from_our_tiles()
    {
        // Levels 0, 1 and 2, each with a partial tile at the right edge.
        var log = new StaticLog(Folder("log"), signer, TestEntries(66_000));
        log.Publish(66_000);
        var (exit, text) = await GoClient.RunAsync(log.Folder, signer.Verifier.VerifierKey, 65_537, 0, 255, 256, 65_535, 65_536, 65_999);
        exit.ShouldBe(0, text);
        text.ShouldContain("OK monitor.test/log 66000");
        (await GoClient.RunAsync(log.Folder, signer.Verifier.VerifierKey, 300, 299)).Exit.ShouldBe(0);

        // The same client refuses a tile with a changed byte on the path of a proof.
        var tile = Path.Combine(log.Folder, new TileRef(0, 257, 208).Path);
        var bytes = File.ReadAllBytes(tile);
        bytes[0] ^= 1;
        File.WriteAllBytes(tile, bytes);
        (exit, text) = await GoClient.RunAsync(log.Folder, signer.Verifier.VerifierKey, 0, 65_999);
        exit.ShouldNotBe(0, text);
    }

    string Folder(string name) => Directory.CreateDirectory(Path.Combine(work.FullName, name)).FullName;

    static IReadOnlyList<LedgerEntry> TestEntries(int count)
    {
        var streams = Enumerable.Range(0, 1 + count / 25).Select(i => new Guid($"00000000-0000-0000-0000-{i:x12}")).ToArray();
        var entries = new List<LedgerEntry>();
        for (var i = 0; i < count; i++)
        {
            entries.Add(new LedgerEntry(10 + 2L * i, streams[i * 7 % streams.Length], 0, "document_edited",
                DateTimeOffset.UnixEpoch.AddSeconds(1_750_000_000 + i), "alice", Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"), new byte[32]));
        }
        return Rechain(entries);
    }

    /// <summary>Versions and chain links recomputed from the entries' order, except the entries from <paramref name="keep"/> whose link is left as given.</summary>
    static IReadOnlyList<LedgerEntry> Rechain(IReadOnlyList<LedgerEntry> entries, int keep = -1)
    {
        var heads = new Dictionary<Guid, (long Version, byte[] Hash)>();
        var result = new List<LedgerEntry>();
        foreach (var (entry, i) in entries.Select((e, i) => (e, i)))
        {
            var (version, previous) = heads.TryGetValue(entry.StreamId, out var h) ? (h.Version + 1, h.Hash) : (1L, new byte[32]);
            var chained = entry with { Version = version, PreviousHash = i == keep ? entry.PreviousHash : previous };
            heads[entry.StreamId] = (version, LeafEncoding.LeafHash(chained));
            result.Add(chained);
        }
        return result;
    }

    /// <summary>A static tlog-tiles log in a folder, as any web server would serve it: every tile and bundle of each published size.</summary>
    sealed class StaticLog(string folder, LedgerSigner signer, IReadOnlyList<LedgerEntry> entries)
    {
        public string Folder => folder;
        public string Checkpoint { get; private set; } = "";

        public void Publish(long size)
        {
            var encoded = entries.Take((int)size).Select(LeafEncoding.Encode).ToArray();
            var appender = new MerkleAppender();
            var tiles = new Dictionary<(int, long), List<byte>>();
            foreach (var entry in encoded)
            {
                foreach (var append in TlogTiles.TileAppends(appender.Append(MerkleHash.LeafHash(entry))))
                {
                    if (!tiles.TryGetValue((append.Level, append.Index), out var hashes)) tiles[(append.Level, append.Index)] = hashes = [];
                    hashes.AddRange(append.Hashes);
                }
            }
            foreach (var level in Enumerable.Range(0, TlogTiles.LevelCount(size)))
            {
                foreach (var tile in TlogTiles.TilesOfLevel(level, size))
                {
                    Write(tile.Path, tiles[(tile.Level, tile.Index)].Take(tile.Width * 32).ToArray());
                    if (level == 0)
                    {
                        Write((tile with { IsEntries = true }).Path, EntryBundle.Encode(encoded.Skip((int)tile.Index * 256).Take(tile.Width)));
                    }
                }
            }
            Checkpoint = signer.SignCheckpoint(new Checkpoint(signer.Name, size, appender.Root()));
            Write("checkpoint", Encoding.UTF8.GetBytes(Checkpoint));
        }

        void Write(string path, byte[] bytes)
        {
            var file = Path.Combine(folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, bytes);
        }
    }
}

/// <summary>A fact that needs Go and golang.org/x/mod (Debian golang-go, golang-golang-x-mod-dev; .ci/run installs them).</summary>
public sealed class GoFactAttribute : FactAttribute
{
    public GoFactAttribute()
    {
        if (!GoClient.Available) Skip = "go or golang.org/x/mod is not installed (apt-get install golang-go golang-golang-x-mod-dev; .ci/run installs them).";
    }
}

/// <summary>GoTlogClient/main.go, built once per run: an independent tlog-tiles client on golang.org/x/mod/sumdb/tlog.</summary>
static class GoClient
{
    const string XMod = "/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog";
    static readonly Lazy<Task<string>> Built = new(BuildAsync);

    public static bool Available => Directory.Exists(XMod) && Which("go") is not null;

    public static async Task<(int Exit, string Output)> RunAsync(string dir, string key, long old, params long[] indexes) =>
        await ExecAsync(await Built.Value, null, ["-dir", dir, "-key", key, "-old", old.ToString(), .. indexes.Select(i => i.ToString())]);

    static async Task<string> BuildAsync()
    {
        var output = Path.Combine(Path.GetTempPath(), $"provenance-tlogclient-{Guid.NewGuid():N}");
        var (exit, text) = await ExecAsync("go", Source(), ["build", "-o", output, "."]);
        return exit == 0 ? output : throw new InvalidOperationException($"go build failed: {text}");
    }

    static string Source([System.Runtime.CompilerServices.CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "GoTlogClient");

    static async Task<(int, string)> ExecAsync(string file, string? directory, string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory ?? "" };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // Offline: x/mod from Debian's source tree (go.mod replaces it), nothing from a proxy.
        start.Environment["GOFLAGS"] = "-mod=mod";
        start.Environment["GOPROXY"] = "off";
        start.Environment["GOCACHE"] = Path.Combine(Path.GetTempPath(), "provenance-gocache");
        start.Environment["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? Path.GetTempPath();
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    static string? Which(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, command)).FirstOrDefault(File.Exists);
}
