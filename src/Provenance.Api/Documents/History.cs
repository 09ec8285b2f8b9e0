using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Microsoft.AspNetCore.Authorization;
using Provenance.Api.EventStore;
using Provenance.Api.Http;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Documents;

public sealed record HistoryItem(
    long Version, long Sequence, string Type, int Revision, string? Language, string Actor, DateTimeOffset Timestamp, string? Reason,
    string? CorrelationId, string? ContentDigest, string? MediaType, long? Size, string? Method, string? Verdict, string? ClaimQuote,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    ImportedFrom? ImportedFrom = null)
{
    public static HistoryItem From(EventFacts f) => new(f.Version, f.Sequence, f.Type, f.Revision, f.Language, f.Actor, f.Timestamp, f.Reason,
        f.CorrelationId, f.ContentDigest, f.MediaType, f.Size, f.Method, f.Verdict, f.ClaimQuote, f.ImportedFrom);
}

public sealed record HistoryPage(Guid DocumentId, IReadOnlyList<HistoryItem> Items, string? NextCursor);

public static class HistoryEndpoint
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>Every event of the document in stream order; <c>after</c> is the previous page's <c>nextCursor</c>.</summary>
    [WolverineGet("/api/documents/{id}/history", OperationId = "getHistory"), Authorize]
    [Tags(ApiTags.Documents), EndpointSummary("Read a document's history, event by event")]
    [ProducesResponseType<HistoryPage>(200, "application/json"), ResponseHeaders(200, "Link"), ProblemResponses(404, 422)]
    public static async Task<IResult> Get(Guid id, string? after, int? limit, string? type, HttpContext context, IQuerySession session,
        DocumentRecords records)
    {
        if (await session.LoadAsync<DocumentView>(id, context.RequestAborted) is { } withdrawn
            && ErasedReads.Withdrawn(withdrawn, context.User, context.Response) is { } unavailable) return unavailable;
        var errors = new FieldErrors();
        var size = limit ?? DefaultLimit;
        if (size is < 1 or > MaxLimit) errors.Add("limit", $"'limit' must be between 1 and {MaxLimit}.");
        long from = 0;
        if (after is not null)
        {
            if (Cursors.Decode(after) is { } position) from = position;
            else errors.Add("after", "'after' is not a cursor this API issued.");
        }
        var types = ParseTypes(type, records.Names, errors);
        if (errors.Any) return Problems.Invalid(errors);

        var ct = context.RequestAborted;
        if (!await DocumentExistsAsync(session, id, ct)) return Problems.DocumentNotFound(id);

        var rows = await records.HistoryAsync(id, from, size + 1, types, ct);
        var page = rows.Take(size).ToList();
        var next = rows.Count > size ? Cursors.Encode(page[^1].Version) : null;
        if (next is not null) context.Response.Headers.Link = $"<{Paging.NextLink(context.Request, "after", next)}>; rel=\"next\"";
        return Results.Ok(new HistoryPage(id, page.Select(HistoryItem.From).ToList(), next));
    }

    /// <summary>A comma list of event type names, or null for all; unknown names are field errors.</summary>
    public static string[]? ParseTypes(string? type, EventTypeNames names, FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(type)) return null;
        var known = DocumentEventTypes.All.Select(names.Of).ToHashSet(StringComparer.Ordinal);
        var types = type.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var unknown in types.Where(t => !known.Contains(t)))
        {
            errors.Add("type", $"'{unknown}' is not an event type; use one of: {string.Join(", ", known.Order(StringComparer.Ordinal))}.");
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
