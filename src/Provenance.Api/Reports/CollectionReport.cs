using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Audit;
using Provenance.Api.Http;
using Provenance.Api.Ledger;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Reports;

/// <summary>The half-open period [From, To) of a collection report.</summary>
public sealed record ReportPeriod(DateTimeOffset From, DateTimeOffset To);

/// <summary>A collection report format: JSON Lines of per-document reports, or the CSV event table of the period.</summary>
public sealed record CollectionFormat(string Name, string MediaType, string ContentType, string Extension);

/// <summary>
/// The provenance of every document touched in a period, produced one document at a time so it is never held in memory. The bytes
/// depend only on the period and the stored events: each document's report covers its events before <c>To</c>, is generated "at"
/// <c>To</c>, and is proved against the first checkpoint that covers those events (the latest one while none does yet).
/// </summary>
public sealed class CollectionReports(LedgerDatabase ledger, ProvenanceReports reports, DocumentProofs proofs, CheckpointWriter checkpoints)
{
    public static readonly CollectionFormat JsonLines = new("json", "application/x-ndjson", "application/x-ndjson; charset=utf-8", "ndjson");
    public static readonly CollectionFormat Csv = new("csv", CsvReport.MediaType, "text/csv; charset=utf-8; header=present", "csv");
    public static readonly IReadOnlyList<CollectionFormat> Formats = [JsonLines, Csv];

    const int DocumentPage = 100;

    static readonly JsonSerializerOptions LineJson = new(JsonReport.Options) { WriteIndented = false };

    /// <summary>
    /// The documents with an audit-log event in the period, in the order of their first such event, keyset-paged by that event's
    /// sequence (the audit log's <c>timestamp</c> column is indexed). Plain SQL on Marten's audit-entry table: a keyset page over
    /// <c>group by … having min(id) &gt; $3</c> is not expressible in Marten's LINQ, which would have to read every entry of the period.
    /// </summary>
    public async IAsyncEnumerable<Guid> DocumentsAsync(ReportPeriod period, [EnumeratorCancellation] CancellationToken ct)
    {
        long after = 0;
        while (true)
        {
            await using var command = ledger.DataSource.CreateCommand(
                $"select document_id, min(id) as first from {ledger.Schema}.mt_doc_auditentry where timestamp >= $1 and timestamp < $2 " +
                "group by document_id having min(id) > $3 order by first limit $4");
            command.Parameters.Add(new NpgsqlParameter { Value = period.From });
            command.Parameters.Add(new NpgsqlParameter { Value = period.To });
            command.Parameters.Add(new NpgsqlParameter { Value = after });
            command.Parameters.Add(new NpgsqlParameter { Value = DocumentPage });
            var page = new List<(Guid Id, long First)>(DocumentPage);
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) page.Add((reader.GetGuid(0), reader.GetInt64(1)));
            }
            foreach (var (id, _) in page) yield return id;
            if (page.Count < DocumentPage) yield break;
            after = page[^1].First;
        }
    }

    /// <summary>Null when the ledger has reached every audit-log event before <c>To</c>; else the problem to answer with.</summary>
    public async Task<IResult?> NotReadyAsync(ReportPeriod period, CancellationToken ct)
    {
        if (await checkpoints.LatestAsync(ct) is null) return Problems.Result(Problems.NoCheckpoint, "No checkpoint has been signed yet.");
        // Plain SQL beside DocumentsAsync's: coalesce(max(id), 0) is 0 for an empty period, where LINQ's MaxAsync has no row to read.
        await using var command = ledger.DataSource.CreateCommand(
            $"select coalesce(max(id), 0) from {ledger.Schema}.mt_doc_auditentry where timestamp < $1");
        command.Parameters.Add(new NpgsqlParameter { Value = period.To });
        var last = (long)(await command.ExecuteScalarAsync(ct))!;
        var (_, ledgered) = await ledger.TreeStateAsync(ct);
        return last <= ledgered
            ? null
            : Problems.Result(Problems.LedgerBehind, $"The ledger has reached sequence {ledgered}, not yet {last}, the last event before 'to'. Try again shortly.");
    }

    /// <summary>
    /// The report, as chunks of bytes, one per document (the first with the CSV header in front, so the response can wait for the first
    /// document to be proved). Throws <see cref="LedgerMismatchException"/> at the first document whose events fail their <see cref="LeafCheck"/>.
    /// </summary>
    public async IAsyncEnumerable<byte[]> RenderAsync(ReportPeriod period, CollectionFormat format, [EnumeratorCancellation] CancellationToken ct)
    {
        byte[] header = format == Csv ? Encoding.UTF8.GetBytes(CsvFormat.Row(CsvReport.Header)) : [];
        await foreach (var id in DocumentsAsync(period, ct))
        {
            var report = await ReportAsync(id, period, ct);
            if (report is null) continue;
            byte[] chunk = format == Csv ? CsvRows(report, period) : [.. JsonSerializer.SerializeToUtf8Bytes(report, LineJson), (byte)'\n'];
            yield return header.Length == 0 ? chunk : [.. header, .. chunk];
            header = [];
        }
        if (header.Length > 0) yield return header;
    }

    /// <summary>One document's report of the period (its events before <c>To</c>), or null when it has none in the ledger.</summary>
    public async Task<ProvenanceReport?> ReportAsync(Guid id, ReportPeriod period, CancellationToken ct)
    {
        var stored = await reports.EventsOfAsync(id, ct);
        var events = stored.Where(e => e.Timestamp < period.To).ToList();
        if (events.Count == 0 || events[0].Type != reports.Names.Of<Documents.DocumentIngested>()) return null;
        var allLeaves = await ledger.LeavesOfStreamAsync(id, ct);
        var last = events.Max(e => e.Version);
        if (LeafCheck.Compare(stored, allLeaves, reports.Names).FirstOrDefault(m => m.Version <= last) is { } mismatch)
        {
            throw new LedgerMismatchException(mismatch);
        }
        var sequences = events.Select(e => e.Sequence).ToHashSet();
        var leaves = allLeaves.Where(l => sequences.Contains(l.Sequence)).ToList();
        if (leaves.Count == 0) return null;
        var checkpoint = await checkpoints.EarliestCoveringAsync(leaves.Max(l => l.LeafIndex) + 1, ct) ?? await checkpoints.LatestAsync(ct);
        var proof = await proofs.AgainstAsync(id, leaves, checkpoint!, ct);
        return await reports.DescribeAgentsAsync(ProvenanceReports.Build(events, proof, period.To, reports.Names), ct);
    }

    static byte[] CsvRows(ProvenanceReport report, ReportPeriod period)
    {
        var leaves = report.Integrity.Events.ToDictionary(e => e.Sequence);
        var text = new StringBuilder();
        foreach (var e in report.Events.Where(e => e.Timestamp >= period.From))
        {
            leaves.TryGetValue(e.Sequence, out var leaf);
            CsvReport.AppendRow(text, CsvReport.Row(report.Document.Id, e, leaf?.LeafIndex, leaf?.LeafHash));
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>The period and format of a request, or the problem with them: bad or missing times and from ≥ to are 422, unknown formats 406.</summary>
    public static (ReportPeriod? Period, CollectionFormat? Format, IResult? Problem) Parse(HttpRequest request, string? from, string? to, string? format)
    {
        var chosen = Negotiate(request, format);
        if (chosen is null)
        {
            return (null, null, Problems.Result(Problems.NotAcceptable,
                $"Ask for one of: {string.Join(", ", Formats.Select(f => $"{f.MediaType} (format={f.Name})"))}.",
                extensions: new Dictionary<string, object?> { ["formats"] = Formats.Select(f => f.Name).ToArray() }));
        }
        var errors = new FieldErrors();
        if (from is null) errors.Add("from", "'from' is required: the start of the period, an RFC 3339 date-time.");
        if (to is null) errors.Add("to", "'to' is required: the end of the period (excluded), an RFC 3339 date-time.");
        var start = AuditLogEndpoint.Instant("from", from, errors);
        var end = AuditLogEndpoint.Instant("to", to, errors);
        if (start is { } s && end is { } e && s >= e) errors.Add("to", "'to' must be later than 'from'.");
        return errors.Any ? (null, null, Problems.Invalid(errors)) : (new ReportPeriod(start!.Value, end!.Value), chosen, null);
    }

    static CollectionFormat? Negotiate(HttpRequest request, string? format)
    {
        if (!string.IsNullOrEmpty(format)) return Formats.FirstOrDefault(f => string.Equals(f.Name, format, StringComparison.OrdinalIgnoreCase));
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0) return JsonLines;
        foreach (var range in accept.Where(a => a.Quality is not 0).OrderByDescending(a => a.Quality ?? 1))
        {
            var type = range.MediaType.Value ?? "";
            if (type is "*/*") return JsonLines;
            var match = Formats.FirstOrDefault(f => f.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase));
            if (match is not null) return match;
        }
        return null;
    }
}

public static class CollectionReportEndpoints
{
    /// <summary>
    /// Every document touched in [<c>from</c>, <c>to</c>): JSON Lines of per-document reports, or the period's event rows as CSV. Streamed;
    /// the bytes are hashed as they go and the detached signature follows as the <c>Provenance-Signature</c> trailer where the
    /// protocol carries trailers (HTTP/2, HTTP/3, chunked HTTP/1.1 clients that send <c>TE: trailers</c>). For a closed period,
    /// <c>GET /api/reports/provenance.sig</c> returns the same signature. A document whose events fail their leaf check stops the
    /// report: a <c>ledger-mismatch</c> problem when it is the first (nothing was sent), else an aborted response with no signature.
    /// </summary>
    [WolverineGet("/api/reports/provenance", OperationId = "getCollectionReport"), Authorize(Roles = Roles.Auditor)]
    [Tags(ApiTags.Reports), EndpointSummary("The provenance of every document touched in a period, streamed")]
    [ProducesResponseType<string>(200, "application/x-ndjson", "text/csv"), ResponseHeaders(200, "Vary"), ProblemResponses(404, 406, 422, 503)]
    public static async Task<IResult> Get(string? from, string? to, string? format, HttpContext http, CollectionReports reports, LedgerKeyring keyring,
        CancellationToken ct)
    {
        http.Response.Headers.Vary = HeaderNames.Accept;
        var (period, chosen, problem) = CollectionReports.Parse(http.Request, from, to, format);
        if (problem is not null) return problem;
        if (await reports.NotReadyAsync(period!, ct) is { } notReady) return notReady;
        return new StreamedReport(reports, keyring, period!, chosen!);
    }

    /// <summary>The detached signature of the collection report of a closed period (<c>to</c> not after now), regenerated and hashed, never stored.</summary>
    [WolverineGet("/api/reports/provenance.sig", OperationId = "getCollectionReportSignature"), Authorize(Roles = Roles.Auditor)]
    [Tags(ApiTags.Reports), EndpointSummary("The detached signature of a collection report")]
    [ProducesResponseType<string>(200, "text/plain"), ProblemResponses(404, 406, 422, 503)]
    public static async Task<IResult> GetSignature(string? from, string? to, string? format, HttpContext http, CollectionReports reports,
        LedgerKeyring keyring, TimeProvider time, CancellationToken ct)
    {
        var (period, chosen, problem) = CollectionReports.Parse(http.Request, from, to, format ?? CollectionReports.JsonLines.Name);
        if (problem is not null) return problem;
        if (period!.To > time.GetUtcNow())
        {
            return Problems.Invalid(new FieldErrors().Add("to",
                "'to' is in the future: the period is still open, so its report can still change. Read the trailer of the streamed report instead."));
        }
        if (await reports.NotReadyAsync(period, ct) is { } notReady) return notReady;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await foreach (var chunk in reports.RenderAsync(period, chosen!, ct)) hash.AppendData(chunk);
        var signer = await keyring.SignerAsync(ct);
        return Results.Text(signer.SignDetachedDigest(hash.GetHashAndReset()) + "\n", "text/plain", Encoding.ASCII);
    }

    sealed class StreamedReport(CollectionReports reports, LedgerKeyring keyring, ReportPeriod period, CollectionFormat format) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            var ct = http.RequestAborted;
            var response = http.Response;
            response.ContentType = format.ContentType;
            response.Headers.ContentDisposition =
                $"inline; filename=\"provenance-{period.From.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{period.To.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.{format.Extension}\"";
            var trailers = response.SupportsTrailers();
            if (trailers) response.DeclareTrailer(ProvenanceReportEndpoint.SignatureHeader);
            // Without trailers (HTTP/1.1 to a client that did not send TE: trailers, test servers) only the sidecar carries the signature.
            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await foreach (var chunk in reports.RenderAsync(period, format, ct))
            {
                hash.AppendData(chunk);
                await response.Body.WriteAsync(chunk, ct);
            }
            var digest = hash.GetHashAndReset();
            if (trailers)
            {
                var signer = await keyring.SignerAsync(ct);
                response.AppendTrailer(ProvenanceReportEndpoint.SignatureHeader, signer.SignDetachedDigest(digest).ToString());
            }
        }
    }
}
