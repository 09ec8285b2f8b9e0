using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;
using Provenance.Api.Contract;

namespace Provenance.Api.Documents;

/// <summary>
/// Record a new revision of a document's own-language content, based on the revision the editor saw
/// (<c>If-Match</c> over HTTP). The body is JSON (<c>content</c> or <c>contentBase64</c>, <c>mediaType</c>, <c>reason</c>)
/// or a multipart form with a <c>file</c> part.
/// </summary>
public sealed record EditDocument(string? Content, byte[]? ContentBase64, string? MediaType, string? Reason)
{
    [JsonIgnore, JasperFx.Identity] public Guid DocumentId { get; init; }
    /// <summary>The revision the edit is based on; null when the request named none.</summary>
    [JsonIgnore] public int? BaseRevision { get; init; }
    [JsonIgnore] public string Actor { get; init; } = "";
    [JsonIgnore] public ContentSubmission? Upload { get; init; }
}

/// <summary>The multipart form of <see cref="EditDocument"/>: the new content as the <c>file</c> part.</summary>
public sealed record EditDocumentForm(IFormFile File, string Reason, string? MediaType = null);

public static class Edit
{
    /// <summary>Why the edit cannot be recorded against <paramref name="current"/>, or null when it can.</summary>
    public static ProblemDetails? Validate(EditDocument command, DocumentView current, long maxContentBytes)
    {
        if (command.BaseRevision is not { } baseRevision)
        {
            return Problems.Details(Problems.PreconditionRequired,
                $"Send 'If-Match: {current.ETag}' naming the revision this edit is based on (current revision: {current.Revision}).",
                extensions: new Dictionary<string, object?> { ["currentRevision"] = current.Revision });
        }
        if (baseRevision != current.Revision) return DocumentPreconditions.Stale(current, baseRevision);

        var errors = new FieldErrors();
        var content = ContentInput.Check(command.Upload, current.MediaType, maxContentBytes, errors);
        errors.Require("reason", command.Reason, FieldLimits.Reason, multiLine: true);
        if (errors.Any) return Problems.InvalidDetails(errors);
        if (content!.Digest == current.ContentDigest && content.MediaType == current.MediaType)
        {
            return Problems.Details(Problems.UnchangedContent,
                $"The content is identical to revision {current.Revision} ({current.ContentDigest}); nothing was recorded.",
                extensions: new Dictionary<string, object?> { ["currentRevision"] = current.Revision });
        }
        return null;
    }

    /// <summary>The decision, once <see cref="Validate"/> passed: the event, and the content to store with it.</summary>
    public static (DocumentEdited Edited, StoreContent Store) Decide(EditDocument command, DocumentView current, LineChanges lines)
    {
        var content = command.Upload!.Accepted(current.MediaType);
        var edited = new DocumentEdited(current.Id, current.Revision + 1, command.BaseRevision!.Value, content.MediaType, content.Digest,
            content.Size, lines.Added, lines.Removed, command.Actor, command.Reason!.Trim());
        return (edited, new StoreContent(content));
    }

    /// <summary>The events to append, the content to store, and the answer: the view as it will be once they commit.</summary>
    public static (DocumentResource, Events, StoreContent) Record(EditDocument command, DocumentView current, LineChanges lines, TimeProvider clock)
    {
        var (edited, store) = Decide(command, current, lines);
        var after = DocumentViewProjection.Next(current, edited, clock.GetUtcNow());
        return (DocumentResource.Recorded(after, $"/api/documents/{current.Id}/revisions/{edited.Revision}"), [edited], store);
    }

    /// <summary>Line counts against the current revision, from the content store (the previous revision is usually cached).</summary>
    public static async Task<LineChanges> LinesAsync(EditDocument command, DocumentView current, ContentStore contents, CancellationToken ct)
    {
        if (command.Upload is not { } upload || !MediaTypes.IsText(current.MediaType)) return LineChanges.None;
        var after = MediaTypes.Normalize(upload.EffectiveMediaType(current.MediaType));
        if (after is null || !MediaTypes.IsText(after) || !upload.IsValidUtf8) return LineChanges.None;
        var before = await contents.GetAsync(current.ContentDigest, ct);
        // The next edit diffs against these bytes: keep them (content is addressed by its digest, so a copy can never be stale, and
        // one for an edit that then loses its race is just an unused entry).
        contents.Remember(upload);
        return LineChanges.Between(before, upload.ReadAllBytes());
    }
}

/// <summary>POST /api/documents/{id}/revisions: HTTP binds the command, the aggregate workflow loads, checks and commits.</summary>
public static class EditEndpoint
{
    public static async Task<(EditDocument?, ProblemDetails)> LoadAsync(Guid id, HttpRequest request, ClaimsPrincipal user,
        IOptions<ProvenanceOptions> options)
    {
        var (baseRevision, precondition) = DocumentPreconditions.IfMatch(request);
        if (precondition is not null) return (null, precondition);
        var (body, upload, problem) = await DocumentRequests.ReadAsync<EditDocument>(request, options.Value,
            (json, errors) => ContentInput.FromJson(json.Content, json.ContentBase64, json.MediaType, null, errors),
            (form, _) => new EditDocument(null, null, form["mediaType"], form["reason"]));
        if (problem is not null) return (null, problem);
        return (body! with { DocumentId = id, BaseRevision = baseRevision, Actor = user.Actor(), Upload = upload }, WolverineContinue.NoProblems);
    }

    public static ProblemDetails Validate(EditDocument command, DocumentView document, IOptions<ProvenanceOptions> options, HttpResponse response)
        => DocumentPreconditions.Respond(Edit.Validate(command, document, options.Value.MaxContentBytes), document, response);

    public static Task<LineChanges> BeforeAsync(EditDocument command, DocumentView document, ContentStore contents, CancellationToken ct)
        => Edit.LinesAsync(command, document, contents, ct);

    [WolverinePost("/api/documents/{id}/revisions", OperationId = "recordRevision"), Authorize(Roles = Roles.Contributor), Idempotent]
    [Tags(ApiTags.Documents), EndpointSummary("Record a new revision, based on the revision If-Match names")]
    [RequestHeader("If-Match", Required = true)]
    [AcceptsBody(typeof(EditDocument), "application/json", RequiredMembers = ["reason"]), AcceptsBody(typeof(EditDocumentForm), "multipart/form-data")]
    [ProducesResponseType<DocumentResource>(201, "application/json"), ResponseHeaders(201, "Location", "ETag")]
    [ProblemResponses(404, 412, 422, 428), ResponseHeaders(412, "ETag")]
    public static (DocumentResource, Events, StoreContent) Post([NotBody] EditDocument command, [WriteAggregate("id")] DocumentView document, [NotBody] LineChanges lines,
        TimeProvider clock) => Edit.Record(command, document, lines, clock);
}

/// <summary>The same use case for adapters other than the HTTP API (web forms, the seed loader): sent with <c>IMessageBus.InvokeForTenantAsync</c>.</summary>
public static class EditDocumentHandler
{
    public static void Validate(EditDocument command, DocumentView document, IOptions<ProvenanceOptions> options)
        => CommandRejected.ThrowIf(Edit.Validate(command, document, options.Value.MaxContentBytes));

    public static Task<LineChanges> BeforeAsync(EditDocument command, DocumentView document, ContentStore contents, CancellationToken ct)
        => Edit.LinesAsync(command, document, contents, ct);

    public static (DocumentResource, Events, StoreContent) Handle(EditDocument command, [WriteAggregate] DocumentView document, LineChanges lines,
        TimeProvider clock) => Edit.Record(command, document, lines, clock);
}
