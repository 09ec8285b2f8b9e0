using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Microsoft.AspNetCore.Authorization;
using Provenance.Api.Http;
using Wolverine.Http;

namespace Provenance.Api.Documents;

/// <summary>The facts of one event, flattened so a page of them is one indexed query, never a stream replay.</summary>
public abstract class EventFacts
{
    public Guid DocumentId { get; set; }
    /// <summary>Position in the document's stream (1-based).</summary>
    public long Version { get; set; }
    /// <summary>Position in the whole ledger.</summary>
    public long Sequence { get; set; }
    /// <summary>The event type's stable name, e.g. <c>document_edited</c>.</summary>
    public string Type { get; set; } = "";
    /// <summary>The revision the event created, translated or verified.</summary>
    public int Revision { get; set; }
    public string? Language { get; set; }
    public string Actor { get; set; } = "";
    public DateTimeOffset Timestamp { get; set; }
    public string? Reason { get; set; }
    public string? CorrelationId { get; set; }
    public string? ContentDigest { get; set; }
    public string? MediaType { get; set; }
    public long? Size { get; set; }
    public string? Method { get; set; }
    public string? Verdict { get; set; }
    public string? ClaimQuote { get; set; }

    public void Fill(IEvent e)
    {
        DocumentId = e.StreamId;
        Version = e.Version;
        Sequence = e.Sequence;
        Type = e.EventTypeName;
        Timestamp = e.Timestamp;
        CorrelationId = e.CorrelationId;
        switch (e.Data)
        {
            case DocumentIngested i:
                (Revision, Language, Actor, Reason, ContentDigest, MediaType, Size) = (1, i.Language, i.Actor, i.Reason, i.ContentDigest, i.MediaType, i.Size);
                break;
            case DocumentEdited d:
                (Revision, Actor, Reason, ContentDigest, MediaType, Size) = (d.Revision, d.Actor, d.Reason, d.ContentDigest, d.MediaType, d.Size);
                break;
            case DocumentTranslated t:
                (Revision, Language, Actor, Reason, ContentDigest, MediaType, Size, Method) =
                    (t.SourceRevision, t.Language, t.Actor, t.Reason, t.ContentDigest, t.MediaType, t.Size, t.Method);
                break;
            case DocumentVerified v:
                (Revision, Language, Actor, Reason, Method, Verdict, ClaimQuote) = (v.Revision, v.Language, v.Actor, v.Reason, v.Method, v.Verdict, v.Claim?.Quote);
                break;
        }
    }
}

/// <summary>One event of one document's history, written in the same transaction as the event.</summary>
public sealed class HistoryEntry : EventFacts
{
    public string Id { get; set; } = "";

    public static string IdFor(Guid documentId, long version) => $"{documentId:N}:{version}";
}

public sealed partial class HistoryProjection : EventProjection
{
    public HistoryEntry Create(IEvent<DocumentIngested> e) => Entry(e);
    public HistoryEntry Create(IEvent<DocumentEdited> e) => Entry(e);
    public HistoryEntry Create(IEvent<DocumentTranslated> e) => Entry(e);
    public HistoryEntry Create(IEvent<DocumentVerified> e) => Entry(e);

    private static HistoryEntry Entry(IEvent e)
    {
        var entry = new HistoryEntry { Id = HistoryEntry.IdFor(e.StreamId, e.Version) };
        entry.Fill(e);
        return entry;
    }
}

public sealed record HistoryItem(
    long Version, long Sequence, string Type, int Revision, string? Language, string Actor, DateTimeOffset Timestamp, string? Reason,
    string? CorrelationId, string? ContentDigest, string? MediaType, long? Size, string? Method, string? Verdict, string? ClaimQuote)
{
    public static HistoryItem From(EventFacts f) => new(f.Version, f.Sequence, f.Type, f.Revision, f.Language, f.Actor, f.Timestamp, f.Reason,
        f.CorrelationId, f.ContentDigest, f.MediaType, f.Size, f.Method, f.Verdict, f.ClaimQuote);
}

public sealed record HistoryPage(Guid DocumentId, IReadOnlyList<HistoryItem> Items, string? NextCursor);

public static class HistoryEndpoint
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static readonly IReadOnlySet<string> EventTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "document_ingested", "document_edited", "document_translated", "document_verified",
    };

    /// <summary>Every event of the document in stream order; <c>after</c> is the previous page's <c>nextCursor</c>.</summary>
    [WolverineGet("/api/documents/{id}/history"), Authorize]
    public static async Task<IResult> Get(Guid id, string? after, int? limit, string? type, HttpContext context, IQuerySession session)
    {
        var errors = new FieldErrors();
        var size = limit ?? DefaultLimit;
        if (size is < 1 or > MaxLimit) errors.Add("limit", $"'limit' must be between 1 and {MaxLimit}.");
        long from = 0;
        if (after is not null)
        {
            if (Cursors.Decode(after) is { } position) from = position;
            else errors.Add("after", "'after' is not a cursor this API issued.");
        }
        var types = ParseTypes(type, errors);
        if (errors.Any) return Problems.Invalid(errors);

        var ct = context.RequestAborted;
        if (!await DocumentExistsAsync(session, id, ct)) return Problems.DocumentNotFound(id);

        IQueryable<HistoryEntry> query = session.Query<HistoryEntry>().Where(h => h.DocumentId == id && h.Version > from);
        if (types is not null) query = query.Where(h => h.Type.IsOneOf(types));
        var rows = await query.OrderBy(h => h.Version).Take(size + 1).ToListAsync(ct);
        var page = rows.Take(size).ToList();
        var next = rows.Count > size ? Cursors.Encode(page[^1].Version) : null;
        if (next is not null) context.Response.Headers.Link = $"<{Paging.NextLink(context.Request, "after", next)}>; rel=\"next\"";
        return Results.Ok(new HistoryPage(id, page.Select(HistoryItem.From).ToList(), next));
    }

    /// <summary>A comma list of event type names, or null for all; unknown names are field errors.</summary>
    public static string[]? ParseTypes(string? type, FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(type)) return null;
        var types = type.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var unknown in types.Where(t => !EventTypes.Contains(t)))
        {
            errors.Add("type", $"'{unknown}' is not an event type; use one of: {string.Join(", ", EventTypes.Order(StringComparer.Ordinal))}.");
        }
        return types;
    }

    public static async Task<bool> DocumentExistsAsync(IQuerySession session, Guid id, CancellationToken ct)
        => await session.Query<DocumentView>().AnyAsync(d => d.Id == id, ct);
}

public static class Paging
{
    /// <summary>The same request with its cursor parameter replaced: the RFC 8288 <c>next</c> link.</summary>
    public static string NextLink(HttpRequest request, string cursorName, string next)
    {
        var query = request.Query.Where(p => p.Key != cursorName).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value.ToString())}")
            .Append($"{cursorName}={next}");
        return $"{request.Path}?{string.Join('&', query)}";
    }
}
