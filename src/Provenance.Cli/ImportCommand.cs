using System.CommandLine;
using System.Net.Http.Json;
using System.Security.Cryptography;
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
/// <c>provenance import FOLDER|MANIFEST --api URL --key KEY</c>: ingests every file of a folder (metadata from FILE.json sidecars, else defaults,
/// the media type from the extension), or replays a manifest's steps (ingest, edit, translate, verify) through the API. A file whose content,
/// title and language a document already has is skipped with a warning unless <c>--allow-duplicates</c>. Each failure is one line naming its
/// file. The API records the key's name as the actor. Exit codes: <see cref="ImportExit"/>.
/// </summary>
static class ImportCommand
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create(Func<string, string, HttpClient> connect)
    {
        var source = new Argument<string>("source") { Description = "A folder of files, or a manifest (.json) in the seeds/manifest.json format." };
        var language = new Option<string>("--language") { Description = "Language of files without a sidecar.", DefaultValueFactory = _ => "en" };
        var channel = new Option<string>("--channel") { Description = "Channel of files without a sidecar.", DefaultValueFactory = _ => "bulk-import" };
        var duplicates = new Option<bool>("--allow-duplicates")
        {
            Description = "Ingest a file again even when a document already has its content, title and language (skipped with a warning otherwise).",
        };
        var batchSize = new Option<int>("--batch-size")
        {
            Description = "Documents per request to the batch endpoint (one transaction each), 1 to 1000.", DefaultValueFactory = _ => 200,
        };
        batchSize.Validators.Add(r =>
        {
            if (r.GetValue(batchSize) is < 1 or > 1000) r.AddError("--batch-size must be between 1 and 1000.");
        });
        var cursor = new Option<string?>("--cursor")
        {
            Description = $"Where a folder import records its progress, so that a run again after an interruption resumes (default: {FolderImport.CursorName} in the folder).",
        };
        var api = Options.Api();
        var key = Options.Key();
        var command = new Command("import", "Bulk-ingest a folder or a manifest through the API.") { source, language, channel, duplicates, batchSize, cursor, api, key };
        command.SetAction((result, ct) => Directory.Exists(result.GetValue(source))
            ? RunFolderAsync(connect, result.GetValue(source)!, result.GetValue(language)!, result.GetValue(channel)!, result.GetValue(duplicates),
                result.GetValue(batchSize), result.GetValue(cursor), result.GetValue(api)!, result.GetValue(key)!, ct)
            : RunAsync(connect, result.GetValue(source)!, result.GetValue(duplicates), result.GetValue(api)!, result.GetValue(key)!, ct));
        return command;
    }

    /// <summary>What one step did: imported, skipped (a duplicate, or its document was skipped), or failed with a one-line reason.</summary>
    enum Outcome { Imported, Skipped, Failed }

    sealed record Result(Outcome Outcome, string? Message = null)
    {
        public static readonly Result Done = new(Outcome.Imported);
        public static Result Skip(string why) => new(Outcome.Skipped, why);
        public static Result Fail(string why) => new(Outcome.Failed, why);
    }

    sealed record Step(string Label, Func<HttpClient, CancellationToken, Task<Result>> Run);

    /// <summary>A folder: its files in batches through <see cref="FolderImport"/>, with a progress bar and a cursor to resume from.</summary>
    static async Task<int> RunFolderAsync(Func<string, string, HttpClient> connect, string source, string language, string channel, bool allowDuplicates,
        int batchSize, string? cursor, string api, string key, CancellationToken ct)
    {
        var files = FolderImport.FilesOf(source);
        using var http = connect(api, key);
        if (await ReachAsync(http, api, ct) is { } unreachable)
        {
            Console.Error.WriteLine(unreachable);
            return ImportExit.Unreachable;
        }
        var cursorPath = Path.GetFullPath(cursor ?? Path.Combine(source, FolderImport.CursorName));
        var import = new FolderImport(http, source, language, channel, allowDuplicates, batchSize, cursorPath);
        var started = DateTime.UtcNow;
        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("Importing", maxValue: Math.Max(files.Count, 1));
                    await import.RunAsync(files, n => task.Increment(n), ct);
                });
        }
        else
        {
            await import.RunAsync(files, _ => { }, ct);
        }
        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        foreach (var (file, message) in import.Warnings) Console.Error.WriteLine($"warning: {file}: {message}");
        foreach (var (file, message) in import.Failures) Console.Error.WriteLine($"{file}: {message}");
        if (import.ResumedAfter > 0) Console.WriteLine($"Resumed after the first {import.ResumedAfter} files (recorded in {cursorPath}).");
        var sent = import.Imported + import.Skipped + import.Failures.Count;
        Console.WriteLine($"Imported {import.Imported} of {files.Count} steps from {source} in {seconds:0.0} s" +
                          (import.Imported > 0 && seconds > 0 ? $" ({import.Imported / seconds:0} documents/s)" : "") + "; " +
                          (import.Skipped > 0 ? $"{import.Skipped} skipped as already imported, " : "") + $"{import.Failures.Count} failed.");
        if (import.Interrupted is { } why)
        {
            Console.Error.WriteLine($"Interrupted after {import.ResumedAfter + sent} of {files.Count} files: {why}. Run the same command again to resume.");
            return ImportExit.Interrupted;
        }
        return import.Failures.Count == 0 ? ImportExit.Done : ImportExit.SomeFailed;
    }

    static async Task<int> RunAsync(Func<string, string, HttpClient> connect, string source, bool allowDuplicates, string api, string key, CancellationToken ct)
    {
        List<Step> steps;
        try
        {
            if (File.Exists(source)) steps = ManifestSteps(source, allowDuplicates);
            else
            {
                Console.Error.WriteLine($"{source}: neither a folder nor a manifest file.");
                return ImportExit.Usage;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{source}: not a manifest this command reads: {OneLine(e.Message)}");
            return ImportExit.Usage;
        }

        using var http = connect(api, key);
        if (await ReachAsync(http, api, ct) is { } unreachable)
        {
            Console.Error.WriteLine(unreachable);
            return ImportExit.Unreachable;
        }
        var results = new List<(Step Step, Result Result)>();
        var started = DateTime.UtcNow;
        async Task RunAll(Action<Step> advanced)
        {
            foreach (var step in steps)
            {
                Result result;
                try { result = await step.Run(http, ct); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or HttpRequestException or JsonException or TaskCanceledException)
                {
                    result = Result.Fail(OneLine(e.Message));
                }
                results.Add((step, result));
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
        foreach (var (step, result) in results.Where(r => r.Result.Outcome == Outcome.Skipped && r.Result.Message is not null))
            Console.Error.WriteLine($"warning: {step.Label}: {result.Message}");
        foreach (var (step, result) in results.Where(r => r.Result.Outcome == Outcome.Failed))
            Console.Error.WriteLine($"{step.Label}: {result.Message}");
        var imported = results.Count(r => r.Result.Outcome == Outcome.Imported);
        var skipped = results.Count(r => r.Result.Outcome == Outcome.Skipped);
        var failed = results.Count(r => r.Result.Outcome == Outcome.Failed);
        Console.WriteLine($"Imported {imported} of {steps.Count} steps from {source} in {(DateTime.UtcNow - started).TotalSeconds:0.0} s; " +
                          (skipped > 0 ? $"{skipped} skipped as already imported, " : "") + $"{failed} failed.");
        return failed == 0 ? ImportExit.Done : ImportExit.SomeFailed;
    }

    /// <summary>One request before any import, so a wrong URL or key is one line, not one per file.</summary>
    static async Task<string?> ReachAsync(HttpClient http, string api, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync("api/documents?limit=1", ct);
            if (response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
                return $"{api}: the API refused the key ({(int)response.StatusCode}): give a valid key with --key or PROVENANCE_API_KEY.";
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"{api}: cannot reach the API ({OneLine(e.Message)}): check --api or PROVENANCE_API.";
        }
    }

    internal static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>
    /// The document that already holds these bytes (as any revision) under this exact title and language, or null. Found with the API's
    /// title search, so a re-run of the same import is recognised whatever happened to the document since.
    /// </summary>
    static async Task<Guid?> DuplicateOfAsync(HttpClient http, byte[] bytes, string? title, string? language, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(title) || string.IsNullOrWhiteSpace(language) || title.Length > 200) return null;
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        using var found = await http.GetAsync($"api/documents?q={Uri.EscapeDataString(title)}&limit=100", ct);
        if (!found.IsSuccessStatusCode) return null;
        using var page = JsonDocument.Parse(await found.Content.ReadAsStringAsync(ct));
        foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
        {
            if (item.GetProperty("title").GetString() != title.Trim() ||
                !string.Equals(item.GetProperty("language").GetString(), language, StringComparison.OrdinalIgnoreCase)) continue;
            var id = item.GetProperty("id").GetGuid();
            if (item.GetProperty("contentDigest").GetString() == digest) return id;
            using var revisions = await http.GetAsync($"api/documents/{id}/revisions?limit=1000", ct);
            if (!revisions.IsSuccessStatusCode) continue;
            using var list = JsonDocument.Parse(await revisions.Content.ReadAsStringAsync(ct));
            if (list.RootElement.GetProperty("items").EnumerateArray().Any(r => r.GetProperty("contentDigest").GetString() == digest)) return id;
        }
        return null;
    }

    /// <summary>The media type of a file without a sidecar naming one, from its extension: every type the API accepts; null for any other.</summary>
    public static string? MediaTypeOf(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".txt" or ".text" => "text/plain; charset=utf-8",
        ".md" or ".markdown" => "text/markdown; charset=utf-8",
        ".html" or ".htm" => "text/html; charset=utf-8",
        ".csv" => "text/csv; charset=utf-8",
        ".xml" => "application/xml; charset=utf-8",
        ".json" => "application/json; charset=utf-8",
        ".pdf" => "application/pdf",
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".gif" => "image/gif",
        ".tif" or ".tiff" => "image/tiff",
        ".webp" => "image/webp",
        ".epub" => "application/epub+zip",
        ".docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".odt" => "application/vnd.oasis.opendocument.text",
        ".doc" => "application/msword",
        _ => null,
    };

    static List<Step> ManifestSteps(string path, bool allowDuplicates)
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
                var label = $"{document.Key} step {i + 1} ({s.Action}{(s.File is null ? "" : $", {s.File}")})";
                steps.Add(new Step(label, (http, ct) => RunStepAsync(http, folder, s, state, allowDuplicates, ct)));
            }
        }
        return steps;
    }

    sealed class DocumentState
    {
        public Guid? Id;
        public int Revision;
        /// <summary>Its ingest was skipped as a duplicate: its later steps are skipped too (they happened with the first import).</summary>
        public bool Skipped;
    }

    static async Task<Result> RunStepAsync(HttpClient http, string folder, ManifestStep s, DocumentState state, bool allowDuplicates, CancellationToken ct)
    {
        string? Content() => s.File is null ? null : Convert.ToBase64String(File.ReadAllBytes(Path.Combine(folder, s.File)));
        if (state.Skipped) return new Result(Outcome.Skipped);
        if (s.Action != "ingest" && state.Id is null) return Result.Fail("not sent: the document's ingest step failed.");
        HttpResponseMessage response;
        switch (s.Action)
        {
            case "ingest":
                if (!allowDuplicates && s.File is not null
                    && await DuplicateOfAsync(http, await File.ReadAllBytesAsync(Path.Combine(folder, s.File), ct), s.Title, s.Language, ct) is { } existing)
                {
                    state.Skipped = true;
                    return Result.Skip($"skipped with the document's later steps: document {existing} already has this content, title and language " +
                                       "(--allow-duplicates imports it again).");
                }
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
                return Result.Fail($"unknown action '{s.Action}' (ingest, edit, translate or verify).");
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode) return Result.Fail(await ApiClient.ProblemLineAsync(response));
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            if (json.RootElement.TryGetProperty("id", out var id) && s.Action == "ingest") state.Id = id.GetGuid();
            if (json.RootElement.TryGetProperty("revision", out var revision)) state.Revision = revision.GetInt32();
            return Result.Done;
        }
    }
}

/// <summary><c>import</c>'s exit codes (also in src/Provenance.Cli/README.md).</summary>
static class ImportExit
{
    /// <summary>Every step was imported or skipped as already imported.</summary>
    public const int Done = 0;
    /// <summary>At least one step failed: the API refused it or its file could not be read (one line each on standard error).</summary>
    public const int SomeFailed = 1;
    /// <summary>Nothing was sent: the source is neither a folder nor a readable manifest, or the arguments are wrong.</summary>
    public const int Usage = 2;
    /// <summary>Nothing was sent: the API cannot be reached or refuses the key.</summary>
    public const int Unreachable = 3;
    /// <summary>A folder import stopped part way (the API went away): its cursor is kept, and the same command run again resumes.</summary>
    public const int Interrupted = 4;
}
