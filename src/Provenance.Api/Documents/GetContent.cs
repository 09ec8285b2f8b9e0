using Marten;
using Microsoft.AspNetCore.Authorization;
using Provenance.Api.Http;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Documents;

public static class ContentEndpoint
{
    /// <summary>
    /// The bytes of a revision (default: current) or, with <c>language</c>, of the latest translation into it
    /// (of that source revision when <c>revision</c> is given), with an RFC 9530 <c>Repr-Digest</c>; sandboxed and, unless passive,
    /// an attachment (<see cref="ServedContent"/>); hashed before the first byte leaves.
    /// </summary>
    [WolverineGet("/api/documents/{id}/content", OperationId = "getContent"), Authorize]
    [Tags(ApiTags.Documents), EndpointSummary("Download a revision's or a translation's content")]
    [RequestHeader("If-None-Match"), RequestHeader("Accept-Datetime")]
    [ProducesResponseType(200), ProducesAnyContent(200), ResponseHeaders(200, "ETag", "Repr-Digest", "Content-Language", "Content-Disposition", "Memento-Datetime", "Link")]
    [ProducesResponseType(304), ProblemResponses(400, 404, 422, 500)]
    public static async Task<IResult> Get(Guid id, int? revision, string? language, HttpContext context, IQuerySession session, ContentStore contents,
        DocumentRecords records)
    {
        ServedContent.Protect(context.Response);
        if (revision is null && Mementos.AcceptDatetime(context.Request) is { } acceptDatetime)
        {
            return await Mementos.NegotiateAsync(id, language, acceptDatetime, context, session, contents, records);
        }
        var ct = context.RequestAborted;
        var view = await session.LoadAsync<DocumentView>(id, ct);
        if (view is null) return Problems.DocumentNotFound(id);
        if (revision is { } r && (r < 1 || r > view.Revision))
        {
            return Problems.Result(Problems.NotFound, $"Revision {r} does not exist; the document has revisions 1 to {view.Revision}.");
        }

        string digest, mediaType, contentLanguage, fileName;
        if (language is null || Languages.Matches(language, view.Language))
        {
            var record = await records.RevisionAsync(id, revision ?? view.Revision, ct);
            if (record is null) return Problems.Result(Problems.NotFound, $"Revision {revision ?? view.Revision} has no stored content.");
            (digest, mediaType, contentLanguage) = (record.ContentDigest, record.MediaType, view.Language);
            fileName = ServedContent.FileName(id, view.OriginalFileName, record.Revision, null, mediaType);
        }
        else
        {
            var (tag, error) = Languages.Parse(language);
            if (error is not null) return Problems.Result(Problems.Validation, error, new Dictionary<string, string[]> { ["language"] = [error] });
            var translation = await LatestTranslationAsync(records, id, tag!, revision, exact: false, ct);
            if (translation is null)
            {
                var of = revision is null ? "" : $" of revision {revision}";
                return Problems.Result(Problems.NotFound, $"There is no translation into '{tag}'{of}.");
            }
            (digest, mediaType, contentLanguage) = (translation.ContentDigest, translation.MediaType, translation.Language);
            fileName = ServedContent.FileName(id, view.OriginalFileName, translation.SourceRevision, translation.Language, mediaType);
        }

        var etag = $"\"{digest}\"";
        context.Response.Headers.ETag = etag;
        context.Response.Headers["Repr-Digest"] = ContentDigest.ReprDigestHeader(digest);
        context.Response.Headers.ContentLanguage = contentLanguage;
        if (EntityTags.AnyMatches(context.Request.Headers.IfNoneMatch.ToString(), etag, weak: true))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        var bytes = await contents.ReadAsync(digest, ct);
        return bytes is null
            ? Problems.Result(Problems.NotFound, $"Content {digest} is missing from the store; run a fixity check.")
            : ServedContent.Bytes(context.Response, bytes, mediaType, fileName);
    }

    public static async Task<TranslationRecord?> LatestTranslationAsync(DocumentRecords records, Guid id, string language, int? sourceRevision,
        bool exact, CancellationToken ct)
        => new DocumentRecordSet([], [], await records.TranslationsAsync(id, ct)).LatestTranslation(language, sourceRevision, exact);
}
