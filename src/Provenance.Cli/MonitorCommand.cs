using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Provenance.Ledger;

namespace Provenance.Cli;

/// <summary>
/// <c>provenance monitor --log URL|DIR --key K --state DIR [--entries] [--follow] [--json] [--mirror DIR] [--api-key KEY]</c>: audits a
/// c2sp.org/tlog-tiles log (ours under <c>/log/</c>, or a static mirror of it) from its tiles alone, never from a proof endpoint
/// (<see cref="LogAudit"/>), and keeps the verified tree in the state folder only when every check held.
/// Exit 0 consistent, 1 a check failed (split view, rewritten or bad tile, bad entry, broken chain), 2 nothing could be checked.
/// </summary>
static class MonitorCommand
{
    internal static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    const string StateFile = "state.json";
    const string StreamsFile = "streams.bin";
    const string ApiKeyVariable = "PROVENANCE_API_KEY";

    public static Command Create(Func<string, string, HttpClient> connect)
    {
        var log = new Option<string>("--log") { Description = "The log prefix: https://host/log (with or without the final slash), or a mirror folder.", Required = true };
        var key = new Option<string>("--key") { Description = "The log's verifier key, <origin>+<key id>+<base64> (GET /api/ledger/key).", Required = true };
        var state = new Option<DirectoryInfo>("--state") { Description = "Where the last verified checkpoint and tree edge are kept between runs.", Required = true };
        var entries = new Option<bool>("--entries") { Description = "Also download every new entry bundle: each entry must hash to its leaf and chain to its stream." };
        var follow = new Option<bool>("--follow") { Description = "Keep polling the checkpoint (with backoff) until interrupted or a check fails." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per audit instead of the summary line." };
        var mirror = new Option<DirectoryInfo?>("--mirror") { Description = "Write a static copy of the log (checkpoint, tiles, entries) here; implies --entries." };
        var apiKey = new Option<string?>("--api-key") { Description = $"The API key for private entry bundles (default: ${ApiKeyVariable})." };
        var interval = new Option<TimeSpan>("--interval") { Description = "With --follow, the first wait between polls (doubles while nothing changes, up to 32×).", DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };
        var witnesses = new WitnessPolicyOptions();
        var command = new Command("monitor", "Audit a tiled transparency log from its tiles and entries, keeping state between runs. Exit 0 consistent, 1 a check failed, 2 cannot check.")
        {
            log, key, state, entries, follow, json, mirror, apiKey, interval,
        };
        witnesses.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            if (!NoteVerifier.TryParse(result.GetValue(key)!, out var verifier, out var error)) return ExitCodes.Cannot($"--key is not a verifier key: {error}");
            var policy = witnesses.Resolve(result, out var policyError);
            if (policyError is not null) return ExitCodes.Cannot(policyError);
            var source = LogSource.Open(result.GetValue(log)!, result.GetValue(apiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable), connect);
            var monitor = new Monitor(source, verifier!, result.GetValue(state)!, result.GetValue(mirror), result.GetValue(entries) || result.GetValue(mirror) is not null,
                result.GetValue(json), policy);
            if (!result.GetValue(follow)) return await monitor.RunOnceAsync(ct);

            var wait = result.GetValue(interval);
            var longest = wait * 32;
            var delay = wait;
            long lastSize = -1;
            while (!ct.IsCancellationRequested)
            {
                var (exit, size) = await monitor.RunAsync(ct);
                if (exit == ExitCodes.NotVerified) return exit;
                // Back off while the log is quiet or unreachable; start over as soon as it grows.
                delay = exit == ExitCodes.Verified && size != lastSize ? wait : TimeSpan.FromTicks(Math.Min(longest.Ticks, delay.Ticks * 2));
                lastSize = size;
                try
                {
                    await Task.Delay(delay, ct);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            return ExitCodes.Verified;
        });
        return command;
    }

    sealed class Monitor(LogSource source, NoteVerifier verifier, DirectoryInfo stateDir, DirectoryInfo? mirror, bool withEntries, bool json,
        WitnessPolicy? policy)
    {
        public async Task<int> RunOnceAsync(CancellationToken ct) => (await RunAsync(ct)).Exit;

        public async Task<(int Exit, long TreeSize)> RunAsync(CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            AuditState previous;
            try
            {
                previous = LoadState(stateDir, withEntries);
            }
            catch (Exception e) when (e is IOException or JsonException or FormatException or InvalidDataException or UnauthorizedAccessException)
            {
                return (Report(ExitCodes.CannotVerify, "cannot", $"The state in {stateDir.FullName} cannot be used: {e.Message}", null, null, null, clock), -1);
            }

            string note;
            try
            {
                note = await source.CheckpointAsync(ct);
            }
            catch (LogUnavailableException e)
            {
                return (Report(ExitCodes.CannotVerify, "cannot", e.Message, previous, null, null, clock), previous.TreeSize);
            }
            var checkpoint = Checkpoint.Verify(note, verifier);
            if (!checkpoint.IsValid)
            {
                return (Report(ExitCodes.NotVerified, "bad-checkpoint", $"The checkpoint does not verify with {verifier.VerifierKey}: {checkpoint.Reason}",
                    previous, null, null, clock), previous.TreeSize);
            }
            if (policy?.Evaluate(note) is { Satisfied: false } unwitnessed)
            {
                // A checkpoint without its quorum may be a split view shown to this monitor alone: not accepted, state kept.
                return (Report(ExitCodes.NotVerified, "no-quorum", unwitnessed.Reason!, previous, checkpoint.Checkpoint, null, clock), previous.TreeSize);
            }

            var progress = json ? null : new ProgressLine(Console.Error);
            var audit = new LogAudit(async (tile, token) =>
            {
                var bytes = await source.TileAsync(tile, token);
                if (bytes is not null && mirror is not null) await WriteAtomicAsync(Path.Combine(mirror.FullName, tile.Path), bytes, token);
                return bytes;
            }) { Progress = progress };
            AuditOutcome outcome;
            try
            {
                outcome = await audit.AuditAsync(previous, checkpoint.Checkpoint!, withEntries, ct);
            }
            catch (LogUnavailableException e)
            {
                return (Report(ExitCodes.CannotVerify, "cannot", e.Message, previous, checkpoint.Checkpoint, null, clock), previous.TreeSize);
            }
            if (!outcome.Passed)
            {
                return (Report(ExitCodes.NotVerified, Kebab(outcome.Failure), outcome.Reason!, previous, checkpoint.Checkpoint, outcome, clock), previous.TreeSize);
            }

            SaveState(stateDir, outcome.State!, note);
            if (mirror is not null) await WriteAtomicAsync(Path.Combine(mirror.FullName, "checkpoint"), StrictUtf8.GetBytes(note), ct);
            return (Report(ExitCodes.Verified, "pass", null, previous, checkpoint.Checkpoint, outcome, clock), outcome.State!.TreeSize);
        }

        int Report(int exit, string result, string? reason, AuditState? previous, Checkpoint? next, AuditOutcome? outcome, Stopwatch clock)
        {
            var seconds = Math.Round(clock.Elapsed.TotalSeconds, 3);
            var entries = withEntries && outcome?.Passed == true ? outcome.State!.TreeSize - previous!.TreeSize : 0;
            if (json)
            {
                var line = new JsonObject
                {
                    ["result"] = result,
                    ["reason"] = reason,
                    ["origin"] = next?.Origin,
                    ["treeSize"] = next?.TreeSize,
                    ["rootHash"] = next is null ? null : Convert.ToBase64String(next.RootHash),
                    ["previousTreeSize"] = previous?.TreeSize,
                    ["tiles"] = outcome?.TilesRead ?? 0,
                    ["entryBundles"] = outcome?.EntriesRead ?? 0,
                    ["entries"] = entries,
                    ["bytes"] = outcome?.BytesRead ?? 0,
                    ["seconds"] = seconds,
                };
                Console.WriteLine(line.ToJsonString());
                return exit;
            }
            var read = outcome is null ? "" : $"; read {outcome.TilesRead} tiles, {outcome.EntriesRead} entry bundles, {outcome.BytesRead:N0} bytes";
            if (exit == ExitCodes.Verified)
            {
                var audited = withEntries ? $", {entries} new entries hashed and chained" : "";
                Console.WriteLine($"PASS {next!.Origin}: tree of {next.TreeSize} leaves, root {Convert.ToBase64String(next.RootHash)}, consistent with the " +
                    $"{previous!.TreeSize} verified before{audited}{read} in {seconds} s.");
            }
            else
            {
                Console.Error.WriteLine($"FAIL {result}: {reason}");
                Console.WriteLine($"FAIL {result}: kept state unchanged at tree size {previous?.TreeSize}{read} in {seconds} s.");
            }
            return exit;
        }

        static string Kebab(AuditFailure failure) => JsonNamingPolicy.KebabCaseLower.ConvertName(failure.ToString());
    }

    /// <summary>Reads the kept state: the JSON file, and the stream heads when entries were audited.</summary>
    static AuditState LoadState(DirectoryInfo dir, bool withEntries)
    {
        var file = Path.Combine(dir.FullName, StateFile);
        if (!File.Exists(file)) return AuditState.Empty(withEntries);
        var root = JsonNode.Parse(File.ReadAllText(file)) ?? throw new FormatException("empty state file");
        var size = root["treeSize"]!.GetValue<long>();
        var edges = root["edges"]!.AsArray().Select(e => new TileEdge(e!["level"]!.GetValue<int>(), e["index"]!.GetValue<long>(),
            Convert.FromBase64String(e["hashes"]!.GetValue<string>()))).ToList();
        var state = new AuditState(size, Convert.FromBase64String(root["rootHash"]!.GetValue<string>()), edges);
        var entriesNode = root["entries"];
        if (!withEntries) return state;
        if (entriesNode is null)
        {
            throw new InvalidDataException($"it was kept without --entries up to tree size {size}; audit the entries with a fresh --state folder.");
        }
        var streams = new Dictionary<Guid, StreamHead>();
        var bytes = File.ReadAllBytes(Path.Combine(dir.FullName, StreamsFile));
        const int record = 16 + 8 + MerkleHash.Size;
        if (bytes.Length % record != 0) throw new InvalidDataException($"{StreamsFile} is not a whole number of stream records.");
        for (var at = 0; at < bytes.Length; at += record)
        {
            streams[new Guid(bytes.AsSpan(at, 16), bigEndian: true)] =
                new StreamHead(System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(at + 16)), bytes[(at + 24)..(at + record)]);
        }
        if (entriesNode["streams"]!.GetValue<int>() != streams.Count) throw new InvalidDataException($"{StreamsFile} does not match {StateFile}.");
        return state with { Entries = new EntryAudit(entriesNode["lastSequence"]!.GetValue<long>(), streams) };
    }

    static void SaveState(DirectoryInfo dir, AuditState state, string note)
    {
        dir.Create();
        var root = new JsonObject
        {
            ["treeSize"] = state.TreeSize,
            ["rootHash"] = Convert.ToBase64String(state.RootHash),
            ["checkpoint"] = note,
            ["edges"] = new JsonArray(state.Edges.Select(e => (JsonNode)new JsonObject
            {
                ["level"] = e.Level, ["index"] = e.Index, ["hashes"] = Convert.ToBase64String(e.Hashes),
            }).ToArray()),
        };
        if (state.Entries is { } entries)
        {
            root["entries"] = new JsonObject { ["lastSequence"] = entries.LastSequence, ["streams"] = entries.Streams.Count };
            using var streams = new MemoryStream();
            Span<byte> buffer = stackalloc byte[16 + 8];
            foreach (var (id, head) in entries.Streams)
            {
                id.TryWriteBytes(buffer, bigEndian: true, out _);
                System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(buffer[16..], head.Version);
                streams.Write(buffer);
                streams.Write(head.LeafHash);
            }
            WriteAtomic(Path.Combine(dir.FullName, StreamsFile), streams.ToArray());
        }
        WriteAtomic(Path.Combine(dir.FullName, "checkpoint"), StrictUtf8.GetBytes(note));
        // Last: the state file is what the next run trusts, and a rename replaces it whole.
        WriteAtomic(Path.Combine(dir.FullName, StateFile), System.Text.Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
    }

    static void WriteAtomic(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    static async Task WriteAtomicAsync(string path, byte[] bytes, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():n}.tmp";
        await File.WriteAllBytesAsync(temporary, bytes, ct);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Progress on standard error for long catch-ups, at most a line a second.</summary>
    sealed class ProgressLine(TextWriter writer) : IProgress<AuditProgress>
    {
        readonly Stopwatch since = Stopwatch.StartNew();
        bool printed;

        public void Report(AuditProgress value)
        {
            if (since.ElapsedMilliseconds < 1000 && value.Done != value.Total) return;
            if (value.Total < 64 && !printed) return;
            since.Restart();
            printed = true;
            writer.WriteLine($"  level {value.Level}: {value.Done}/{value.Total} tiles");
        }
    }
}

/// <summary>The log cannot be read (network error, an HTTP status other than 200 and 404, an unreadable file).</summary>
sealed class LogUnavailableException(string message) : Exception(message);

/// <summary>Where the monitor reads the log: an HTTP prefix (ours, a CDN, any static server) or a local mirror folder.</summary>
abstract class LogSource
{
    public static LogSource Open(string log, string? apiKey, Func<string, string, HttpClient> connect)
    {
        if (log.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || log.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var client = connect(log.TrimEnd('/') + "/", apiKey ?? "");
            if (string.IsNullOrEmpty(apiKey)) client.DefaultRequestHeaders.Authorization = null;
            return new HttpLog(client, !string.IsNullOrEmpty(apiKey));
        }
        var folder = log.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(log).LocalPath : log;
        return new FolderLog(folder);
    }

    public async Task<string> CheckpointAsync(CancellationToken ct)
    {
        var bytes = await GetAsync("checkpoint", ct) ?? throw new LogUnavailableException("The log serves no checkpoint (404): nothing is signed yet, or this is not a log prefix.");
        try
        {
            return MonitorCommand.StrictUtf8.GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return "";
        }
    }

    public Task<byte[]?> TileAsync(TileRef tile, CancellationToken ct) => GetAsync(tile.Path, ct);

    protected abstract Task<byte[]?> GetAsync(string path, CancellationToken ct);

    sealed class HttpLog(HttpClient client, bool keyed) : LogSource
    {
        protected override async Task<byte[]?> GetAsync(string path, CancellationToken ct)
        {
            HttpResponseMessage response;
            try
            {
                response = await client.GetAsync(path, ct);
            }
            catch (HttpRequestException e)
            {
                throw new LogUnavailableException($"Cannot reach {client.BaseAddress}{path}: {e.Message}");
            }
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.NotFound) return null;
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    throw new LogUnavailableException(keyed
                        ? $"{client.BaseAddress}{path} refused the API key ({(int)response.StatusCode})."
                        : $"{client.BaseAddress}{path} needs an API key ({(int)response.StatusCode}): give --api-key or set PROVENANCE_API_KEY.");
                }
                if (!response.IsSuccessStatusCode) throw new LogUnavailableException($"{client.BaseAddress}{path}: {(int)response.StatusCode} {response.ReasonPhrase}.");
                return await response.Content.ReadAsByteArrayAsync(ct);
            }
        }
    }

    sealed class FolderLog(string folder) : LogSource
    {
        protected override async Task<byte[]?> GetAsync(string path, CancellationToken ct)
        {
            var file = Path.Combine(folder, path);
            try
            {
                return File.Exists(file) ? await File.ReadAllBytesAsync(file, ct) : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new LogUnavailableException($"Cannot read {file}: {e.Message}");
            }
        }
    }
}
