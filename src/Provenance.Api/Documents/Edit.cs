using System.Security.Claims;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Wolverine.Http;

namespace Provenance.Api.Documents;

/// <summary>Record a new revision. The request's <c>If-Match</c> names the revision the edit is based on.</summary>
public sealed record EditDocument(string? Content, string? ContentBase64, string? MediaType, string? Reason);

public static class EditEndpoint
{
    [WolverinePost("/api/documents/{id}/revisions"), Authorize(Roles = Roles.Contributor)]
    public static async Task<IResult> Post(Guid id, HttpRequest request, IDocumentSession session, ContentStore contents,
        ClaimsPrincipal user, IOptions<ProvenanceOptions> options)
    {
        var ct = request.HttpContext.RequestAborted;
        var current = await session.LoadAsync<DocumentView>(id, ct);
        if (current is null) return Problems.DocumentNotFound(id);

        var ifMatch = request.Headers.IfMatch.ToString();
        if (ifMatch.Length == 0)
        {
            return Problems.Result(Problems.PreconditionRequired,
                $"Send 'If-Match: {current.ETag}' naming the revision this edit is based on (current revision: {current.Revision}).",
                extensions: new Dictionary<string, object?> { ["currentRevision"] = current.Revision });
        }
        if (EntityTags.Revision(ifMatch) is not { } baseRevision)
        {
            return Problems.Result(Problems.MalformedRequest, $"If-Match '{ifMatch}' does not name a revision (for example \"{current.Revision}\").");
        }

        var limit = options.Value.MaxContentBytes;
        var errors = new FieldErrors();
        EditDocument command;
        ContentUpload? content;
        if (RequestBodies.IsMultipart(request))
        {
            var (form, problem) = await RequestBodies.ReadFormAsync(request, limit);
            if (problem is not null) return problem;
            command = new EditDocument(null, null, form!["mediaType"].FirstOrDefault(), form["reason"].FirstOrDefault());
            content = await ContentInput.FromFormAsync(form, current.MediaType, limit, errors);
        }
        else
        {
            var (json, problem) = await RequestBodies.ReadJsonAsync<EditDocument>(request, RequestBodies.JsonLimit(options.Value));
            if (problem is not null) return problem;
            command = json!;
            content = ContentInput.FromJson(command.Content, command.ContentBase64, command.MediaType, null, current.MediaType, limit, errors);
        }
        errors.Require("reason", command.Reason, 2000);
        if (errors.Any || content is null) return Problems.Invalid(errors);

        var (view, outcome) = await RecordAsync(session, contents, id, baseRevision, content, user.Actor(), command.Reason!.Trim(), ct);
        return outcome switch
        {
            EditOutcome.Recorded => DocumentResults.Created(request.HttpContext, $"/api/documents/{id}/revisions/{view!.Revision}", view),
            EditOutcome.Stale => StaleRevision(request.HttpContext, view!, baseRevision),
            EditOutcome.Unchanged => Problems.Result(Problems.UnchangedContent,
                $"The content is identical to revision {view!.Revision} ({view.ContentDigest}); nothing was recorded.",
                extensions: new Dictionary<string, object?> { ["currentRevision"] = view.Revision }),
            _ => Problems.DocumentNotFound(id),
        };
    }

    public enum EditOutcome { Recorded, Stale, Unchanged, NotFound }

    /// <summary>
    /// The decision is taken under the stream's row lock, so concurrent editors of one base revision serialise:
    /// exactly one records its revision, every other sees the revision has moved on.
    /// </summary>
    public static async Task<(DocumentView? View, EditOutcome Outcome)> RecordAsync(IDocumentSession session, ContentStore contents, Guid id,
        int baseRevision, ContentUpload content, string actor, string reason, CancellationToken ct)
    {
        var stream = await session.Events.FetchForExclusiveWriting<DocumentView>(id, ct);
        var current = stream.Aggregate;
        if (current is null) return (null, EditOutcome.NotFound);
        if (current.Revision != baseRevision) return (current, EditOutcome.Stale);
        if (current.ContentDigest == content.Digest && current.MediaType == content.MediaType) return (current, EditOutcome.Unchanged);

        var before = content.IsText && MediaTypes.IsText(current.MediaType) ? await contents.GetAsync(current.ContentDigest, ct) : null;
        var (added, removed) = ChangeSummary.Lines(before, content);
        contents.Put(session, content);
        stream.AppendOne(new DocumentEdited(id, current.Revision + 1, baseRevision, content.MediaType, content.Digest, content.Size,
            added, removed, actor, reason));
        await session.SaveChangesAsync(ct);
        // The identity map already holds the aggregate fetched for writing: no second read of the view.
        return (await session.Events.FetchLatest<DocumentView>(id, ct), EditOutcome.Recorded);
    }

    public static IResult StaleRevision(HttpContext context, DocumentView current, int named)
    {
        context.Response.Headers.ETag = current.ETag;
        return Problems.Result(Problems.StaleRevision,
            $"This edit is based on revision {named}, but the document is at revision {current.Revision}. Fetch it, merge, and retry with If-Match: {current.ETag}.",
            extensions: new Dictionary<string, object?> { ["currentRevision"] = current.Revision, ["basedOn"] = named });
    }
}
