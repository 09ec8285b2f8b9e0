using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Contract;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace Provenance.Api.Documents;

/// <summary>
/// Ingest a new document as revision 1: JSON with <c>content</c> (text) or <c>contentBase64</c> (bytes), or a multipart form
/// with a <c>file</c> part and the other fields as form fields.
/// </summary>
public sealed record IngestDocument(
    string? Title,
    string? Language,
    string? Content,
    byte[]? ContentBase64,
    string? MediaType,
    string? OriginalFileName,
    string? SourceUri,
    string? Publisher,
    DateTimeOffset? PublishedAt,
    string? Channel,
    string? Reason)
{
    /// <summary>The new document's id, chosen by the adapter (from <see cref="Identifiers"/>, or a seed manifest's).</summary>
    [JsonIgnore] public Guid DocumentId { get; init; }
    [JsonIgnore] public string Actor { get; init; } = "";
    [JsonIgnore] public ContentSubmission? Upload { get; init; }
}

/// <summary>The multipart form of <see cref="IngestDocument"/>: the content as the <c>file</c> part, the other members as form fields.</summary>
public sealed record IngestDocumentForm(IFormFile File, string Title, string Language, string? MediaType = null, string? OriginalFileName = null,
    string? SourceUri = null, string? Publisher = null, DateTimeOffset? PublishedAt = null, string? Channel = null, string? Reason = null);

public static class Ingest
{
    public const string DefaultChannel = "api";

    public static ProblemDetails? Validate(IngestDocument command, long maxContentBytes)
    {
        var errors = new FieldErrors();
        errors.Require("title", command.Title, FieldLimits.Title);
        var (_, languageError) = Languages.Parse(command.Language);
        if (languageError is not null) errors.Add("language", languageError);
        errors.Optional("originalFileName", command.OriginalFileName, FieldLimits.FileName);
        errors.Optional("publisher", command.Publisher, FieldLimits.Publisher);
        errors.Optional("channel", command.Channel, FieldLimits.Channel);
        errors.Optional("reason", command.Reason, FieldLimits.Reason, multiLine: true);
        if (command.SourceUri is { } uri && (uri.Length > FieldLimits.Uri || !Uris.IsAbsoluteWeb(uri)))
        {
            errors.Add("sourceUri", "'sourceUri' must be an absolute http(s) URI.");
        }
        ContentInput.Check(command.Upload, null, maxContentBytes, errors);
        return errors.Any ? Problems.InvalidDetails(errors) : null;
    }

    public static (DocumentIngested Ingested, StoreContent Store) Decide(IngestDocument command)
    {
        var upload = command.Upload!;
        var content = upload.Accepted(null);
        var ingested = new DocumentIngested(command.DocumentId, command.Title!.Trim(), Languages.Parse(command.Language).Tag!, content.MediaType,
            content.Digest, content.Size, ContentInput.SafeFileName(command.OriginalFileName) ?? content.FileName, command.SourceUri,
            command.Publisher?.Trim(), command.PublishedAt, string.IsNullOrWhiteSpace(command.Channel) ? DefaultChannel : command.Channel.Trim(),
            command.Actor, string.IsNullOrWhiteSpace(command.Reason) ? null : command.Reason.Trim());
        return (ingested, new StoreContent(content));
    }

    /// <summary>The new stream, and what the client is answered with: the view as the inline projection will store it.</summary>
    public static (DocumentResource, IStartStream, StoreContent) Record(IngestDocument command, TimeProvider clock)
    {
        var (ingested, store) = Decide(command);
        var view = DocumentViewProjection.Next(null, ingested, clock.GetUtcNow());
        return (DocumentResource.Recorded(view, $"/api/documents/{ingested.DocumentId}"),
            MartenOps.StartStream<DocumentView>(ingested.DocumentId, ingested), store);
    }
}

/// <summary>POST /api/documents.</summary>
public static class IngestEndpoint
{
    public static async Task<(IngestDocument?, ProblemDetails)> LoadAsync(HttpRequest request, ClaimsPrincipal user, Identifiers ids,
        IOptions<ProvenanceOptions> options)
    {
        var (body, upload, problem) = await DocumentRequests.ReadAsync<IngestDocument>(request, options.Value,
            (json, errors) => ContentInput.FromJson(json.Content, json.ContentBase64, json.MediaType, json.OriginalFileName, errors),
            FromForm);
        if (problem is not null) return (null, problem);
        return (body! with { DocumentId = ids.NewId(), Actor = user.Actor(), Upload = upload }, WolverineContinue.NoProblems);
    }

    public static ProblemDetails Validate(IngestDocument command, IOptions<ProvenanceOptions> options)
        => Ingest.Validate(command, options.Value.MaxContentBytes) ?? WolverineContinue.NoProblems;

    [WolverinePost("/api/documents", OperationId = "ingestDocument"), Authorize(Roles = Roles.Contributor), Idempotent]
    [Tags(ApiTags.Documents), EndpointSummary("Ingest a document as revision 1")]
    [AcceptsBody(typeof(IngestDocument), "application/json", RequiredMembers = ["title", "language"]), AcceptsBody(typeof(IngestDocumentForm), "multipart/form-data")]
    [ProducesResponseType<DocumentResource>(201, "application/json"), ResponseHeaders(201, "Location", "ETag")]
    public static (DocumentResource, IStartStream, StoreContent) Post([NotBody] IngestDocument command, TimeProvider clock) => Ingest.Record(command, clock);

    static IngestDocument FromForm(DocumentRequests.FormFields form, FieldErrors errors)
    {
        DateTimeOffset? published = null;
        if (form["publishedAt"] is { } text)
        {
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, out var at)) published = at;
            else errors.Add("publishedAt", "'publishedAt' must be an RFC 3339 date-time.");
        }
        return new IngestDocument(form["title"], form["language"], null, null, form["mediaType"], form["originalFileName"], form["sourceUri"],
            form["publisher"], published, form["channel"] ?? "upload", form["reason"]);
    }
}

/// <summary>The same use case for the web forms and the seed loader.</summary>
public static class IngestDocumentHandler
{
    public static void Validate(IngestDocument command, IOptions<ProvenanceOptions> options)
        => CommandRejected.ThrowIf(Ingest.Validate(command, options.Value.MaxContentBytes));

    public static (DocumentResource, IStartStream, StoreContent) Handle(IngestDocument command, TimeProvider clock) => Ingest.Record(command, clock);
}
