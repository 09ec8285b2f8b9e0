using System.Buffers.Text;
using System.Text;
using Marten;
using Marten.Linq.MatchesSql;
using Microsoft.AspNetCore.Authorization;
using Provenance.Api.Http;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Documents;

/// <summary>What the list narrows by; every member optional and already validated.</summary>
/// <summary><c>IncludeWithdrawn</c>: whether withdrawn documents are listed (auditors and stewards only; others get 451 for them anyway).</summary>
public sealed record DocumentFilter(string? Language, string? Verdict, string? Title, DateTimeOffset? UpdatedSince, bool IncludeWithdrawn = true);

public sealed record DocumentPage(IReadOnlyList<DocumentResource> Items, string? NextCursor);

public static class ListDocumentsEndpoint
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>Newest first. <c>cursor</c> is opaque: pass back the <c>nextCursor</c> of the previous page.</summary>
    [WolverineGet("/api/documents", OperationId = "listDocuments"), Authorize]
    [Tags(ApiTags.Documents), EndpointSummary("List documents, newest first")]
    [ProducesResponseType<DocumentPage>(200, "application/json"), ResponseHeaders(200, "Link"), ProblemResponses(422)]
    public static async Task<IResult> Get(string? cursor, int? limit, string? language, string? verdict, string? q, HttpContext context,
        IQuerySession session)
    {
        var errors = new FieldErrors();
        var size = limit ?? DefaultLimit;
        if (size is < 1 or > MaxLimit) errors.Add("limit", $"'limit' must be between 1 and {MaxLimit}.");
        ListPosition? after = null;
        if (cursor is not null)
        {
            if (ListPosition.Decode(cursor) is { } position) after = position;
            else errors.Add("cursor", "'cursor' is not a cursor this API issued.");
        }
        if (verdict is not null && !Verdicts.All.Contains(verdict)) errors.Add("verdict", $"'verdict' must be one of: {string.Join(", ", Verdicts.All)}.");
        if (language is not null && Languages.Parse(language).Error is { } languageError) errors.Add("language", languageError);
        errors.Optional("q", q, 200);
        if (errors.Any) return Problems.Invalid(errors);

        var (page, next) = await QueryAsync(session, new DocumentFilter(language, verdict, q, null, ErasedReads.SeesWithdrawn(context.User)), after, size,
            context.RequestAborted);
        if (next is not null)
        {
            context.Response.Headers.Link = $"<{NextLink(context.Request, next)}>; rel=\"next\"";
        }
        return Results.Ok(new DocumentPage(page.Select(DocumentResource.From).ToList(), next));
    }

    /// <summary>One page of views, newest first, created before <paramref name="after"/>; the cursor of the next page or null.</summary>
    public static async Task<(IReadOnlyList<DocumentView> Page, string? Next)> QueryAsync(IQuerySession session, DocumentFilter filter,
        ListPosition? after, int size, CancellationToken ct)
    {
        IQueryable<DocumentView> query = session.Query<DocumentView>();
        // Newest first, ties (one clock tick) broken by id: a keyset over the duplicated created_at column and the primary key.
        if (after is { } before) query = query.Where(d => d.MatchesSql("(d.created_at, d.id) < (?, ?)", before.CreatedAt, before.Id));
        if (filter.Language is { } language)
        {
            var prefix = language + "-";
            query = query.Where(d => d.Language.Equals(language, StringComparison.OrdinalIgnoreCase)
                                     || d.Language.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
        }
        if (filter.Verdict is { } verdict) query = query.Where(d => d.Verdicts.Contains(verdict));
        if (!string.IsNullOrWhiteSpace(filter.Title))
        {
            var title = filter.Title.Trim();
            query = query.Where(d => d.Title.Contains(title, StringComparison.OrdinalIgnoreCase));
        }
        if (filter.UpdatedSince is { } since) query = query.Where(d => d.UpdatedAt >= since);
        if (!filter.IncludeWithdrawn) query = query.Where(d => d.Withdrawal == null);

        var rows = await query.OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id).Take(size + 1).ToListAsync(ct);
        var page = rows.Take(size).ToList();
        return (page, rows.Count > size ? new ListPosition(page[^1].CreatedAt, page[^1].Id).Encode() : null);
    }

    private static string NextLink(HttpRequest request, string next)
    {
        var query = request.Query.Where(p => p.Key != "cursor").Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value.ToString())}")
            .Append($"cursor={next}");
        return $"{request.Path}?{string.Join('&', query)}";
    }
}

/// <summary>Where a page of the document list ends: the last view's creation time and id (opaque and URL-safe to clients).</summary>
public sealed record ListPosition(DateTimeOffset CreatedAt, Guid Id)
{
    public string Encode() => Base64Url.EncodeToString(Encoding.ASCII.GetBytes($"c{CreatedAt.UtcTicks}:{Id:N}"));

    public static ListPosition? Decode(string cursor)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor));
            var colon = text.IndexOf(':');
            return text.StartsWith('c') && colon > 1
                   && long.TryParse(text.AsSpan(1, colon - 1), System.Globalization.NumberStyles.None, null, out var ticks)
                   && ticks is >= 0 and <= 3155378975999999999 && Guid.TryParseExact(text.AsSpan(colon + 1), "N", out var id)
                ? new ListPosition(new DateTimeOffset(ticks, TimeSpan.Zero), id)
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>Opaque, URL-safe cursors over a global position (a sequence number).</summary>
public static class Cursors
{
    public static string Encode(long position) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes("p" + position));

    public static long? Decode(string cursor)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor));
            return text.StartsWith('p') && long.TryParse(text.AsSpan(1), System.Globalization.NumberStyles.None, null, out var p) ? p : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
