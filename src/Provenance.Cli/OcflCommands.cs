using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Provenance.Ledger;

namespace Provenance.Cli;

/// <summary>
/// OCFL 1.1 storage (https://ocfl.io/1.1/spec/): a storage root laid out by extension 0004-hashed-n-tuple-storage-layout, one object
/// per document (<c>urn:uuid:{id}</c>), one version per revision. A version's state is the revision's content (<c>content.txt</c>), the
/// translations current at that version (<c>translations/{language}.txt</c>), and the provenance files beside them
/// (<c>provenance/report.json</c> with its signature, PREMIS, PROV-JSON, the checkpoint, the tlog-proofs of the version's own events and
/// <c>provenance/version.json</c> naming them). Translations and verifications recorded after a revision go into the next revision's version;
/// those after the last revision into a version of their own whose message says so. Digests are SHA-512; a re-run adds versions for the
/// events after the last one covered and never rewrites an old version.
/// </summary>
static class Ocfl
{
    public const string RootDeclaration = "0=ocfl_1.1";
    public const string ObjectDeclaration = "0=ocfl_object_1.1";
    public const string InventoryType = "https://ocfl.io/1.1/spec/#inventory";
    public const string Layout = "0004-hashed-n-tuple-storage-layout";
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    static readonly HashSet<string> Revisions = new(StringComparer.Ordinal) { "document_ingested", "document_edited" };

    public static void EnsureRoot(string root)
    {
        Directory.CreateDirectory(root);
        var declaration = Path.Combine(root, RootDeclaration);
        if (File.Exists(declaration)) return;
        if (Directory.EnumerateFileSystemEntries(root).Any()) throw new IOException($"{root} is neither empty nor an OCFL storage root.");
        File.WriteAllText(declaration, "ocfl_1.1\n");
        File.WriteAllText(Path.Combine(root, "ocfl_layout.json"),
            JsonSerializer.Serialize(new JsonObject { ["extension"] = Layout, ["description"] = "Hashed N-tuple storage layout (sha256, 3 tuples of 3)" }, Indented));
        var config = Directory.CreateDirectory(Path.Combine(root, "extensions", Layout));
        File.WriteAllText(Path.Combine(config.FullName, "config.json"), JsonSerializer.Serialize(new JsonObject
        {
            ["extensionName"] = Layout, ["digestAlgorithm"] = "sha256", ["tupleSize"] = 3, ["numberOfTuples"] = 3, ["shortObjectRoot"] = false,
        }, Indented));
    }

    /// <summary>0004 with its defaults: sha256 of the id, three 3-character tuples, then the whole digest.</summary>
    public static string ObjectPath(string id)
    {
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
        return Path.Combine(digest[..3], digest[3..6], digest[6..9], digest);
    }

    /// <summary>Adds to the object of the document in <paramref name="report"/> the versions for its events not yet in it; returns how many.</summary>
    public static async Task<int> ExtendAsync(string root, PackageFiles bag, string reportPath, CancellationToken ct)
    {
        var folder = reportPath[..^"report.json".Length];
        var report = JsonNode.Parse(bag.Files[reportPath].Bytes)!;
        var documentId = report["document"]!["id"]!.GetValue<Guid>();
        var id = $"urn:uuid:{documentId}";
        var objectRoot = Path.Combine(root, ObjectPath(id));
        var inventoryPath = Path.Combine(objectRoot, "inventory.json");
        JsonObject inventory;
        if (File.Exists(inventoryPath)) inventory = JsonNode.Parse(await File.ReadAllBytesAsync(inventoryPath, ct))!.AsObject();
        else
        {
            Directory.CreateDirectory(objectRoot);
            await File.WriteAllTextAsync(Path.Combine(objectRoot, ObjectDeclaration), "ocfl_object_1.1\n", ct);
            inventory = new JsonObject
            {
                ["id"] = id, ["type"] = InventoryType, ["digestAlgorithm"] = "sha512", ["head"] = "v0", ["contentDirectory"] = "content",
                ["manifest"] = new JsonObject(), ["versions"] = new JsonObject(),
            };
        }
        var manifest = inventory["manifest"]!.AsObject();
        var versions = inventory["versions"]!.AsObject();
        var head = int.Parse(inventory["head"]!.GetValue<string>()[1..], CultureInfo.InvariantCulture);
        var state = head == 0 ? new Dictionary<string, string>(StringComparer.Ordinal) : StateOf(versions[$"v{head}"]!["state"]!.AsObject());
        var covered = head == 0 ? 0L : CoveredVersion(state, manifest, objectRoot);

        var byDigest = bag.Files.Values.Where(f => f.Path.StartsWith("data/", StringComparison.Ordinal)).GroupBy(f => "sha256:" + f.Sha256).ToDictionary(g => g.Key, g => g.First());
        var events = report["events"]!.AsArray().Select(e => e!).OrderBy(e => e["version"]!.GetValue<long>()).Where(e => e["version"]!.GetValue<long>() > covered).ToList();
        var groups = new List<List<JsonNode>>();
        var pending = new List<JsonNode>();
        foreach (var e in events)
        {
            pending.Add(e);
            if (Revisions.Contains(e["eventType"]!.GetValue<string>())) { groups.Add(pending); pending = []; }
        }
        if (pending.Count > 0) groups.Add(pending);
        var revision = report["revisions"]!.AsArray().Where(r => r!["sequence"]!.GetValue<long>() is var s && events.All(e => e["sequence"]!.GetValue<long>() != s))
            .Select(r => r!["revision"]!.GetValue<int>()).DefaultIfEmpty(0).Max();

        foreach (var group in groups)
        {
            head++;
            var version = $"v{head}";
            var contentDir = Path.Combine(objectRoot, version, "content");
            foreach (var key in state.Keys.Where(k => k.StartsWith("provenance/", StringComparison.Ordinal)).ToList()) state.Remove(key);
            var added = new Dictionary<string, (string Sha512, Func<Stream, Task> Write)>(StringComparer.Ordinal);
            void Put(string logical, string sha512, Func<Stream, Task> write)
            {
                state[logical] = sha512;
                if (!manifest.ContainsKey(sha512) && !added.Values.Any(a => a.Sha512 == sha512)) added[logical] = (sha512, write);
            }
            void PutBytes(string logical, byte[] bytes) => Put(logical, Convert.ToHexStringLower(SHA512.HashData(bytes)), s => s.WriteAsync(bytes, ct).AsTask());
            string? translated = null;
            JsonNode? revisionEvent = null;
            foreach (var e in group)
            {
                var type = e["eventType"]!.GetValue<string>();
                var data = e["data"]!;
                if (type is "document_ingested" or "document_edited" or "document_translated")
                {
                    var digest = data["contentDigest"]!.GetValue<string>();
                    if (!byDigest.TryGetValue(digest, out var file)) throw new InvalidDataException($"{digest} (event {e["sequence"]}) is not in the bag.");
                    var extension = Path.GetExtension(file.Path);
                    if (type == "document_translated")
                    {
                        var language = data["language"]!.GetValue<string>();
                        var safe = new string(language.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_').ToArray());
                        foreach (var old in state.Keys.Where(k => k.StartsWith($"translations/{safe}.", StringComparison.Ordinal) || k == $"translations/{safe}").ToList()) state.Remove(old);
                        Put($"translations/{safe}{extension}", file.Sha512, s => bag.CopyAsync(file.Path, s, ct));
                        translated = translated is null ? language : $"{translated}, {language}";
                    }
                    else
                    {
                        foreach (var old in state.Keys.Where(k => k.StartsWith("content", StringComparison.Ordinal)).ToList()) state.Remove(old);
                        Put($"content{extension}", file.Sha512, s => bag.CopyAsync(file.Path, s, ct));
                        revisionEvent = e;
                        revision = type == "document_ingested" ? 1 : data["revision"]!.GetValue<int>();
                    }
                }
                var proofName = $"event-{e["version"]!.GetValue<long>().ToString("0000", CultureInfo.InvariantCulture)}.tlog-proof";
                if (bag.Files.TryGetValue($"{folder}tlog-proofs/{proofName}", out var proof)) PutBytes($"provenance/tlog-proofs/{proofName}", proof.Bytes!);
            }
            foreach (var tag in new[] { "report.json", "report.json.sig", "premis.xml", "prov.json", "checkpoint" })
            {
                if (bag.Files.TryGetValue(folder + tag, out var file)) PutBytes($"provenance/{tag}", file.Bytes!);
            }
            PutBytes("provenance/version.json", JsonSerializer.SerializeToUtf8Bytes(new JsonObject
            {
                ["document"] = documentId.ToString(),
                ["events"] = new JsonArray(group.Select(e => (JsonNode)new JsonObject
                {
                    ["version"] = e["version"]!.GetValue<long>(), ["sequence"] = e["sequence"]!.GetValue<long>(), ["eventType"] = e["eventType"]!.GetValue<string>(),
                    ["actor"] = e["actor"]!.GetValue<string>(), ["timestamp"] = e["timestamp"]!.DeepClone(),
                }).ToArray()),
            }, Indented));

            var last = revisionEvent ?? group[^1];
            var message = revisionEvent is not null
                ? revisionEvent["reason"]?.GetValue<string>() ?? $"Revision {revision}"
                : translated is not null ? $"Translation into {translated} recorded after revision {revision}" : $"Events recorded after revision {revision}: " +
                    string.Join(", ", group.Select(e => e["kind"]!.GetValue<string>()).Distinct());
            var created = last["timestamp"]!.GetValue<DateTimeOffset>().ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

            foreach (var (logical, (sha512, write)) in added)
            {
                var path = Path.Combine(contentDir, logical);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await using (var file = File.Create(path)) await write(file);
                manifest[sha512] = new JsonArray($"{version}/content/{logical}");
            }
            var stateJson = new JsonObject();
            foreach (var group2 in state.GroupBy(p => p.Value).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                stateJson[group2.Key] = new JsonArray(group2.Select(p => (JsonNode)p.Key).Order().ToArray());
            }
            versions[version] = new JsonObject
            {
                ["created"] = created, ["message"] = message, ["user"] = new JsonObject { ["name"] = last["actor"]!.GetValue<string>() }, ["state"] = stateJson,
            };
            inventory["head"] = version;
            Directory.CreateDirectory(Path.Combine(objectRoot, version));
            await WriteInventoryAsync(Path.Combine(objectRoot, version), inventory, ct);
        }
        if (groups.Count > 0) await WriteInventoryAsync(objectRoot, inventory, ct);
        return groups.Count;
    }

    static Dictionary<string, string> StateOf(JsonObject state)
        => state.SelectMany(p => p.Value!.AsArray().Select(path => (Path: path!.GetValue<string>(), Digest: p.Key))).ToDictionary(x => x.Path, x => x.Digest, StringComparer.Ordinal);

    /// <summary>The last stream version the object covers: the head version's <c>provenance/version.json</c>.</summary>
    static long CoveredVersion(Dictionary<string, string> state, JsonObject manifest, string objectRoot)
    {
        if (!state.TryGetValue("provenance/version.json", out var digest)) throw new InvalidDataException($"{objectRoot}: the head version has no provenance/version.json.");
        var path = Path.Combine(objectRoot, manifest[digest]![0]!.GetValue<string>());
        var json = JsonNode.Parse(File.ReadAllBytes(path))!;
        return json["events"]!.AsArray().Max(e => e!["version"]!.GetValue<long>());
    }

    static async Task WriteInventoryAsync(string folder, JsonObject inventory, CancellationToken ct)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(inventory, Indented);
        var temp = Path.Combine(folder, ".inventory.json.tmp");
        await File.WriteAllBytesAsync(temp, bytes, ct);
        File.Move(temp, Path.Combine(folder, "inventory.json"), overwrite: true);
        await File.WriteAllTextAsync(Path.Combine(folder, "inventory.json.sha512"), Convert.ToHexStringLower(SHA512.HashData(bytes)) + " inventory.json\n", ct);
    }

    /// <summary>Fixity of one object (inventory sidecars, every manifest file, no stray content), then its evidence against the trusted key.</summary>
    public static List<PackageCheck> VerifyObject(string objectRoot, NoteVerifier key)
    {
        var checks = new List<PackageCheck>();
        string Name(string path) => Path.GetRelativePath(objectRoot, path).Replace('\\', '/');
        if (!File.Exists(Path.Combine(objectRoot, ObjectDeclaration))) checks.Add(new(Name(Path.Combine(objectRoot, ObjectDeclaration)), false, "missing: not an OCFL 1.1 object"));
        var inventoryPath = Path.Combine(objectRoot, "inventory.json");
        if (!File.Exists(inventoryPath)) { checks.Add(new("inventory.json", false, "missing")); return checks; }
        var inventoryBytes = File.ReadAllBytes(inventoryPath);
        CheckSidecar(objectRoot, "inventory.json", inventoryBytes, checks);
        var inventory = JsonNode.Parse(inventoryBytes)!.AsObject();
        if (inventory["digestAlgorithm"]?.GetValue<string>() != "sha512") checks.Add(new("inventory.json", false, "digestAlgorithm is not sha512"));
        var manifest = inventory["manifest"]!.AsObject();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (digest, paths) in manifest)
        {
            foreach (var p in paths!.AsArray().Select(p => p!.GetValue<string>()))
            {
                listed.Add(p);
                var full = Path.Combine(objectRoot, p);
                if (p.Split('/').Any(s => s is "" or "." or "..") || !File.Exists(full)) { checks.Add(new(p, false, "in the inventory's manifest but missing")); continue; }
                if (new FileInfo(full).LinkTarget is not null) { checks.Add(new(p, false, "a symbolic link: refused")); continue; }
                using var file = File.OpenRead(full);
                var actual = Convert.ToHexStringLower(SHA512.HashData(file));
                checks.Add(new(p, actual == digest, actual == digest ? "sha512 matches the inventory" : $"sha512 is {actual}, the inventory says {digest}"));
            }
        }
        var versions = inventory["versions"]!.AsObject();
        var head = inventory["head"]!.GetValue<string>();
        for (var n = 1; n <= versions.Count; n++)
        {
            var v = $"v{n}";
            if (!versions.ContainsKey(v)) checks.Add(new("inventory.json", false, $"version {v} is missing (versions are v1..{head})"));
            var content = Path.Combine(objectRoot, v, "content");
            if (Directory.Exists(content))
            {
                foreach (var stray in Directory.EnumerateFiles(content, "*", SearchOption.AllDirectories).Select(Name).Where(p => !listed.Contains(p)))
                {
                    checks.Add(new(stray, false, "a content file the manifest does not list"));
                }
            }
            var versionInventory = Path.Combine(objectRoot, v, "inventory.json");
            if (File.Exists(versionInventory)) CheckSidecar(Path.Combine(objectRoot, v), $"{v}/inventory.json", File.ReadAllBytes(versionInventory), checks);
            else checks.Add(new($"{v}/inventory.json", false, "missing"));
            foreach (var (digest, _) in versions[v]?["state"]?.AsObject() ?? [])
            {
                if (!manifest.ContainsKey(digest)) checks.Add(new($"{v} state", false, $"{digest} is in the state but not in the manifest"));
            }
        }
        if ($"v{versions.Count}" != head) checks.Add(new("inventory.json", false, $"head is {head}, the last version v{versions.Count}"));
        if (checks.Any(c => !c.Passed)) return checks;

        // Evidence: every version's tlog-proofs, and the head version's report with its signature.
        string? Content(string version, string logical)
        {
            var digest = versions[version]!["state"]!.AsObject().FirstOrDefault(p => p.Value!.AsArray().Any(x => x!.GetValue<string>() == logical)).Key;
            return digest is null ? null : Path.Combine(objectRoot, manifest[digest]![0]!.GetValue<string>());
        }
        foreach (var (version, node) in versions)
        {
            foreach (var logical in node!["state"]!.AsObject().SelectMany(p => p.Value!.AsArray()).Select(p => p!.GetValue<string>()).Where(p => p.EndsWith(".tlog-proof", StringComparison.Ordinal)))
            {
                var result = TlogProof.Parse(File.ReadAllText(Content(version, logical)!)).Verify(key);
                checks.Add(new($"{version} {logical}", result.IsValid, result.IsValid ? $"event {result.Entry?.Sequence} included at size {result.Checkpoint!.TreeSize}" : result.Reason!));
            }
        }
        if (Content(head, "provenance/report.json") is not { } report) checks.Add(new($"{head} provenance/report.json", false, "missing"));
        else
        {
            var signature = Content(head, "provenance/report.json.sig") is { } sig ? File.ReadAllText(sig).Trim() : null;
            var verification = ReportVerifier.Verify(File.ReadAllBytes(report), signature, key);
            foreach (var failed in verification.Checks.Where(c => !c.Passed)) checks.Add(new($"{head} provenance/report.json {failed.Name}", false, failed.Detail));
            if (verification.Passed) checks.Add(new($"{head} provenance/report.json", true, $"signature, checkpoint and {verification.Events.Count} events with their proofs"));
        }
        return checks;
    }

    static void CheckSidecar(string folder, string name, byte[] inventory, List<PackageCheck> checks)
    {
        var sidecar = Path.Combine(folder, "inventory.json.sha512");
        var expected = File.Exists(sidecar) ? File.ReadAllText(sidecar).Split([' ', '\t'], 2)[0].Trim() : null;
        var actual = Convert.ToHexStringLower(SHA512.HashData(inventory));
        checks.Add(new(name, expected == actual, expected is null ? "no inventory.json.sha512 sidecar" : expected == actual ? "matches its sidecar" : $"sha512 is {actual}, its sidecar says {expected}"));
    }
}

static class ExportOcflCommand
{
    public static Command Create(Func<string, string, HttpClient> connect)
    {
        var to = new Option<DirectoryInfo>("--to") { Description = "The OCFL storage root (created if missing; extended if it exists).", Required = true };
        var document = new Option<Guid?>("--document") { Description = "One document." };
        var from = new Option<string?>("--from") { Description = "With --until: every document touched in the period (RFC 3339)." };
        var until = new Option<string?>("--until") { Description = "The end of the period (excluded)." };
        var api = Options.Api();
        var key = Options.Key();
        var command = new Command("export-ocfl", "Write documents as OCFL 1.1 objects (one version per revision) into a storage root, from the API's BagIt packages (auditor key).")
        {
            to, document, from, until, api, key,
        };
        command.SetAction(async (result, ct) =>
        {
            var id = result.GetValue(document);
            var (start, end) = (result.GetValue(from), result.GetValue(until));
            if (id is null == (start is null || end is null)) return ExitCodes.Cannot("Give --document ID, or --from and --until.");
            var url = id is { } d ? $"api/documents/{d}/package?format=bagit" : $"api/reports/package?from={Uri.EscapeDataString(start!)}&to={Uri.EscapeDataString(end!)}";
            using var http = connect(result.GetValue(api)!, result.GetValue(key)!);
            var temp = Path.GetTempFileName();
            try
            {
                using (var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct))
                {
                    if (!response.IsSuccessStatusCode) return ExitCodes.Cannot(await ApiClient.ProblemLineAsync(response));
                    await using var file = File.Create(temp);
                    await response.Content.CopyToAsync(file, ct);
                }
                var bag = await PackageFiles.ReadAsync(temp, PackageFiles.KeepTagFiles, ct);
                var root = result.GetValue(to)!.FullName;
                Ocfl.EnsureRoot(root);
                foreach (var report in bag.Files.Keys.Where(p => p.StartsWith("provenance/", StringComparison.Ordinal) && p.EndsWith("report.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
                {
                    var added = await Ocfl.ExtendAsync(root, bag, report, ct);
                    Console.WriteLine($"{report}: {added} new version(s).");
                }
                return 0;
            }
            finally
            {
                File.Delete(temp);
            }
        });
        return command;
    }
}

static class VerifyOcflCommand
{
    public static Command Create(Func<string, string, HttpClient> connect)
    {
        var path = new Argument<DirectoryInfo>("dir") { Description = "An OCFL storage root, or one object's folder." };
        var key = new TrustedKey();
        var command = new Command("verify-ocfl", "Verify OCFL objects offline: inventories and sidecars, every content file's SHA-512, then every tlog-proof and report inside. Exit 0 verified, 1 not, 2 cannot verify.") { path };
        key.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var dir = result.GetValue(path)!;
            if (!dir.Exists) return ExitCodes.Cannot($"{dir.FullName} does not exist.");
            if (await key.ResolveAsync(result, connect, ct) is not { } trusted) return ExitCodes.CannotVerify;
            var objects = File.Exists(Path.Combine(dir.FullName, Ocfl.ObjectDeclaration)) ? [dir.FullName]
                : Directory.EnumerateFiles(dir.FullName, Ocfl.ObjectDeclaration, SearchOption.AllDirectories).Select(Path.GetDirectoryName).Select(p => p!).Order().ToList();
            if (objects.Count == 0) return ExitCodes.Cannot($"{dir.FullName} holds no OCFL object.");
            var failed = 0;
            foreach (var objectRoot in objects)
            {
                var checks = Ocfl.VerifyObject(objectRoot, trusted);
                Console.WriteLine($"Object {Path.GetRelativePath(dir.FullName, objectRoot)}:");
                VerifyBagCommand.Print(checks);
                failed += checks.Count(c => !c.Passed);
            }
            Console.WriteLine(failed == 0 ? $"{dir.FullName}: verified ({objects.Count} objects)." : $"{dir.FullName}: NOT verified ({failed} failed).");
            return failed == 0 ? 0 : ExitCodes.NotVerified;
        });
        return command;
    }
}
