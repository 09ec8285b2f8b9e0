using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Provenance.Cli;

/// <summary>
/// <c>provenance import FOLDER</c>: the folder's files in name order, sent in batches to <c>POST /api/documents/batch</c> (one
/// transaction per batch). A cursor file records how far the import got after every batch; an interrupted import run again
/// resumes after the last batch it recorded, and a batch whose answer was lost is sent again with the same
/// <c>Idempotency-Key</c>, so the API answers it from the first time instead of ingesting it twice. Without
/// <c>--allow-duplicates</c>, the API skips documents whose content, title and language a document already has.
/// </summary>
sealed class FolderImport(HttpClient http, string folder, string language, string channel, bool allowDuplicates, int batchSize, string cursorPath)
{
    /// <summary>A batch holds at most this much content (before base64), whatever its document count.</summary>
    public const long BatchBytes = 8L * 1024 * 1024;
    /// <summary>The cursor's default name, in the folder: hidden files are never imported.</summary>
    public const string CursorName = ".provenance-import.json";

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public sealed record Cursor(string Source, string Api, string Run, int Done, string? Last);

    public int Imported { get; private set; }
    public int Skipped { get; private set; }
    public List<(string File, string Message)> Warnings { get; } = [];
    public List<(string File, string Message)> Failures { get; } = [];
    /// <summary>Set when the import stopped before the end: the cursor is kept and a run again resumes.</summary>
    public string? Interrupted { get; private set; }
    public int ResumedAfter { get; private set; }

    /// <summary>Every regular file except hidden ones and sidecars (FILE.json beside FILE); a .json file without a partner is a document.</summary>
    public static List<string> FilesOf(string folder)
    {
        var files = Directory.EnumerateFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).ToHashSet(StringComparer.Ordinal);
        return files.Where(f => !(f.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && files.Contains(f[..^5]))).Order(StringComparer.Ordinal).ToList();
    }

    public async Task RunAsync(IReadOnlyList<string> files, Action<int> advanced, CancellationToken ct)
    {
        var source = Path.GetFullPath(folder);
        var api = http.BaseAddress!.ToString();
        var cursor = ReadCursor();
        if (cursor is { } c && c.Source == source && c.Api == api && c.Done > 0 && c.Done <= files.Count && Path.GetFileName(files[c.Done - 1]) == c.Last)
        {
            ResumedAfter = c.Done;
            advanced(c.Done);
        }
        else
        {
            cursor = new Cursor(source, api, Guid.NewGuid().ToString("N"), 0, null);
        }

        var next = cursor.Done;
        while (next < files.Count)
        {
            var (batch, end) = await PrepareAsync(files, next, ct);
            if (batch.Count > 0 && !await SendAsync(batch, $"import-{cursor.Run}-{next}", ct))
            {
                WriteCursor(cursor);
                return;
            }
            advanced(end - next);
            cursor = cursor with { Done = end, Last = Path.GetFileName(files[end - 1]) };
            WriteCursor(cursor);
            next = end;
        }
        if (File.Exists(cursorPath)) File.Delete(cursorPath);
    }

    sealed record Prepared(string File, object Body);

    /// <summary>The next batch from <paramref name="start"/>: up to the batch size or <see cref="BatchBytes"/>; files that cannot be sent fail here.</summary>
    async Task<(List<Prepared>, int End)> PrepareAsync(IReadOnlyList<string> files, int start, CancellationToken ct)
    {
        var batch = new List<Prepared>();
        long bytesInBatch = 0;
        var i = start;
        for (; i < files.Count && batch.Count < batchSize; i++)
        {
            var file = files[i];
            var name = Path.GetFileName(file);
            var length = new FileInfo(file).Length;
            if (batch.Count > 0 && bytesInBatch + length > BatchBytes) break;
            var sidecarPath = file + ".json";
            Sidecar? sidecar;
            try { sidecar = File.Exists(sidecarPath) ? JsonSerializer.Deserialize<Sidecar>(await File.ReadAllBytesAsync(sidecarPath, ct), Json) : null; }
            catch (JsonException e)
            {
                Failures.Add((name, $"its sidecar {Path.GetFileName(sidecarPath)} is not valid JSON ({ImportCommand.OneLine(e.Message)})."));
                continue;
            }
            var mediaType = sidecar?.MediaType ?? ImportCommand.MediaTypeOf(file);
            if (mediaType is null)
            {
                Failures.Add((name, $"no media type for the extension '{Path.GetExtension(file)}': give one as \"mediaType\" in {Path.GetFileName(sidecarPath)}."));
                continue;
            }
            byte[] bytes;
            try { bytes = await File.ReadAllBytesAsync(file, ct); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Failures.Add((name, ImportCommand.OneLine(e.Message)));
                continue;
            }
            bytesInBatch += bytes.Length;
            batch.Add(new Prepared(name, new
            {
                title = sidecar?.Title ?? Path.GetFileNameWithoutExtension(file), language = sidecar?.Language ?? language,
                contentBase64 = Convert.ToBase64String(bytes), mediaType, originalFileName = name, sourceUri = sidecar?.SourceUri,
                publisher = sidecar?.Publisher, publishedAt = sidecar?.PublishedAt, channel = sidecar?.Channel ?? channel,
                reason = sidecar?.Reason ?? "Bulk import.",
            }));
        }
        return (batch, i);
    }

    /// <summary>
    /// Sends one batch. A 422 names the documents it refuses (<c>documents[i].field</c>): they fail, one line each, and the rest is sent
    /// again under a derived key. A network error or a 5xx is retried with the same key; false when the import has to stop.
    /// </summary>
    async Task<bool> SendAsync(List<Prepared> batch, string idempotencyKey, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "api/documents/batch")
                {
                    Content = JsonContent.Create(new { documents = batch.Select(b => b.Body), skipDuplicates = !allowDuplicates }),
                };
                request.Headers.Add("Idempotency-Key", idempotencyKey);
                response = await http.SendAsync(request, ct);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                if (attempt < 4) { await Task.Delay(TimeSpan.FromSeconds(attempt * attempt), ct); continue; }
                Interrupted = $"the API could not be reached after {attempt} attempts ({ImportCommand.OneLine(e.Message)})";
                return false;
            }
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
                    var items = json.RootElement.GetProperty("items").EnumerateArray().ToList();
                    for (var i = 0; i < batch.Count; i++)
                    {
                        if (items[i].TryGetProperty("duplicate", out var duplicate) && duplicate.GetBoolean())
                        {
                            Skipped++;
                            Warnings.Add((batch[i].File, $"skipped: document {items[i].GetProperty("id").GetGuid()} already has this content, title and language " +
                                                         "(--allow-duplicates imports it again)."));
                        }
                        else Imported++;
                    }
                    return true;
                }
                if (response.StatusCode == HttpStatusCode.UnprocessableEntity && await RefusedAsync(response, batch.Count, ct) is { Count: > 0 } refused)
                {
                    foreach (var (index, message) in refused.OrderBy(r => r.Key)) Failures.Add((batch[index].File, message));
                    batch = batch.Where((_, i) => !refused.ContainsKey(i)).ToList();
                    if (batch.Count == 0) return true;
                    idempotencyKey += "-" + string.Join(",", refused.Keys.Order());
                    attempt = 0;
                    continue;
                }
                if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    if (attempt < 4) { await Task.Delay(TimeSpan.FromSeconds(attempt * attempt), ct); continue; }
                    Interrupted = $"the API answered {await ApiClient.ProblemLineAsync(response)} {attempt} times";
                    return false;
                }
                // Anything else (a refused key, a batch the API will never take): every document of the batch fails with the API's words.
                var line = await ApiClient.ProblemLineAsync(response);
                foreach (var b in batch) Failures.Add((b.File, line));
                return true;
            }
        }
    }

    /// <summary>The API's reasons per document of a refused batch: <c>documents[3].content: …</c> becomes item 3's <c>content: … (HTTP 422)</c>.</summary>
    static async Task<Dictionary<int, string>?> RefusedAsync(HttpResponseMessage response, int count, CancellationToken ct)
    {
        try
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            if (!json.RootElement.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Object) return null;
            var byItem = new Dictionary<int, List<string>>();
            foreach (var field in errors.EnumerateObject())
            {
                var match = System.Text.RegularExpressions.Regex.Match(field.Name, @"^documents\[(\d+)\]\.?(.*)$");
                if (!match.Success || !int.TryParse(match.Groups[1].Value, out var index) || index >= count) return null;
                var messages = field.Value.ValueKind == JsonValueKind.Array ? string.Join(" ", field.Value.EnumerateArray().Select(e => e.ToString())) : field.Value.ToString();
                var name = match.Groups[2].Value;
                (byItem.TryGetValue(index, out var list) ? list : byItem[index] = []).Add(name.Length == 0 ? messages : $"{name}: {messages}");
            }
            return byItem.ToDictionary(p => p.Key, p => ImportCommand.OneLine($"{string.Join("; ", p.Value)} (HTTP 422)"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    Cursor? ReadCursor()
    {
        try { return File.Exists(cursorPath) ? JsonSerializer.Deserialize<Cursor>(File.ReadAllBytes(cursorPath), Json) : null; }
        catch (Exception e) when (e is JsonException or IOException) { return null; }
    }

    /// <summary>Written to a temporary file and renamed over the old one: a crash leaves the old cursor or the new one, never half of one.</summary>
    void WriteCursor(Cursor cursor)
    {
        try
        {
            var temporary = cursorPath + ".tmp";
            File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(cursor, Json));
            File.Move(temporary, cursorPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!Warnings.Any(w => w.File == CursorName))
                Warnings.Add((CursorName, $"cannot record the import's progress in {cursorPath} ({ImportCommand.OneLine(e.Message)}): an interrupted run starts over (duplicates are still skipped)."));
        }
    }
}
