using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using Spectre.Console;

namespace Provenance.Cli;

/// <summary>The seeds/manifest.json format, as far as import needs it (the API's SeedManifest, copied: the CLI does not reference the API).</summary>
sealed record Manifest(string Corpus, List<ManifestDocument> Documents);

sealed record ManifestDocument(string Key, List<ManifestStep> Steps);

sealed record ManifestStep(string Action, string? File, string? Title, string? Language, string? MediaType, string? OriginalFileName, string? SourceUri,
    string? Publisher, DateTimeOffset? PublishedAt, string? Channel, string? Reason, int? SourceRevision, string? Translator, string? Method, int? Revision,
    JsonElement? Claim, string? Verdict, List<string>? Evidence, string? Notes);

/// <summary>Metadata for one file of a folder import: FILE.json beside FILE (every field optional).</summary>
sealed record Sidecar(string? Title, string? Language, string? MediaType, string? SourceUri, string? Publisher, DateTimeOffset? PublishedAt, string? Channel,
    string? Reason);

/// <summary>
/// <c>provenance import FOLDER|MANIFEST --api URL --key KEY</c>: ingests every file of a folder (metadata from FILE.json sidecars, else defaults),
/// or replays a manifest's steps (ingest, edit, translate, verify) through the API. The API records the key's name as the actor.
/// </summary>
static class ImportCommand
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create(Func<string, string, HttpClient> connect)
    {
        var source = new Argument<string>("source") { Description = "A folder of files, or a manifest (.json) in the seeds/manifest.json format." };
        var language = new Option<string>("--language") { Description = "Language of files without a sidecar.", DefaultValueFactory = _ => "en" };
        var channel = new Option<string>("--channel") { Description = "Channel of files without a sidecar.", DefaultValueFactory = _ => "bulk-import" };
        var api = Options.Api();
        var key = Options.Key();
        var command = new Command("import", "Bulk-ingest a folder or a manifest through the API.") { source, language, channel, api, key };
        command.SetAction((result, ct) => RunAsync(connect, result.GetValue(source)!, result.GetValue(language)!, result.GetValue(channel)!, result.GetValue(api)!,
            result.GetValue(key)!, ct));
        return command;
    }

    sealed record Step(string Label, Func<HttpClient, CancellationToken, Task<string?>> Run);

    static async Task<int> RunAsync(Func<string, string, HttpClient> connect, string source, string language, string channel, string api, string key, CancellationToken ct)
    {
        List<Step> steps;
        if (Directory.Exists(source)) steps = FolderSteps(source, language, channel);
        else if (File.Exists(source)) steps = ManifestSteps(source);
        else
        {
            Console.Error.WriteLine($"{source} is neither a folder nor a manifest file.");
            return 1;
        }

        using var http = connect(api, key);
        var failures = new List<string>();
        var started = DateTime.UtcNow;
        async Task RunAll(Action<Step> advanced)
        {
            foreach (var step in steps)
            {
                var failure = await step.Run(http, ct);
                if (failure is not null) failures.Add($"{step.Label}: {failure}");
                advanced(step);
            }
        }

        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            await AnsiConsole.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask("Importing", maxValue: steps.Count);
                await RunAll(_ => task.Increment(1));
            });
        }
        else
        {
            await RunAll(_ => { });
        }
        foreach (var failure in failures) Console.Error.WriteLine(failure);
        Console.WriteLine($"Imported {steps.Count - failures.Count} of {steps.Count} steps from {source} in {(DateTime.UtcNow - started).TotalSeconds:0.0} s; {failures.Count} failed.");
        return failures.Count == 0 ? 0 : 1;
    }

    static List<Step> FolderSteps(string folder, string language, string channel) =>
        Directory.EnumerateFiles(folder).Where(f => !f.EndsWith(".json", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)
            .Select(file => new Step(Path.GetFileName(file), async (http, ct) =>
            {
                var sidecarPath = file + ".json";
                var sidecar = File.Exists(sidecarPath) ? JsonSerializer.Deserialize<Sidecar>(await File.ReadAllBytesAsync(sidecarPath, ct), Json) : null;
                var body = new
                {
                    title = sidecar?.Title ?? Path.GetFileNameWithoutExtension(file),
                    language = sidecar?.Language ?? language,
                    contentBase64 = Convert.ToBase64String(await File.ReadAllBytesAsync(file, ct)),
                    mediaType = sidecar?.MediaType ?? MediaTypeOf(file),
                    originalFileName = Path.GetFileName(file),
                    sourceUri = sidecar?.SourceUri,
                    publisher = sidecar?.Publisher,
                    publishedAt = sidecar?.PublishedAt,
                    channel = sidecar?.Channel ?? channel,
                    reason = sidecar?.Reason ?? "Bulk import.",
                };
                using var response = await http.PostAsJsonAsync("api/documents", body, ct);
                return response.IsSuccessStatusCode ? null : await ApiClient.FailureAsync(response);
            })).ToList();

    /// <summary>The media type of a file without a sidecar naming one, from its extension (the API refuses content without one).</summary>
    static string MediaTypeOf(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".txt" => "text/plain; charset=utf-8",
        ".md" => "text/markdown; charset=utf-8",
        ".html" or ".htm" => "text/html; charset=utf-8",
        ".xml" => "application/xml",
        ".pdf" => "application/pdf",
        ".docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".odt" => "application/vnd.oasis.opendocument.text",
        _ => "application/octet-stream",
    };

    static List<Step> ManifestSteps(string path)
    {
        var manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllBytes(path), Json) ?? throw new InvalidDataException($"{path} is empty.");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var steps = new List<Step>();
        foreach (var document in manifest.Documents)
        {
            var state = new DocumentState();
            for (var i = 0; i < document.Steps.Count; i++)
            {
                var s = document.Steps[i];
                steps.Add(new Step($"{document.Key} step {i + 1} ({s.Action})", (http, ct) => RunStepAsync(http, folder, s, state, ct)));
            }
        }
        return steps;
    }

    sealed class DocumentState
    {
        public Guid? Id;
        public int Revision;
    }

    static async Task<string?> RunStepAsync(HttpClient http, string folder, ManifestStep s, DocumentState state, CancellationToken ct)
    {
        string? Content() => s.File is null ? null : Convert.ToBase64String(File.ReadAllBytes(Path.Combine(folder, s.File)));
        if (s.Action != "ingest" && state.Id is null) return "the document was not ingested.";
        HttpResponseMessage response;
        switch (s.Action)
        {
            case "ingest":
                response = await http.PostAsJsonAsync("api/documents", new
                {
                    title = s.Title, language = s.Language, contentBase64 = Content(), mediaType = s.MediaType, originalFileName = s.OriginalFileName,
                    sourceUri = s.SourceUri, publisher = s.Publisher, publishedAt = s.PublishedAt, channel = s.Channel, reason = s.Reason,
                }, ct);
                break;
            case "edit":
                var request = new HttpRequestMessage(HttpMethod.Post, $"api/documents/{state.Id}/revisions")
                {
                    Content = JsonContent.Create(new { contentBase64 = Content(), mediaType = s.MediaType, reason = s.Reason }),
                };
                request.Headers.TryAddWithoutValidation("If-Match", $"\"{state.Revision}\"");
                response = await http.SendAsync(request, ct);
                break;
            case "translate":
                response = await http.PostAsJsonAsync($"api/documents/{state.Id}/translations", new
                {
                    language = s.Language, sourceRevision = s.SourceRevision, contentBase64 = Content(), mediaType = s.MediaType, translator = s.Translator,
                    method = s.Method, reason = s.Reason,
                }, ct);
                break;
            case "verify":
                response = await http.PostAsJsonAsync($"api/documents/{state.Id}/verifications", new
                {
                    revision = s.Revision, language = s.Language, claim = s.Claim, method = s.Method, verdict = s.Verdict, evidence = s.Evidence,
                    notes = s.Notes, reason = s.Reason,
                }, ct);
                break;
            default:
                return $"unknown action '{s.Action}'.";
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode) return await ApiClient.FailureAsync(response);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            if (json.RootElement.TryGetProperty("id", out var id) && s.Action == "ingest") state.Id = id.GetGuid();
            if (json.RootElement.TryGetProperty("revision", out var revision)) state.Revision = revision.GetInt32();
            return null;
        }
    }
}
