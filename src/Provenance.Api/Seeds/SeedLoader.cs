using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marten;
using Microsoft.Extensions.Options;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Provenance.Api.Http;

namespace Provenance.Api.Seeds;

/// <summary>A corpus's provenance story, as data: per document, the steps people took, in order (seeds/manifest.json).</summary>
public sealed record SeedManifest(string Corpus, string? Description, List<SeedDocument> Documents);

public sealed record SeedDocument(string Key, List<SeedStep> Steps);

public sealed record SeedStep(
    string Action,
    string Actor,
    string? File,
    string? Title,
    string? Language,
    string? MediaType,
    string? OriginalFileName,
    string? SourceUri,
    string? Publisher,
    DateTimeOffset? PublishedAt,
    string? Channel,
    string? Reason,
    int? SourceRevision,
    string? Translator,
    string? Method,
    int? Revision,
    VerifiedClaim? Claim,
    string? Verdict,
    List<string>? Evidence,
    string? Notes);

/// <summary>Marks a corpus as fully loaded, so start-up does not even open the manifest's files again.</summary>
public sealed class SeededCorpus
{
    public string Id { get; set; } = "";
    public DateTimeOffset LoadedAt { get; set; }
    public Dictionary<string, Guid> Documents { get; set; } = [];
}

/// <summary>
/// Loads a manifest through the same decisions the HTTP endpoints take, with the manifest's actors.
/// Idempotent and resumable: each document has an id derived from corpus and key, and step N is the stream's
/// event N, so a second run (or a run after a crash) appends only what is missing.
/// </summary>
public sealed class SeedLoader(IDocumentStore store, ContentStore contents, IOptions<ProvenanceOptions> options, ILogger<SeedLoader> logger)
{
    public async Task<SeededCorpus> LoadAsync(string manifestPath, CancellationToken ct)
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var manifest = JsonSerializer.Deserialize<SeedManifest>(await File.ReadAllBytesAsync(manifestPath, ct), json)
                       ?? throw new InvalidDataException($"{manifestPath} is empty.");
        var folder = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;

        await using (var query = store.QuerySession())
        {
            if (await query.LoadAsync<SeededCorpus>(manifest.Corpus, ct) is { } done)
            {
                logger.LogInformation("Seed corpus {Corpus} is already loaded ({Count} documents)", manifest.Corpus, done.Documents.Count);
                return done;
            }
        }

        var loaded = new SeededCorpus { Id = manifest.Corpus };
        foreach (var document in manifest.Documents)
        {
            var id = DocumentId(manifest.Corpus, document.Key);
            await LoadDocumentAsync(id, document, folder, ct);
            loaded.Documents[document.Key] = id;
        }
        await using var session = store.LightweightSession();
        loaded.LoadedAt = DateTimeOffset.UtcNow;
        session.Store(loaded);
        await session.SaveChangesAsync(ct);
        logger.LogInformation("Seed corpus {Corpus} loaded: {Count} documents", manifest.Corpus, loaded.Documents.Count);
        return loaded;
    }

    public static Guid DocumentId(string corpus, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"provenance-seed:{corpus}/{key}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // RFC 9562 version 8: name-derived, implementation-specific
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    private async Task LoadDocumentAsync(Guid id, SeedDocument document, string folder, CancellationToken ct)
    {
        var limit = options.Value.MaxContentBytes;
        await using var probe = store.QuerySession();
        var done = (await probe.Events.FetchStreamStateAsync(id, ct))?.Version ?? 0;
        for (var i = (int)done; i < document.Steps.Count; i++)
        {
            var step = document.Steps[i];
            var where = $"{document.Key} step {i + 1} ({step.Action})";
            await using var session = store.LightweightSession();
            var errors = new FieldErrors();
            var view = await session.LoadAsync<DocumentView>(id, ct);
            switch (step.Action)
            {
                case "ingest":
                {
                    var content = await ReadAsync(folder, step, null, limit, errors);
                    var command = new IngestDocument(step.Title, step.Language, null, null, step.MediaType, step.OriginalFileName, step.SourceUri,
                        step.Publisher, step.PublishedAt, step.Channel, step.Reason);
                    var ingested = IngestEndpoint.Decide(id, command, content, step.Actor, errors) ?? throw Invalid(where, errors);
                    await IngestEndpoint.RecordAsync(session, contents, ingested, content!, ct);
                    break;
                }
                case "edit":
                {
                    var current = view ?? throw new InvalidDataException($"{where}: the document was not ingested first.");
                    var content = await ReadAsync(folder, step, current.MediaType, limit, errors) ?? throw Invalid(where, errors);
                    var (_, outcome) = await EditEndpoint.RecordAsync(session, contents, id, current.Revision, content, step.Actor,
                        step.Reason ?? throw new InvalidDataException($"{where}: an edit needs a reason."), ct);
                    if (outcome != EditEndpoint.EditOutcome.Recorded) throw new InvalidDataException($"{where}: {outcome}.");
                    break;
                }
                case "translate":
                {
                    var current = view ?? throw new InvalidDataException($"{where}: the document was not ingested first.");
                    var content = await ReadAsync(folder, step, current.MediaType, limit, errors);
                    var command = new TranslateDocument(step.Language, step.SourceRevision, null, null, step.MediaType, step.Translator, step.Method, step.Reason);
                    var translated = TranslateEndpoint.Decide(current, command, content, step.Actor, errors) ?? throw Invalid(where, errors);
                    await TranslateEndpoint.RecordAsync(session, contents, translated, content!, ct);
                    break;
                }
                case "verify":
                {
                    var current = view ?? throw new InvalidDataException($"{where}: the document was not ingested first.");
                    var command = new VerifyDocument(step.Revision, step.Language, step.Claim, step.Method, step.Verdict, step.Evidence, step.Notes, step.Reason);
                    var target = await VerifyEndpoint.ResolveTargetAsync(session, current, command, errors, ct);
                    var text = target is not null && command.Claim is not null
                        ? Encoding.UTF8.GetString(await contents.GetAsync(target.ContentDigest, ct) ?? [])
                        : null;
                    var verified = VerifyEndpoint.Decide(current, command, target, text, step.Actor, errors) ?? throw Invalid(where, errors);
                    await VerifyEndpoint.RecordAsync(session, verified, ct);
                    break;
                }
                default:
                    throw new InvalidDataException($"{where}: unknown action '{step.Action}' (ingest, edit, translate, verify).");
            }
        }
    }

    private static async Task<ContentUpload?> ReadAsync(string folder, SeedStep step, string? defaultMediaType, long limit, FieldErrors errors)
    {
        if (step.File is null)
        {
            errors.Add("file", "The step names no file.");
            return null;
        }
        var path = Path.GetFullPath(Path.Combine(folder, step.File));
        if (!path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            errors.Add("file", $"'{step.File}' is outside the manifest's folder.");
            return null;
        }
        var bytes = await File.ReadAllBytesAsync(path);
        return ContentInput.FromBytes(bytes, step.MediaType, Path.GetFileName(path), defaultMediaType ?? MediaTypes.PlainText, limit, errors);
    }

    private static InvalidDataException Invalid(string where, FieldErrors errors) => new($"{where}: {errors.Summary()}");
}
