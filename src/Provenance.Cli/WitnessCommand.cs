using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Provenance.Ledger;

namespace Provenance.Cli;

/// <summary>
/// <c>provenance witness serve --key K --log ORIGIN=VKEY... --state DIR --listen 127.0.0.1:PORT</c>: a c2sp.org/tlog-witness that
/// cosigns a log's checkpoints only when they are consistent with the last one it cosigned, and <c>provenance witness generate-key
/// --name NAME</c> for its key.
/// </summary>
static class WitnessCommand
{
    public static Command Create()
    {
        var key = new Option<string>("--key") { Description = "The witness's signing key, PRIVATE+KEY+<name>+<id>+<base64>, or a file holding it.", Required = true };
        var logs = new Option<string[]>("--log")
        {
            Description = "A log to witness: <origin>=<log verifier key> (repeat for more logs, or for more keys of one log).", Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var state = new Option<DirectoryInfo>("--state") { Description = "Where the latest cosigned checkpoint of each log is kept (one witness per folder).", Required = true };
        var listen = new Option<string>("--listen") { Description = "host:port to listen on.", DefaultValueFactory = _ => "127.0.0.1:7380" };
        var serve = new Command("serve", "Serve POST /add-checkpoint (c2sp.org/tlog-witness) and GET /<sha256(origin)>/checkpoint.") { key, logs, state, listen };
        serve.SetAction((result, ct) => ServeAsync(result.GetValue(key)!, result.GetValue(logs)!, result.GetValue(state)!, result.GetValue(listen)!, ct));

        var name = new Option<string>("--name") { Description = "The witness's key name, a schema-less URL such as witness.example/w1.", Required = true };
        var generate = new Command("generate-key", "Print a new witness signing key (secret) on the first line and its verifier key on the second.") { name };
        generate.SetAction(result =>
        {
            using var signer = CosignatureSigner.Generate(result.GetValue(name)!);
            Console.WriteLine(signer.ExportSignerKey());
            Console.WriteLine(signer.Verifier.VerifierKey);
            return ExitCodes.Verified;
        });
        return new Command("witness", "Run a transparency log witness (c2sp.org/tlog-witness, tlog-cosignature/v1 Ed25519).") { serve, generate };
    }

    static async Task<int> ServeAsync(string keyText, string[] logArgs, DirectoryInfo stateDir, string listen, CancellationToken ct)
    {
        CosignatureSigner signer;
        try
        {
            signer = CosignatureSigner.FromSignerKey(File.Exists(keyText) ? File.ReadAllText(keyText).Trim() : keyText);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            return ExitCodes.Cannot($"--key: {e.Message}");
        }
        var logs = new Dictionary<string, List<NoteVerifier>>(StringComparer.Ordinal);
        foreach (var arg in logArgs)
        {
            var split = arg.IndexOf('=');
            if (split <= 0) return ExitCodes.Cannot($"--log '{arg}': expected <origin>=<verifier key>.");
            if (!NoteVerifier.TryParse(arg[(split + 1)..], out var verifier, out var error)) return ExitCodes.Cannot($"--log '{arg}': {error}");
            var origin = arg[..split];
            if (!logs.TryGetValue(origin, out var list)) logs[origin] = list = [];
            list.Add(verifier!);
        }
        var host = listen.LastIndexOf(':');
        if (host <= 0 || !IPAddress.TryParse(listen[..host].Trim('[', ']'), out var address) || !int.TryParse(listen[(host + 1)..], out var port))
        {
            return ExitCodes.Cannot($"--listen '{listen}': expected <ip address>:<port>.");
        }

        WitnessStateFolder store;
        try
        {
            store = WitnessStateFolder.Open(stateDir.FullName);
        }
        catch (IOException e)
        {
            return ExitCodes.Cannot($"--state {stateDir.FullName}: {e.Message}");
        }
        using (store)
        {
            var witness = new Witness(signer, logs.ToDictionary(l => l.Key, l => (IReadOnlyList<NoteVerifier>)l.Value, StringComparer.Ordinal), store,
                TimeProvider.System);
            var byHash = logs.Keys.ToDictionary(o => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(o))), o => o);

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Listen(address, port);
                k.Limits.MaxRequestBodySize = AddCheckpointRequest.MaxBytes;
                k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            });
            await using var app = builder.Build();
            app.MapPost("/add-checkpoint", async (HttpContext context) =>
            {
                var body = await ReadBoundedAsync(context.Request, context.RequestAborted);
                var answer = body is null
                    ? new WitnessAnswer(413, "text/plain; charset=utf-8", $"The request is larger than {AddCheckpointRequest.MaxBytes} bytes.\n")
                    : await witness.AddCheckpointAsync(body, context.RequestAborted);
                context.Response.StatusCode = answer.Status;
                context.Response.ContentType = answer.ContentType;
                await context.Response.WriteAsync(answer.Body, context.RequestAborted);
            });
            app.MapGet("/{originHash}/checkpoint", async (string originHash, HttpContext context) =>
            {
                var note = byHash.TryGetValue(originHash, out var origin) ? await witness.LatestAsync(origin, context.RequestAborted) : null;
                context.Response.StatusCode = note is null ? 404 : 200;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(note ?? "This witness has cosigned no checkpoint of that log.\n", context.RequestAborted);
            });
            await app.StartAsync(ct);
            Console.WriteLine($"Witness {signer.Verifier.VerifierKey} listening on http://{listen} for {string.Join(", ", logs.Keys)}; state in {stateDir.FullName}.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
            await app.StopAsync(CancellationToken.None);
        }
        return ExitCodes.Verified;
    }

    /// <summary>The body, or null past the limit (also enforced by Kestrel for a declared length; this covers chunked bodies).</summary>
    static async Task<byte[]?> ReadBoundedAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > AddCheckpointRequest.MaxBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > AddCheckpointRequest.MaxBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}

/// <summary>
/// A witness's state folder: one file per log (<c>&lt;sha256(origin)&gt;.json</c>), replaced by writing a temporary file, fsyncing
/// it, renaming it over the old one and fsyncing the folder, so a crash leaves the old state or the new one, never a torn file. A
/// lock file keeps a second witness process off the same folder.
/// </summary>
sealed class WitnessStateFolder : IWitnessStateStore, IDisposable
{
    readonly string folder;
    readonly FileStream lockFile;
    readonly Dictionary<string, WitnessedCheckpoint?> cache = new(StringComparer.Ordinal);
    readonly Lock gate = new();

    WitnessStateFolder(string folder, FileStream lockFile)
    {
        this.folder = folder;
        this.lockFile = lockFile;
    }

    public static WitnessStateFolder Open(string folder)
    {
        Directory.CreateDirectory(folder);
        try
        {
            return new WitnessStateFolder(folder, new FileStream(Path.Combine(folder, "witness.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e)
        {
            throw new IOException($"another witness holds this state folder ({e.Message})", e);
        }
    }

    string PathOf(string origin) => Path.Combine(folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin))) + ".json");

    public async Task<WitnessedCheckpoint?> LoadAsync(string origin, CancellationToken ct)
    {
        lock (gate)
        {
            if (cache.TryGetValue(origin, out var cached)) return cached;
        }
        var file = PathOf(origin);
        WitnessedCheckpoint? state = null;
        if (File.Exists(file))
        {
            using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(file, ct));
            var root = json.RootElement;
            if (root.GetProperty("origin").GetString() != origin) throw new InvalidDataException($"{file} is the state of another origin.");
            state = new WitnessedCheckpoint(root.GetProperty("treeSize").GetInt64(), Convert.FromBase64String(root.GetProperty("rootHash").GetString()!),
                root.GetProperty("checkpoint").GetString()!);
        }
        lock (gate)
        {
            cache[origin] = state;
        }
        return state;
    }

    public async Task SaveAsync(string origin, WitnessedCheckpoint state, CancellationToken ct)
    {
        var file = PathOf(origin);
        var temporary = file + ".tmp";
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new
        {
            origin, treeSize = state.TreeSize, rootHash = Convert.ToBase64String(state.RootHash), checkpoint = state.CosignedNote,
        });
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await stream.WriteAsync(bytes, ct);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, file, overwrite: true);
        SyncDirectory(folder);
        lock (gate)
        {
            cache[origin] = state;
        }
    }

    /// <summary>fsync of the folder, so the rename itself survives a power cut (Linux; elsewhere the rename is left to the OS).</summary>
    static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Native.open(path, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"Cannot open {path} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (Native.fsync(fd) != 0) throw new IOException($"fsync of {path} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            Native.close(fd);
        }
    }

    public void Dispose() => lockFile.Dispose();

    static class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
    }
}
