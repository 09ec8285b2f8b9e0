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
    /// (of that source revision when <c>revision</c> is given; the one recorded at stream <c>version</c> when given), with an
    /// RFC 9530 <c>Repr-Digest</c>; sandboxed and, unless passive, an attachment (<see cref="ServedContent"/>); hashed before the
    /// first byte leaves. With <c>revision</c> or <c>version</c> it is an RFC 7089 Memento; without, the original and its TimeGate.
    /// </summary>
    [WolverineGet("/api/documents/{id}/content", OperationId = "getContent"), Authorize]
    [Tags(ApiTags.Documents), EndpointSummary("Download a revision's or a translation's content")]
    [RequestHeader("If-None-Match"), RequestHeader("Accept-Datetime")]
    [ProducesResponseType(200), ProducesAnyContent(200), ResponseHeaders(200, "ETag", "Repr-Digest", "Content-Language", "Content-Disposition", "Memento-Datetime", "Link")]
    [ProducesResponseType(304), ProblemResponses(400, 404, 422, 500)]
    public static async Task<IResult> Get(Guid id, int? revision, string? language, long? version, HttpContext context, IQuerySession session,
        ContentStore contents, DocumentRecords records)
    {
        ServedContent.Protect(context.Response);
        if (await session.LoadAsync<DocumentView>(id, context.RequestAborted) is { } withdrawn
            && ErasedReads.Withdrawn(withdrawn, context.User, context.Response) is { } unavailable) return unavailable;
        if (revision is null && version is null && Mementos.AcceptDatetime(context.Request) is { } acceptDatetime)
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
        string? variant = null;
        DateTimeOffset recordedAt;
        if (language is null || Languages.Matches(language, view.Language))
        {
            if (version is not null)
            {
                const string error = "'version' selects one translation: name its 'language' too.";
                return Problems.Result(Problems.Validation, error, new Dictionary<string, string[]> { ["version"] = [error] });
            }
            var record = await records.RevisionAsync(id, revision ?? view.Revision, ct);
            if (record is null) return Problems.Result(Problems.NotFound, $"Revision {revision ?? view.Revision} has no stored content.");
            if (view.ContentRedactionOf(record.Version) is { } erased) return ErasedReads.Gone(erased, $"revision {record.Revision}");
            (digest, mediaType, contentLanguage, recordedAt) = (record.ContentDigest, record.MediaType, view.Language, record.RecordedAt);
            fileName = ServedContent.FileName(id, view.OriginalFileName, record.Revision, null, mediaType);
        }
        else
        {
            var (tag, error) = Languages.Parse(language);
            if (error is not null) return Problems.Result(Problems.Validation, error, new Dictionary<string, string[]> { ["language"] = [error] });
            var translation = version is { } v
                ? (await records.TranslationsAsync(id, ct)).FirstOrDefault(t => t.Version == v && Languages.Matches(tag!, t.Language)
                    && (revision is null || t.SourceRevision == revision))
                : await LatestTranslationAsync(records, id, tag!, revision, exact: false, ct);
            if (translation is null)
            {
                var of = (revision is null ? "" : $" of revision {revision}") + (version is null ? "" : $" recorded at version {version}");
                return Problems.Result(Problems.NotFound, $"There is no translation into '{tag}'{of}.");
            }
            if (view.ContentRedactionOf(translation.Version) is { } erased)
            {
                return ErasedReads.Gone(erased, $"the {translation.Language} translation of revision {translation.SourceRevision}");
            }
            (digest, mediaType, contentLanguage, recordedAt) = (translation.ContentDigest, translation.MediaType, translation.Language, translation.RecordedAt);
            fileName = ServedContent.FileName(id, view.OriginalFileName, translation.SourceRevision, translation.Language, mediaType);
            variant = tag;
        }

        if (revision is not null || version is not null) Mementos.DescribeMemento(context, id, variant, recordedAt);
        else Mementos.DescribeOriginal(context, id, variant);

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
