using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Net.Http.Headers;
using Provenance.Api.Http;
using Provenance.Api.Ledger;
using Wolverine.Http;

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

/// <summary>RFC 7089 Memento: the content endpoint is its own TimeGate; each revision's content URI is a Memento.</summary>
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
        // Memento-Datetime has whole seconds: a memento advertised at 09:30:05 was recorded within that second, and sending
        // that value back as Accept-Datetime must select it, not the one before.
        var until = instant.AddSeconds(1).AddTicks(-1);

        string digest, mediaType, contentLanguage, memento, fileName;
        DateTimeOffset recordedAt;
        if (language is null || Languages.Matches(language, view.Language))
        {
            var record = (await records.RevisionsAsync(id, ct, until: until)).LastOrDefault();
            if (record is null) return Problems.Result(Problems.NotFound, $"Document {id} had no revision yet at {instant:R}.");
            if (view.ContentRedactionOf(record.Version) is { } erased) return ErasedReads.Gone(erased, $"revision {record.Revision}");
            (digest, mediaType, contentLanguage, recordedAt) = (record.ContentDigest, record.MediaType, view.Language, record.RecordedAt);
            memento = $"/api/documents/{id}/content?revision={record.Revision}";
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
            memento = $"/api/documents/{id}/content?language={Uri.EscapeDataString(translation.Language)}&revision={translation.SourceRevision}";
            fileName = ServedContent.FileName(id, view.OriginalFileName, translation.SourceRevision, translation.Language, mediaType);
        }

        var headers = context.Response.Headers;
        var original = Absolute(context.Request, $"/api/documents/{id}/content");
        headers["Memento-Datetime"] = recordedAt.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);
        headers.Vary = "accept-datetime";
        headers.ContentLocation = memento;
        headers.Link = string.Join(", ",
            $"<{original}>; rel=\"original timegate\"",
            $"<{Absolute(context.Request, $"/api/documents/{id}/timemap")}>; rel=\"timemap\"; type=\"{LinkFormat}\"",
            $"<{Absolute(context.Request, memento)}>; rel=\"memento\"; datetime=\"{recordedAt.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture)}\"");
        headers.ETag = $"\"{digest}\"";
        headers["Repr-Digest"] = ContentDigest.ReprDigestHeader(digest);
        headers.ContentLanguage = contentLanguage;
        var bytes = await contents.ReadAsync(digest, ct);
        return bytes is null
            ? Problems.Result(Problems.NotFound, $"Content {digest} is missing from the store; run a fixity check.")
            : ServedContent.Bytes(context.Response, bytes, mediaType, fileName);
    }

    /// <summary>The RFC 7089 TimeMap of the document's own-language content, in RFC 6690 link format.</summary>
    [WolverineGet("/api/documents/{id}/timemap"), Authorize]
    public static async Task<IResult> TimeMap(Guid id, HttpContext context, DocumentRecords records)
    {
        var ct = context.RequestAborted;
        var revisions = await records.RevisionsAsync(id, ct);
        if (revisions.Count == 0) return Problems.DocumentNotFound(id);

        static string Date(DateTimeOffset t) => t.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);
        var request = context.Request;
        var links = new List<string>
        {
            $"<{Absolute(request, $"/api/documents/{id}/content")}>;rel=\"original\"",
            $"<{Absolute(request, $"/api/documents/{id}/timemap")}>;rel=\"self\";type=\"{LinkFormat}\";from=\"{Date(revisions[0].RecordedAt)}\";until=\"{Date(revisions[^1].RecordedAt)}\"",
            $"<{Absolute(request, $"/api/documents/{id}/content")}>;rel=\"timegate\"",
        };
        for (var i = 0; i < revisions.Count; i++)
        {
            var rel = (i == 0 ? "first " : "") + (i == revisions.Count - 1 ? "last " : "") + "memento";
            links.Add($"<{Absolute(request, $"/api/documents/{id}/content?revision={revisions[i].Revision}")}>;rel=\"{rel}\";datetime=\"{Date(revisions[i].RecordedAt)}\"");
        }
        return Results.Text(string.Join(",\n", links) + "\n", LinkFormat, Encoding.UTF8);
    }

    private static string Absolute(HttpRequest request, string pathAndQuery) => $"{request.Scheme}://{request.Host}{pathAndQuery}";

    public static string? AcceptDatetime(HttpRequest request)
        => request.Headers.TryGetValue("Accept-Datetime", out var value) && value.ToString().Length > 0 ? value.ToString() : null;
}
