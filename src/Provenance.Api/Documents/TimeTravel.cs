using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Net.Http.Headers;
using Provenance.Api.Http;
using Provenance.Api.Ledger;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Documents;

/// <summary>The document as it stood at an instant: its stream replayed up to then through the same projection as the live view.</summary>
public static partial class TimeTravel
{
    // RFC 3339 date-time; a space before the offset is a '+' that an unencoded query string turned into a space.
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?(?<offset>[Zz]|[+\- ]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();

    public static DateTimeOffset? ParseRfc3339(string value)
    {
        var match = Rfc3339().Match(value.Trim());
        if (!match.Success) return null;
        var text = value.Trim();
        var offset = match.Groups["offset"];
        if (offset.Value.StartsWith(' ')) text = text[..offset.Index] + "+" + text[(offset.Index + 1)..];
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant) ? instant.ToUniversalTime() : null;
    }

    /// <summary>The replayed view, with the replayed events whose rows no longer match their ledger leaves flagged (<see cref="LeafCheck"/>).</summary>
    public static async Task<IResult> AsOfAsync(Guid id, string asOf, HttpContext context, IQuerySession session, LedgerDatabase ledger)
    {
        if (ParseRfc3339(asOf) is not { } instant)
        {
            const string error = "'asOf' must be an RFC 3339 date-time, for example 2026-01-15T09:30:00Z.";
            return Problems.Result(Problems.Validation, error, new Dictionary<string, string[]> { ["asOf"] = [error] });
        }
        var view = await session.Events.AggregateStreamAsync<DocumentView>(id, timestamp: instant, token: context.RequestAborted);
        if (view is null)
        {
            return await HistoryEndpoint.DocumentExistsAsync(session, id, context.RequestAborted)
                ? Problems.Result(Problems.NotFound, $"Document {id} did not exist yet at {instant:O}.")
                : Problems.DocumentNotFound(id);
        }
        var mismatches = await LeafCheck.OfDocumentAsync(ledger, id, instant, context.RequestAborted);
        context.Response.Headers.ETag = view.ETag;
        return Results.Ok(DocumentResource.From(view) with { LedgerMismatches = mismatches });
    }
}

/// <summary>
/// RFC 7089 Memento: the content endpoint (own language, or <c>?language=</c>) is its own TimeGate; each revision's content URI,
/// and each translation's, is a Memento. Memento-Datetime has whole seconds; a TimeGate therefore reads an Accept-Datetime as
/// "up to the end of that second", so a memento's own advertised datetime selects it (two mementos recorded within one second
/// cannot be told apart by datetime: the later one is selected).
/// </summary>
public static class Mementos
{
    public const string LinkFormat = "application/link-format";

    /// <summary>200-style negotiation (RFC 7089 §4.1.2): the revision current at <c>Accept-Datetime</c>, served in place.</summary>
    public static async Task<IResult> NegotiateAsync(Guid id, string? language, string acceptDatetime, HttpContext context, IQuerySession session,
        ContentStore contents, DocumentRecords records)
    {
        var ct = context.RequestAborted;
        if (!DateTimeOffset.TryParseExact(acceptDatetime.Trim(), "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            return Problems.Result(Problems.MalformedRequest, $"Accept-Datetime '{acceptDatetime}' is not an RFC 1123 date, for example 'Thu, 15 Jan 2026 09:30:00 GMT'.");
        }
        var view = await session.LoadAsync<DocumentView>(id, ct);
        if (view is null) return Problems.DocumentNotFound(id);
        var until = instant.AddSeconds(1).AddTicks(-1);

        string digest, mediaType, contentLanguage, memento, fileName;
        string? variant = null;
        DateTimeOffset recordedAt;
        if (language is null || Languages.Matches(language, view.Language))
        {
            var record = (await records.RevisionsAsync(id, ct, until: until)).LastOrDefault();
            if (record is null) return Problems.Result(Problems.NotFound, $"Document {id} had no revision yet at {instant:R}.");
            if (view.ContentRedactionOf(record.Version) is { } erased) return ErasedReads.Gone(erased, $"revision {record.Revision}");
            (digest, mediaType, contentLanguage, recordedAt) = (record.ContentDigest, record.MediaType, view.Language, record.RecordedAt);
            memento = RevisionMemento(id, record.Revision);
            fileName = ServedContent.FileName(id, view.OriginalFileName, record.Revision, null, mediaType);
        }
        else
        {
            var (tag, error) = Languages.Parse(language);
            if (error is not null) return Problems.Result(Problems.Validation, error, new Dictionary<string, string[]> { ["language"] = [error] });
            var translation = new DocumentRecordSet([], [], await records.TranslationsAsync(id, ct, until: until)).LatestTranslation(tag!, null, exact: false);
            if (translation is null) return Problems.Result(Problems.NotFound, $"There was no translation into '{tag}' yet at {instant:R}.");
            if (view.ContentRedactionOf(translation.Version) is { } erased) return ErasedReads.Gone(erased, $"the {translation.Language} translation");
            (digest, mediaType, contentLanguage, recordedAt) = (translation.ContentDigest, translation.MediaType, translation.Language, translation.RecordedAt);
            memento = TranslationMemento(id, translation);
            fileName = ServedContent.FileName(id, view.OriginalFileName, translation.SourceRevision, translation.Language, mediaType);
            variant = tag;
        }

        var headers = context.Response.Headers;
        var (original, timemap) = Resources(context.Request, id, variant);
        headers["Memento-Datetime"] = Date(recordedAt);
        headers.Vary = "accept-datetime";
        headers.ContentLocation = memento;
        headers.Link = string.Join(", ",
            $"<{original}>; rel=\"original timegate\"",
            $"<{timemap}>; rel=\"timemap\"; type=\"{LinkFormat}\"",
            $"<{Absolute(context.Request, memento)}>; rel=\"memento\"; datetime=\"{Date(recordedAt)}\"");
        headers.ETag = $"\"{digest}\"";
        headers["Repr-Digest"] = ContentDigest.ReprDigestHeader(digest);
        headers.ContentLanguage = contentLanguage;
        var bytes = await contents.ReadAsync(digest, ct);
        return bytes is null
            ? Problems.Result(Problems.NotFound, $"Content {digest} is missing from the store; run a fixity check.")
            : ServedContent.Bytes(context.Response, bytes, mediaType, fileName);
    }

    /// <summary>RFC 7089 §4 headers of a Memento (URI-M): when it was recorded, and its original, TimeGate and TimeMap.</summary>
    /// <param name="language">The translation language asked for; null for the document's own.</param>
    public static void DescribeMemento(HttpContext context, Guid id, string? language, DateTimeOffset recordedAt)
    {
        var (original, timemap) = Resources(context.Request, id, language);
        var headers = context.Response.Headers;
        headers["Memento-Datetime"] = Date(recordedAt);
        headers.Link = $"<{original}>; rel=\"original\", <{original}>; rel=\"timegate\", <{timemap}>; rel=\"timemap\"; type=\"{LinkFormat}\"";
    }

    /// <summary>The original resource (URI-R) is its own TimeGate: its responses vary with Accept-Datetime and name the TimeMap.</summary>
    public static void DescribeOriginal(HttpContext context, Guid id, string? language)
    {
        var (original, timemap) = Resources(context.Request, id, language);
        var headers = context.Response.Headers;
        headers.Vary = "accept-datetime";
        headers.Link = $"<{original}>; rel=\"original timegate\", <{timemap}>; rel=\"timemap\"; type=\"{LinkFormat}\"";
    }

    public static string RevisionMemento(Guid id, int revision) => $"/api/documents/{id}/content?revision={revision}";

    /// <summary>A translation's own URI: its stream version tells it from a later translation of the same revision.</summary>
    public static string TranslationMemento(Guid id, TranslationRecord translation)
        => $"/api/documents/{id}/content?language={Uri.EscapeDataString(translation.Language)}&revision={translation.SourceRevision}&version={translation.Version}";

    /// <summary>
    /// The RFC 7089 TimeMap, in RFC 6690 link format: of the document's own-language content (every revision), or with
    /// <c>language</c> of its translations into that language (every one recorded).
    /// </summary>
    [WolverineGet("/api/documents/{id}/timemap", OperationId = "getTimeMap"), Authorize]
    [Tags(ApiTags.Documents), EndpointSummary("The RFC 7089 TimeMap of a document's revisions, or of its translations into a language")]
    [ProducesResponseType<string>(200, Mementos.LinkFormat), ProblemResponses(404, 422)]
    public static async Task<IResult> TimeMap(Guid id, string? language, HttpContext context, IQuerySession session, DocumentRecords records)
    {
        var ct = context.RequestAborted;
        string? variant = null;
        List<(string Uri, DateTimeOffset At)> mementos;
        if (language is not null && await session.LoadAsync<DocumentView>(id, ct) is { } view && !Languages.Matches(language, view.Language))
        {
            var (tag, error) = Languages.Parse(language);
            if (error is not null) return Problems.Result(Problems.Validation, error, new Dictionary<string, string[]> { ["language"] = [error] });
            mementos = (await records.TranslationsAsync(id, ct)).Where(t => Languages.Matches(tag!, t.Language))
                .Select(t => (Absolute(context.Request, TranslationMemento(id, t)), t.RecordedAt)).ToList();
            if (mementos.Count == 0) return Problems.Result(Problems.NotFound, $"There is no translation into '{tag}'.");
            variant = tag;
        }
        else
        {
            mementos = (await records.RevisionsAsync(id, ct)).Select(r => (Absolute(context.Request, RevisionMemento(id, r.Revision)), r.RecordedAt)).ToList();
            if (mementos.Count == 0) return Problems.DocumentNotFound(id);
        }

        var (original, timemap) = Resources(context.Request, id, variant);
        var links = new List<string>
        {
            $"<{original}>;rel=\"original\"",
            $"<{timemap}>;rel=\"self\";type=\"{LinkFormat}\";from=\"{Date(mementos[0].At)}\";until=\"{Date(mementos[^1].At)}\"",
            $"<{original}>;rel=\"timegate\"",
        };
        for (var i = 0; i < mementos.Count; i++)
        {
            var rel = (i == 0 ? "first " : "") + (i == mementos.Count - 1 ? "last " : "") + "memento";
            links.Add($"<{mementos[i].Uri}>;rel=\"{rel}\";datetime=\"{Date(mementos[i].At)}\"");
        }
        return Results.Text(string.Join(",\n", links) + "\n", LinkFormat, Encoding.UTF8);
    }

    private static string Date(DateTimeOffset t) => t.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);

    /// <summary>The original resource (URI-R, also the TimeGate) and the TimeMap of the content in one language (null: its own).</summary>
    private static (string Original, string TimeMap) Resources(HttpRequest request, Guid id, string? language)
    {
        var query = language is null ? "" : "?language=" + Uri.EscapeDataString(language);
        return (Absolute(request, $"/api/documents/{id}/content{query}"), Absolute(request, $"/api/documents/{id}/timemap{query}"));
    }

    private static string Absolute(HttpRequest request, string pathAndQuery) => $"{request.Scheme}://{request.Host}{pathAndQuery}";

    public static string? AcceptDatetime(HttpRequest request)
        => request.Headers.TryGetValue("Accept-Datetime", out var value) && value.ToString().Length > 0 ? value.ToString() : null;
}
