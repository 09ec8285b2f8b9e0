using System.Buffers;
using System.Text;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Microsoft.AspNetCore.Authorization;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Http;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Audit;

/// <summary>One row of the cross-document audit log, keyed by the event's global sequence; written by the async daemon.</summary>
public sealed class AuditEntry : EventFacts
{
    public long Id { get; set; }
}

public sealed partial class AuditLogProjection : EventProjection
{
    public AuditEntry Create(IEvent<DocumentIngested> e) => Entry(e);
    public AuditEntry Create(IEvent<DocumentEdited> e) => Entry(e);
    public AuditEntry Create(IEvent<DocumentTranslated> e) => Entry(e);
    public AuditEntry Create(IEvent<DocumentVerified> e) => Entry(e);
    public AuditEntry Create(IEvent<DocumentRedacted> e) => Entry(e);
    public AuditEntry Create(IEvent<DocumentWithdrawn> e) => Entry(e);
    public AuditEntry Create(IEvent<DocumentReinstated> e) => Entry(e);
    public AuditEntry Create(IEvent<DocumentHeld> e) => Entry(e);
    public AuditEntry Create(IEvent<DocumentHoldReleased> e) => Entry(e);

    private static AuditEntry Entry(IEvent e)
    {
        var entry = new AuditEntry { Id = e.Sequence };
        entry.Fill(e);
        return entry;
    }
}

public sealed record AuditItem(
    long Sequence, DateTimeOffset Timestamp, string Type, Guid DocumentId, long Version, int Revision, string? Language, string Actor,
    string? Reason, string? CorrelationId, string? ContentDigest, string? Verdict)
{
    public static AuditItem From(AuditEntry e) => new(e.Sequence, e.Timestamp, e.Type, e.DocumentId, e.Version, e.Revision, e.Language, e.Actor,
        e.Reason, e.CorrelationId, e.ContentDigest, e.Verdict);

    public static readonly string[] CsvHeader =
        ["sequence", "timestamp", "type", "documentId", "version", "revision", "language", "actor", "reason", "correlationId", "contentDigest", "verdict"];

    public IEnumerable<string?> CsvFields() =>
    [
        Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"), Type,
        DocumentId.ToString(), Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Revision.ToString(System.Globalization.CultureInfo.InvariantCulture), Language, Actor, Reason, CorrelationId, ContentDigest, Verdict,
    ];
}

public sealed record AuditPage(IReadOnlyList<AuditItem> Items, string? NextCursor);

public sealed record AuditFilter(string? Actor, string[]? Types, Guid? Document, DateTimeOffset? From, DateTimeOffset? To, long After)
{
    public IQueryable<AuditEntry> Apply(IQueryable<AuditEntry> query, long after)
    {
        query = query.Where(e => e.Id > after);
        if (Actor is not null) query = query.Where(e => e.Actor == Actor);
        if (Types is not null) query = query.Where(e => e.Type.IsOneOf(Types));
        if (Document is { } document) query = query.Where(e => e.DocumentId == document);
        if (From is { } from) query = query.Where(e => e.Timestamp >= from);
        if (To is { } to) query = query.Where(e => e.Timestamp < to);
        return query.OrderBy(e => e.Id);
    }
}

public static class AuditLogEndpoint
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
    public const string Csv = "text/csv";
    private const int CsvBatch = 1000;

    /// <summary>
    /// Every event of every document in ledger order, filtered by <c>actor</c>, <c>type</c> (comma list), <c>document</c> and the
    /// time range [<c>from</c>, <c>to</c>); JSON pages, or with <c>Accept: text/csv</c> every matching row as RFC 4180 CSV.
    /// </summary>
    [WolverineGet("/api/audit", OperationId = "getAuditLog"), Authorize(Roles = Roles.Auditor)]
    [Tags(ApiTags.Audit), EndpointSummary("The audit log across documents (JSON pages, or CSV with Accept: text/csv)")]
    [ProducesResponseType<AuditPage>(200, "application/json", "text/csv"), ResponseHeaders(200, "Link", "Vary"), ProblemResponses(422)]
    public static async Task<IResult> Get(string? actor, string? type, string? document, string? from, string? to, string? after, int? limit,
        HttpContext context, IQuerySession session, EventStore.EventTypeNames names)
    {
        var errors = new FieldErrors();
        var csv = Negotiation.Choose(context.Request, "application/json", Csv) == Csv;
        var size = limit ?? (csv ? int.MaxValue : DefaultLimit);
        if (limit is < 1 or > MaxLimit) errors.Add("limit", $"'limit' must be between 1 and {MaxLimit}.");
        long position = 0;
        if (after is not null)
        {
            if (Cursors.Decode(after) is { } p) position = p;
            else errors.Add("after", "'after' is not a cursor this API issued.");
        }
        var types = HistoryEndpoint.ParseTypes(type, names, errors);
        var fromInstant = Instant("from", from, errors);
        var toInstant = Instant("to", to, errors);
        errors.Optional("actor", actor, 200);
        Guid? documentId = null;
        if (document is not null)
        {
            if (Guid.TryParse(document, out var parsed)) documentId = parsed;
            else errors.Add("document", "'document' must be a document id (a UUID).");
        }
        if (errors.Any) return Problems.Invalid(errors);

        var filter = new AuditFilter(string.IsNullOrWhiteSpace(actor) ? null : actor.Trim(), types, documentId, fromInstant, toInstant, position);
        context.Response.Headers.Vary = "Accept";
        if (csv) return CsvExport(session, filter, size);

        var rows = await filter.Apply(session.Query<AuditEntry>(), position).Take(size + 1).ToListAsync(context.RequestAborted);
        var page = rows.Take(size).ToList();
        var next = rows.Count > size ? Cursors.Encode(page[^1].Id) : null;
        if (next is not null) context.Response.Headers.Link = $"<{Paging.NextLink(context.Request, "after", next)}>; rel=\"next\"";
        return Results.Ok(new AuditPage(page.Select(AuditItem.From).ToList(), next));
    }

    /// <summary>Every row matching <paramref name="filter"/> (at most <paramref name="limit"/>) as streamed RFC 4180 CSV.</summary>
    public static IResult CsvExport(IQuerySession session, AuditFilter filter, int limit = int.MaxValue) => new CsvResult(session, filter, limit);

    public static DateTimeOffset? Instant(string name, string? value, FieldErrors errors)
    {
        if (value is null) return null;
        var instant = TimeTravel.ParseRfc3339(value);
        if (instant is null) errors.Add(name, $"'{name}' must be an RFC 3339 date-time, for example 2026-01-15T09:30:00Z.");
        return instant;
    }

    /// <summary>Streams the rows in keyset batches, so an export of the whole log never sits in memory.</summary>
    private sealed class CsvResult(IQuerySession session, AuditFilter filter, int limit) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var ct = context.RequestAborted;
            context.Response.ContentType = "text/csv; charset=utf-8; header=present";
            await using var writer = new StreamWriter(context.Response.Body, new UTF8Encoding(false), 64 * 1024);
            await writer.WriteAsync(CsvFormat.Row(AuditItem.CsvHeader));
            var position = filter.After;
            var remaining = limit;
            while (remaining > 0)
            {
                var batch = await filter.Apply(session.Query<AuditEntry>(), position).Take(Math.Min(CsvBatch, remaining)).ToListAsync(ct);
                foreach (var entry in batch) await writer.WriteAsync(CsvFormat.Row(AuditItem.From(entry).CsvFields()));
                await writer.FlushAsync(ct);
                if (batch.Count < Math.Min(CsvBatch, remaining)) break;
                position = batch[^1].Id;
                remaining -= batch.Count;
            }
        }
    }
}

/// <summary>
/// RFC 4180: CRLF line breaks; fields with a comma, quote or line break are quoted, quotes doubled. Every CSV the ledger writes
/// goes through <see cref="Field"/>, so a typed value a spreadsheet would evaluate (OWASP "CSV injection": a cell starting with
/// <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, TAB or CR) arrives as text behind a leading <c>'</c>.
/// </summary>
public static class CsvFormat
{
    /// <summary>What makes a spreadsheet read a cell as a formula. Our numbers never start with one: sequences, versions and sizes are never negative.</summary>
    public static readonly SearchValues<char> FormulaStarts = SearchValues.Create("=+-@\t\r");

    static readonly SearchValues<char> NeedsQuotes = SearchValues.Create(",\"\r\n");

    public static string Row(IEnumerable<string?> fields) => string.Join(',', fields.Select(Field)) + "\r\n";

    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (FormulaStarts.Contains(value[0])) value = "'" + value;
        return value.AsSpan().ContainsAny(NeedsQuotes) ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
