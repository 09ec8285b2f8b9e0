using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marten;
using Wolverine;
using Provenance.Api.Documents;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Seeds;

/// <summary>A corpus's provenance story, as data: per document, the steps people took, in order (seeds/manifest.json).</summary>
public sealed record SeedManifest(string Corpus, string? Description, List<SeedDocument> Documents, List<SeedPerson>? People = null);

/// <summary>The person behind a login the steps name (the people directory, <see cref="Access.PeopleDirectory"/>).</summary>
public sealed record SeedPerson(string Login, string? DisplayName, string? Identifier);

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
/// Loads a manifest by sending the very commands the HTTP API sends (<see cref="IMessageBus.InvokeForTenantAsync{T}"/>, in the default tenant), with the
/// manifest's actors. Idempotent and resumable: each document has an id derived from corpus and key, and step N is the stream's
/// event N, so a second run (or a run after a crash) sends only what is missing.
/// </summary>
public sealed class SeedLoader(IDocumentStore store, IMessageBus bus, ILogger<SeedLoader> logger)
{
    public async Task<SeededCorpus> LoadAsync(string manifestPath, CancellationToken ct)
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var manifest = JsonSerializer.Deserialize<SeedManifest>(await File.ReadAllBytesAsync(manifestPath, ct), json)
                       ?? throw new InvalidDataException($"{manifestPath} is empty.");
        var folder = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        await DescribePeopleAsync(manifest, ct);

        await using (var query = store.QuerySession(Tenants.Default))
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
        await using var session = store.LightweightSession(Tenants.Default);
        loaded.LoadedAt = DateTimeOffset.UtcNow;
        session.Store(loaded);
        await session.SaveChangesAsync(ct);
        logger.LogInformation("Seed corpus {Corpus} loaded: {Count} documents", manifest.Corpus, loaded.Documents.Count);
        return loaded;
    }

    /// <summary>The manifest's people, validated like the API's <c>PUT /api/people/{login}</c>; re-run on every start (it only replaces what they say).</summary>
    private async Task DescribePeopleAsync(SeedManifest manifest, CancellationToken ct)
    {
        if (manifest.People is not { Count: > 0 } people) return;
        await using var session = store.LightweightSession(Tenants.Default);
        foreach (var person in people)
        {
            var errors = new Http.FieldErrors();
            var identifier = Access.PersonIdentifiers.Check(errors, person.DisplayName, person.Identifier);
            if (errors.Any) throw new InvalidDataException($"people entry '{person.Login}': {errors.Summary()}");
            await Access.PeopleDirectory.DescribeAsync(session, person.Login, person.DisplayName, identifier, ct);
        }
        await session.SaveChangesAsync(ct);
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
        DocumentResource? current;
        await using (var query = store.QuerySession(Tenants.Default))
        {
            current = await query.LoadAsync<DocumentView>(id, ct) is { } view ? DocumentResource.From(view) : null;
        }
        for (var i = (int)(current?.Version ?? 0); i < document.Steps.Count; i++)
        {
            var step = document.Steps[i];
            var where = $"{document.Key} step {i + 1} ({step.Action})";
            object command = step.Action switch
            {
                "ingest" => new IngestDocument(step.Title, step.Language, null, null, step.MediaType, step.OriginalFileName, step.SourceUri,
                    step.Publisher, step.PublishedAt, step.Channel, step.Reason) { DocumentId = id, Actor = step.Actor, Upload = await ReadAsync(folder, step, typedText: true, ct) },
                "edit" => new EditDocument(null, null, step.MediaType, step.Reason)
                    { DocumentId = id, BaseRevision = Existing(current, where).Revision, Actor = step.Actor, Upload = await ReadAsync(folder, step, typedText: false, ct) },
                "translate" => new TranslateDocument(step.Language, step.SourceRevision, null, null, step.MediaType, step.Translator, step.Method, step.Reason)
                    { DocumentId = Existing(current, where).Id, Actor = step.Actor, Upload = await ReadAsync(folder, step, typedText: false, ct) },
                "verify" => new VerifyDocument(step.Revision, step.Language, step.Claim, step.Method, step.Verdict, step.Evidence, step.Notes, step.Reason)
                    { DocumentId = Existing(current, where).Id, Actor = step.Actor },
                _ => throw new InvalidDataException($"{where}: unknown action '{step.Action}' (ingest, edit, translate, verify)."),
            };
            try
            {
                current = await bus.InvokeForTenantAsync<DocumentResource>(Tenants.Default, command, ct);
            }
            catch (CommandRejected rejected)
            {
                throw new InvalidDataException($"{where}: {rejected.Message}", rejected);
            }
        }
    }

    private static DocumentResource Existing(DocumentResource? current, string where)
        => current ?? throw new InvalidDataException($"{where}: the document was not ingested first.");

    /// <summary>A step's file, which must lie inside the manifest's folder; without a media type, an ingested file is UTF-8 text.</summary>
    private static async Task<ContentSubmission> ReadAsync(string folder, SeedStep step, bool typedText, CancellationToken ct)
    {
        if (step.File is null) throw new InvalidDataException($"Step '{step.Action}' names no file.");
        var path = Path.GetFullPath(Path.Combine(folder, step.File));
        if (!path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{step.File}' is outside the manifest's folder.");
        }
        return ContentSubmission.FromBytes(await File.ReadAllBytesAsync(path, ct), step.MediaType, Path.GetFileName(path), isText: typedText);
    }
}
