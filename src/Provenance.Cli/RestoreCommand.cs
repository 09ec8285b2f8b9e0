using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Provenance.Ledger;

namespace Provenance.Cli;

/// <summary>
/// <c>provenance restore --from PATH... --api URL [--api-key KEY] (--key K | --key-file F | --key-url U)</c>: verifies every package first
/// (as verify-bag does, against the original ledger's key), then imports each document's history event by event, in order, with its
/// content (<c>POST /api/documents/{id}/imports</c>, admin key). The API answers an event it already has with 200, so a re-run imports
/// nothing twice.
/// </summary>
static class RestoreCommand
{
    const string ApiKeyVariable = "PROVENANCE_API_KEY";
    static readonly HashSet<string> WithContent = new(StringComparer.Ordinal) { "document_ingested", "document_edited", "document_translated" };

    public static Command Create(Func<string, string, HttpClient> connect)
    {
        var from = new Option<string[]>("--from") { Description = "Bags to restore (folders, .zip or .tar), as many as needed.", Required = true, AllowMultipleArgumentsPerToken = true };
        var api = Options.Api();
        var apiKey = new Option<string?>("--api-key") { Description = $"An admin API key of the ledger restored into (default: ${ApiKeyVariable})." };
        var key = new TrustedKey();
        var command = new Command("restore",
            "Load bags into another Provenance: verify each package against the original ledger's key (--key), then import every document with its full history (importedFrom). Exit 0 restored, 1 a package did not verify or an import was refused, 2 cannot verify.")
        {
            from, api, apiKey,
        };
        key.AddTo(command);
        command.SetAction((result, ct) => RunAsync(result, result.GetValue(from)!, result.GetValue(api)!,
            result.GetValue(apiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable) ?? "", key, connect, ct));
        return command;
    }

    static async Task<int> RunAsync(ParseResult result, string[] paths, string api, string apiKey, TrustedKey keys, Func<string, string, HttpClient> connect,
        CancellationToken ct)
    {
        if (await keys.ResolveAsync(result, connect, ct) is not { } key) return ExitCodes.CannotVerify;
        var bags = new List<(string Path, PackageFiles Bag)>();
        foreach (var path in paths)
        {
            if (!Directory.Exists(path) && !File.Exists(path)) return ExitCodes.Cannot($"{path} does not exist.");
            var (exit, bag) = await VerifyBagCommand.VerifyAsync(path, key, ct);
            if (bag is null)
            {
                Console.WriteLine($"Nothing restored: {path} did not verify.");
                return exit;
            }
            bags.Add((path, bag));
        }

        using var http = connect(api, apiKey);
        var (imported, present) = (0, 0);
        foreach (var (path, bag) in bags)
        {
            var byDigest = bag.Files.Values.Where(f => f.Path.StartsWith("data/", StringComparison.Ordinal))
                .GroupBy(f => "sha256:" + f.Sha256).ToDictionary(g => g.Key, g => g.First().Path);
            foreach (var reportPath in bag.Files.Keys.Where(p => p == "provenance/report.json" || (p.StartsWith("provenance/", StringComparison.Ordinal) && p.EndsWith("/report.json", StringComparison.Ordinal))).Order(StringComparer.Ordinal))
            {
                var report = JsonNode.Parse(bag.Files[reportPath].Bytes)!.AsObject();
                var (done, already, failure) = await ImportAsync(http, bag, report, byDigest, ct);
                imported += done;
                present += already;
                var id = report["document"]!["id"]!.GetValue<Guid>();
                if (failure is not null)
                {
                    Console.WriteLine($"FAIL {path} {reportPath}: document {id}: {failure}");
                    return ExitCodes.NotVerified;
                }
                Console.WriteLine($"Restored document {id} from {path}: {done} events imported, {already} already there.");
            }
        }
        Console.WriteLine($"Restored {bags.Count} package(s): {imported} events imported, {present} already there.");
        return 0;
    }

    static async Task<(int Imported, int Present, string? Failure)> ImportAsync(HttpClient http, PackageFiles bag, JsonObject report,
        Dictionary<string, string> byDigest, CancellationToken ct)
    {
        var id = report["document"]!["id"]!.GetValue<Guid>();
        var integrity = report["integrity"]!;
        var origin = integrity["origin"]!.GetValue<string>();
        var treeSize = integrity["treeSize"]!.GetValue<long>();
        var proofs = integrity["events"]!.AsArray().ToDictionary(e => e!["sequence"]!.GetValue<long>(), e => e!);
        var leaves = proofs.ToDictionary(p => p.Key, p => p.Value["leafHash"]!.GetValue<string>());
        var (imported, present) = (0, 0);
        foreach (var e in report["events"]!.AsArray().OrderBy(e => e!["version"]!.GetValue<long>()))
        {
            var sequence = e!["sequence"]!.GetValue<long>();
            var version = e["version"]!.GetValue<long>();
            var type = e["eventType"]!.GetValue<string>();
            if (!leaves.TryGetValue(sequence, out var leaf)) return (imported, present, $"event {sequence} (version {version}) has no leaf in the report");
            var body = new JsonObject
            {
                ["eventType"] = type,
                ["data"] = e["data"]!.DeepClone(),
                ["importedFrom"] = new JsonObject
                {
                    ["origin"] = origin, ["treeSize"] = treeSize, ["sequence"] = sequence, ["version"] = version, ["leafHash"] = leaf,
                    ["timestamp"] = e["timestamp"]!.DeepClone(),
                    // A format-2 leaf is recomputed from the data and the seals its report lists.
                    ["format"] = proofs[sequence]["format"]?.DeepClone(),
                    ["seals"] = proofs[sequence]["seals"]?.DeepClone(),
                },
            };
            HttpResponseMessage response;
            if (WithContent.Contains(type))
            {
                var digest = e["data"]!["contentDigest"]!.GetValue<string>();
                if (!byDigest.TryGetValue(digest, out var payload)) return (imported, present, $"event {sequence} names content {digest}, which is not in the bag");
                var temp = Path.GetTempFileName();
                try
                {
                    await using (var file = File.Create(temp)) await bag.CopyAsync(payload, file, ct);
                    await using var content = File.OpenRead(temp);
                    using var form = new MultipartFormDataContent
                    {
                        { new StringContent(body.ToJsonString(), Encoding.UTF8), "event" },
                    };
                    var part = new StreamContent(content);
                    part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    form.Add(part, "file", Path.GetFileName(payload));
                    response = await http.PostAsync($"api/documents/{id}/imports", form, ct);
                }
                finally
                {
                    File.Delete(temp);
                }
            }
            else
            {
                response = await http.PostAsJsonAsync($"api/documents/{id}/imports", body, ct);
            }
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Created) imported++;
                else if (response.StatusCode == HttpStatusCode.OK) present++;
                else return (imported, present, $"event {sequence} (version {version}, {type}) refused: {await ApiClient.ProblemLineAsync(response)}");
            }
        }
        return (imported, present, null);
    }
}
