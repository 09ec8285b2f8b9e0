using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.EventStore;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Provenance.Api.Ledger;
using Provenance.Ledger;
using Wolverine.Http;

namespace Provenance.Api.Documents;

/// <summary>
/// Import one event of a document's history from another ledger (<c>provenance restore</c>), in stream order: the original event type and
/// data, where it came from, and for ingest, edit and translate its content (JSON <c>contentBase64</c>, or multipart: an <c>event</c>
/// field with the rest as JSON and a <c>file</c> part). The event is appended as the same event with <see cref="ImportedFrom"/> added, so
/// every view, history and report shows it as the original; the original leaf is recomputed from the data and refused unless it is the
/// one named. The same event again is answered 200 and appends nothing.
/// </summary>
public sealed record ImportEvent(string? EventType, JsonElement Data, ImportSource? ImportedFrom, byte[]? ContentBase64)
{
    [JsonIgnore] public Guid DocumentId { get; init; }
    [JsonIgnore] public string Actor { get; init; } = "";
    [JsonIgnore] public ContentSubmission? Upload { get; init; }
}

/// <summary>The original's place: its ledger's origin and the checkpoint size that proved it, its sequence, stream version, leaf hash and time.</summary>
/// <remarks>
/// <c>Format</c> is the original leaf's format (1 when absent); a format-2 leaf commits to its payload's digest with each sealed field a
/// salted commitment, so its <c>Seals</c> (as the original report lists them) are needed to recompute it.
/// </remarks>
public sealed record ImportSource(string? Origin, long TreeSize, long Sequence, long Version, byte[]? LeafHash, DateTimeOffset Timestamp,
    int? Format = null, IReadOnlyList<FieldSeal>? Seals = null);

/// <summary>What the importer is told: the document, the version the event has in it, and whether this request appended it.</summary>
public sealed record ImportResult(Guid DocumentId, long Version, string EventType, bool Imported);

/// <summary>The two neighbours an import is decided against: the event already at its version (a re-run), and the one before it (its chain).</summary>
public sealed record ImportNeighbours(long StreamVersion, object? AtVersion, object? Previous);

public static class Import
{
    /// <summary>The records an import may append, named in a package by their stored type name (Marten's mapping).</summary>
    static readonly Type[] Importable = [typeof(DocumentIngested), typeof(DocumentEdited), typeof(DocumentTranslated), typeof(DocumentVerified), typeof(FixityChecked)];

    static readonly JsonSerializerOptions EventJson = new(JsonSerializerDefaults.Web);

    /// <summary>The event to append (null with a 200 result when it is already there), or the problem.</summary>
    public static (object? Event, ImportResult? Already, ProblemDetails? Problem) Decide(ImportEvent command, ImportNeighbours stream, long maxContentBytes, EventTypeNames names)
    {
        var errors = new FieldErrors();
        var source = command.ImportedFrom;
        if (command.EventType is null || names.TypeOf(command.EventType) is not { } type || !Importable.Contains(type))
        {
            errors.Add("eventType", $"'eventType' must be one of: {string.Join(", ", Importable.Select(names.Of))}.");
            return (null, null, Problems.InvalidDetails(errors));
        }
        if (source is null) return (null, null, Problems.InvalidDetails(errors.Add("importedFrom", "'importedFrom' is required: where the event was first recorded.")));
        errors.Require("importedFrom.origin", source.Origin, 200);
        if (source.LeafHash is not { Length: MerkleHash.Size }) errors.Add("importedFrom.leafHash", "'importedFrom.leafHash' is the base64 of a 32-byte SHA-256 leaf hash.");
        if (source.Sequence < 1) errors.Add("importedFrom.sequence", "'importedFrom.sequence' is the original event's positive sequence.");
        if (source.Version < 1) errors.Add("importedFrom.version", "'importedFrom.version' is the original event's version in its stream (1 for the first).");
        if (source.TreeSize <= 0) errors.Add("importedFrom.treeSize", "'importedFrom.treeSize' is the size of the checkpoint that proved the event.");
        if (command.Data.ValueKind != JsonValueKind.Object) errors.Add("data", "'data' is the original event's data, a JSON object.");
        if (errors.Any) return (null, null, Problems.InvalidDetails(errors));

        object fact;
        try
        {
            fact = command.Data.Deserialize(type, EventJson) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            return (null, null, Problems.InvalidDetails(errors.Add("data", $"'data' is not a {command.EventType}: {e.Message.Split('\n', 2)[0]}")));
        }

        if (stream.StreamVersion >= source.Version)
        {
            var there = ImportedFromOf(stream.AtVersion);
            if (there is not null && there.Origin == source.Origin && there.Sequence == source.Sequence && there.LeafHash.AsSpan().SequenceEqual(source.LeafHash))
            {
                return (null, new ImportResult(command.DocumentId, source.Version, command.EventType, false), null);
            }
            return (null, null, Problems.Details(Problems.Conflict,
                $"Document {command.DocumentId} already has an event at version {source.Version}, and it is not event {source.Sequence} of {source.Origin}.",
                extensions: new Dictionary<string, object?> { ["streamVersion"] = stream.StreamVersion }));
        }
        if (stream.StreamVersion != source.Version - 1)
        {
            return (null, null, Problems.Details(Problems.Conflict,
                $"Import the events in order: document {command.DocumentId} is at version {stream.StreamVersion}, so the next event is version {stream.StreamVersion + 1}, not {source.Version}.",
                extensions: new Dictionary<string, object?> { ["streamVersion"] = stream.StreamVersion }));
        }
        if ((source.Version == 1) != fact is DocumentIngested)
        {
            return (null, null, Problems.InvalidDetails(errors.Add("eventType", "A document's history starts with document_ingested, and only there.")));
        }

        CheckFacts(fact, command, errors);
        if (errors.Any) return (null, null, Problems.InvalidDetails(errors));

        // The data must come back byte for byte (canonically) from the record, or members would be lost; and it must hash to the leaf named.
        var original = CanonicalJson.Canonicalize(command.Data);
        if (!CanonicalJson.Canonicalize(JsonSerializer.SerializeToElement(fact, type, EventJson)).AsSpan().SequenceEqual(original))
        {
            return (null, null, Problems.InvalidDetails(errors.Add("data", "'data' has members or values this ledger's event does not record the same way; it cannot be imported unchanged.")));
        }
        byte[]? previous = source.Version == 1 ? new byte[MerkleHash.Size] : ImportedFromOf(stream.Previous)?.LeafHash;
        if (previous is null)
        {
            return (null, null, Problems.Details(Problems.Conflict, $"Version {source.Version - 1} of document {command.DocumentId} was not imported: an import continues only an imported history."));
        }
        var actor = command.Data.TryGetProperty("actor", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "";
        if (source.Format is not (null or LeafEncoding.FormatVersion or LeafEncoding.FormatVersion2))
        {
            return (null, null, Problems.InvalidDetails(errors.Add("importedFrom.format", "'importedFrom.format' is the original leaf's format: 1 or 2.")));
        }
        var format = (byte)(source.Format ?? LeafEncoding.FormatVersion);
        var seals = source.Seals ?? [];
        if (format == LeafEncoding.FormatVersion2 && seals.Any(x => x is null || x.Path is null || x.Commitment is not { Length: MerkleHash.Size }))
        {
            return (null, null, Problems.InvalidDetails(errors.Add("importedFrom.seals", "Each seal has a 'path', a 32-byte 'commitment' and the 'salt' it was made with.")));
        }
        var payload = format == LeafEncoding.FormatVersion2 ? FieldCommitments.PayloadDigest(original, seals) : original;
        var entry = new LedgerEntry(source.Sequence, command.DocumentId, source.Version, command.EventType, source.Timestamp, actor, payload, previous)
            { Format = format };
        if (!LeafEncoding.LeafHash(entry).AsSpan().SequenceEqual(source.LeafHash))
        {
            return (null, null, Problems.InvalidDetails(errors.Add("importedFrom.leafHash",
                "The event's data, sequence, version, time and the previous event's leaf do not hash to 'importedFrom.leafHash'.")));
        }

        var from = new ImportedFrom(source.Origin!.Trim(), source.TreeSize, source.Sequence, source.Version, source.LeafHash!, source.Timestamp, command.Actor);
        object imported = fact switch
        {
            DocumentIngested i => i with { ImportedFrom = from },
            DocumentEdited d => d with { ImportedFrom = from },
            DocumentTranslated t => t with { ImportedFrom = from },
            DocumentVerified v => v with { ImportedFrom = from },
            FixityChecked f => f with { ImportedFrom = from },
            _ => throw new InvalidOperationException(),
        };
        return (imported, null, null);
    }

    /// <summary>The checks an ingest, edit, translation or verification gets at input, on the facts as they were recorded.</summary>
    static void CheckFacts(object fact, ImportEvent command, FieldErrors errors)
    {
        var (id, actor, content) = fact switch
        {
            DocumentIngested i => (i.DocumentId, i.Actor, ((string ContentDigest, long Size)?)(i.ContentDigest, i.Size)),
            DocumentEdited d => (d.DocumentId, d.Actor, (d.ContentDigest, d.Size)),
            DocumentTranslated t => (t.DocumentId, t.Actor, (t.ContentDigest, t.Size)),
            DocumentVerified v => (v.DocumentId, v.Actor, null),
            FixityChecked f => (f.DocumentId, f.Actor, ((string ContentDigest, long Size)?)null),
            _ => throw new InvalidOperationException(),
        };
        if (id != command.DocumentId) errors.Add("data.documentId", $"'data.documentId' must be the document imported into, {command.DocumentId}.");
        errors.Require("data.actor", actor, 200);
        switch (fact)
        {
            case DocumentIngested i:
                errors.Require("data.title", i.Title, FieldLimits.Title);
                if (Languages.Parse(i.Language).Error is { } language) errors.Add("data.language", language);
                errors.Optional("data.reason", i.Reason, FieldLimits.Reason, multiLine: true);
                break;
            case DocumentEdited d:
                errors.Require("data.reason", d.Reason, FieldLimits.Reason, multiLine: true);
                break;
            case DocumentTranslated t:
                if (Languages.Parse(t.Language).Error is { } tag) errors.Add("data.language", tag);
                errors.Require("data.translator", t.Translator, FieldLimits.Translator);
                break;
            case DocumentVerified v:
                if (!Verdicts.All.Contains(v.Verdict)) errors.Add("data.verdict", "Not a verdict this ledger records.");
                errors.Optional("data.notes", v.Notes, FieldLimits.Notes, multiLine: true);
                break;
        }
        if (CanonicalJson.Canonicalize(command.Data).Length > FieldLimits.EventTextBytes) errors.Add("data", "The event is larger than one ledger entry allows.");
        if (content is { } c)
        {
            if (command.Upload is null) errors.Add("file", "This event names content: send its bytes ('contentBase64', or a 'file' part).");
            else if (command.Upload.Digest != c.ContentDigest || command.Upload.Size != c.Size)
            {
                errors.Add("file", $"The content sent is {command.Upload.Digest} ({command.Upload.Size} bytes), not the {c.ContentDigest} ({c.Size} bytes) the event names.");
            }
        }
    }

    public static ImportedFrom? ImportedFromOf(object? fact) => fact switch
    {
        DocumentIngested i => i.ImportedFrom,
        DocumentEdited d => d.ImportedFrom,
        DocumentTranslated t => t.ImportedFrom,
        DocumentVerified v => v.ImportedFrom,
        FixityChecked f => f.ImportedFrom,
        _ => null,
    };

    public static string? MediaTypeOf(object fact) => fact switch
    {
        DocumentIngested i => i.MediaType,
        DocumentEdited d => d.MediaType,
        DocumentTranslated t => t.MediaType,
        _ => null,
    };
}

/// <summary>POST /api/documents/{id}/imports (admin): one event of a restored history.</summary>
public static class ImportEndpoint
{
    public static async Task<(ImportEvent?, ProblemDetails)> LoadAsync(Guid id, HttpRequest request, ClaimsPrincipal user, IOptions<ProvenanceOptions> options)
    {
        var (body, upload, problem) = await DocumentRequests.ReadAsync<ImportEvent>(request, options.Value,
            (json, errors) => json.ContentBase64 is null ? null : ContentInput.FromJson(null, json.ContentBase64, null, null, errors),
            FromForm);
        if (problem is not null) return (null, problem);
        return (body! with { DocumentId = id, Actor = user.Actor(), Upload = upload }, WolverineContinue.NoProblems);
    }

    static ImportEvent FromForm(DocumentRequests.FormFields form, FieldErrors errors)
    {
        try
        {
            var json = form["event"] is { } text ? JsonSerializer.Deserialize<ImportEvent>(text, FormJson) : null;
            if (json is not null) return json;
        }
        catch (JsonException e)
        {
            errors.Add("event", $"The 'event' field is not the event as JSON: {e.Message.Split('\n', 2)[0]}");
            return new ImportEvent(null, default, null, null);
        }
        errors.Add("event", "An 'event' field is required: the event type, data and importedFrom as JSON.");
        return new ImportEvent(null, default, null, null);
    }

    static readonly JsonSerializerOptions FormJson = new(JsonSerializerDefaults.Web);

    [WolverinePost("/api/documents/{id}/imports", OperationId = "importDocumentEvent"), Tags(Contract.ApiTags.Packages), Authorize(Roles = Roles.Admin)]
    [EndpointSummary("Import one event of a restored package, with the original sequence, leaf hash and time it carries")]
    [Contract.AcceptsBody(typeof(ImportEvent), "application/json")]
    [ProducesResponseType(typeof(ImportResult), StatusCodes.Status201Created, "application/json")]
    [ProducesResponseType(typeof(ImportResult), StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status409Conflict, "application/problem+json")]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status415UnsupportedMediaType, "application/problem+json")]
    [ProducesResponseType(typeof(ValidationProblemDetails), StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    public static async Task<IResult> Post([NotBody] ImportEvent command, IDocumentSession session, IOptions<ProvenanceOptions> options, EventTypeNames names,
        CancellationToken ct)
    {
        var version = command.ImportedFrom?.Version ?? 0;
        var state = await session.Events.FetchStreamStateAsync(command.DocumentId, ct);
        var streamVersion = state?.Version ?? 0;
        var around = version > 1 && streamVersion >= version - 1
            ? await session.Events.FetchStreamAsync(command.DocumentId, version: Math.Min(version, streamVersion), fromVersion: version - 1, token: ct)
            : version == 1 && streamVersion >= 1 ? await session.Events.FetchStreamAsync(command.DocumentId, version: 1, token: ct) : [];
        object? At(long v) => around.FirstOrDefault(e => e.Version == v)?.Data;
        var (fact, already, problem) = Import.Decide(command, new ImportNeighbours(streamVersion, At(version), At(version - 1)), options.Value.MaxContentBytes, names);
        if (problem is not null) return Results.Problem(problem);
        if (already is not null) return Results.Ok(already);

        if (version == 1) session.Events.StartStream<DocumentView>(command.DocumentId, fact!);
        else session.Events.Append(command.DocumentId, version, fact!);
        if (Import.MediaTypeOf(fact!) is { } mediaType) InsertContent.Queue(session, [new ContentUpload(command.Upload!, mediaType)]);
        await session.SaveChangesAsync(ct);
        return Results.Created($"/api/documents/{command.DocumentId}", new ImportResult(command.DocumentId, version, command.EventType!, true));
    }
}
