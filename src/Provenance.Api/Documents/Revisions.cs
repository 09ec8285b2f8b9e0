using Marten;
using Microsoft.AspNetCore.Authorization;
using Provenance.Api.Http;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Documents;

/// <summary>The metadata of one own-language revision, with where its bytes are.</summary>
public sealed record RevisionResource(
    int Revision, string MediaType, string ContentDigest, long Size, int LinesAdded, int LinesRemoved, string Actor, string? Reason,
    DateTimeOffset RecordedAt, long Sequence, string Self, string Content)
{
    public static RevisionResource From(RevisionRecord r) => new(
        r.Revision, r.MediaType, r.ContentDigest, r.Size, r.LinesAdded, r.LinesRemoved, r.Actor, r.Reason, r.RecordedAt, r.Sequence,
        $"/api/documents/{r.DocumentId}/revisions/{r.Revision}", $"/api/documents/{r.DocumentId}/content?revision={r.Revision}");
}

public sealed record RevisionPage(Guid DocumentId, IReadOnlyList<RevisionResource> Items, string? NextCursor);

public static class RevisionsEndpoint
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>Revisions oldest first; <c>after</c> is the previous page's <c>nextCursor</c>.</summary>
    [WolverineGet("/api/documents/{id}/revisions", OperationId = "listRevisions"), Authorize]
    [Tags(ApiTags.Documents), EndpointSummary("List a document's revisions")]
    [ProducesResponseType<RevisionPage>(200, "application/json"), ResponseHeaders(200, "Link"), ProblemResponses(404, 422)]
    public static async Task<IResult> List(Guid id, string? after, int? limit, HttpContext context, IQuerySession session, DocumentRecords records)
    {
        var errors = new FieldErrors();
        var size = limit ?? DefaultLimit;
        if (size is < 1 or > MaxLimit) errors.Add("limit", $"'limit' must be between 1 and {MaxLimit}.");
        var from = 0;
        if (after is not null)
        {
            if (Cursors.Decode(after) is { } position and <= int.MaxValue) from = (int)position;
            else errors.Add("after", "'after' is not a cursor this API issued.");
        }
        if (errors.Any) return Problems.Invalid(errors);

        var ct = context.RequestAborted;
        if (!await HistoryEndpoint.DocumentExistsAsync(session, id, ct)) return Problems.DocumentNotFound(id);
        var rows = (await records.RevisionsAsync(id, ct)).Where(r => r.Revision > from).Take(size + 1).ToList();
        var page = rows.Take(size).ToList();
        var next = rows.Count > size ? Cursors.Encode(page[^1].Revision) : null;
        if (next is not null) context.Response.Headers.Link = $"<{Paging.NextLink(context.Request, "after", next)}>; rel=\"next\"";
        return Results.Ok(new RevisionPage(id, page.Select(RevisionResource.From).ToList(), next));
    }

    [WolverineGet("/api/documents/{id}/revisions/{n}", OperationId = "getRevision"), Authorize]
    [Tags(ApiTags.Documents), EndpointSummary("Read one revision's metadata")]
    [ProducesResponseType<RevisionResource>(200, "application/json"), ProblemResponses(404)]
    public static async Task<IResult> Get(Guid id, int n, HttpContext context, IQuerySession session, DocumentRecords records)
    {
        var ct = context.RequestAborted;
        var record = await records.RevisionAsync(id, n, ct);
        if (record is not null) return Results.Ok(RevisionResource.From(record));
        return await HistoryEndpoint.DocumentExistsAsync(session, id, ct)
            ? Problems.Result(Problems.NotFound, $"Document {id} has no revision {n}.")
            : Problems.DocumentNotFound(id);
    }
}
