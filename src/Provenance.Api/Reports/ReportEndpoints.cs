using Microsoft.AspNetCore.Authorization;
using Microsoft.Net.Http.Headers;
using Provenance.Api.Access;
using Provenance.Api.Http;
using Provenance.Api.Ledger;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Reports;

/// <summary>One export format: its <c>format</c> query name, the media type it answers to, the Content-Type it sends and its renderer.</summary>
public sealed record ReportFormat(string Name, string MediaType, string ContentType, string Extension, Func<ProvenanceReport, byte[]> Render);

public static class ReportFormats
{
    public const string ProvJsonProfile = "http://www.w3.org/Submission/prov-json/";

    public static readonly ReportFormat Json = new("json", JsonReport.MediaType, "application/json; charset=utf-8", "json", JsonReport.Render);
    public static readonly ReportFormat ProvJson = new("prov-json", "application/json", $"application/json; profile=\"{ProvJsonProfile}\"; charset=utf-8",
        "prov.json", ProvJsonReport.Render);
    public static readonly ReportFormat Turtle = new("turtle", "text/turtle", "text/turtle; charset=utf-8", "ttl", ProvTurtleReport.Render);
    public static readonly ReportFormat JsonLd = new("jsonld", "application/ld+json", "application/ld+json; charset=utf-8", "jsonld", ProvJsonLdReport.Render);
    public static readonly ReportFormat Premis = new("premis", "application/xml", "application/xml; charset=utf-8", "premis.xml", PremisReport.Render);
    public static readonly ReportFormat Csv = new("csv", CsvReport.MediaType, "text/csv; charset=utf-8; header=present", "csv", CsvReport.Render);
    public static readonly ReportFormat Pdf = new("pdf", PdfReport.MediaType, PdfReport.MediaType, "pdf", PdfReport.Render);

    public static readonly IReadOnlyList<ReportFormat> All = [Json, ProvJson, Turtle, JsonLd, Premis, Csv, Pdf];

    /// <summary>The <c>format</c> parameter wins; else the acceptable media type with the highest quality; no Accept (or */*) means our JSON.</summary>
    public static ReportFormat? Negotiate(HttpRequest request, string? format, IReadOnlyList<ReportFormat> offered)
    {
        if (!string.IsNullOrEmpty(format)) return offered.FirstOrDefault(f => string.Equals(f.Name, format, StringComparison.OrdinalIgnoreCase));
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0) return offered[0];
        foreach (var range in accept.Where(a => a.Quality is not 0).OrderByDescending(a => a.Quality ?? 1))
        {
            var type = range.MediaType.Value ?? "";
            if (type is "*/*") return offered[0];
            var profile = range.Parameters.FirstOrDefault(p => p.Name.Equals("profile", StringComparison.OrdinalIgnoreCase))?.Value.Value?.Trim('"');
            if (type.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            {
                var wanted = profile == ProvJsonProfile ? ProvJson : profile is null ? Json : null;
                if (wanted is not null && offered.Contains(wanted)) return wanted;
                continue;
            }
            if (type.Equals("text/xml", StringComparison.OrdinalIgnoreCase)) type = "application/xml";
            var match = offered.FirstOrDefault(f => f != ProvJson && f.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase));
            if (match is not null) return match;
        }
        return null;
    }

    public static IResult NotAcceptable(IReadOnlyList<ReportFormat> offered) => Problems.Result(Problems.NotAcceptable,
        $"Ask for one of: {string.Join(", ", offered.Select(f => $"{f.ContentType.Split(';')[0]} (format={f.Name})"))}.",
        extensions: new Dictionary<string, object?> { ["formats"] = offered.Select(f => f.Name).ToArray() });
}

public static class ProvenanceReportEndpoint
{
    public const string SignatureHeader = "Provenance-Signature";

    /// <summary>
    /// The provenance report of one document in the negotiated format, with a detached Ed25519 signature over its exact bytes
    /// (ledger key) in the <c>Provenance-Signature</c> header.
    /// </summary>
    [WolverineGet("/api/documents/{id}/provenance", OperationId = "getProvenanceReport"), Authorize(Roles = Roles.Auditor)]
    [Tags(ApiTags.Reports), EndpointSummary("A document's signed provenance report")]
    [ProducesResponseType<ProvenanceReport>(200, "application/json", "application/ld+json", "text/turtle", "application/xml", "text/csv", "application/pdf")]
    [ResponseHeaders(200, SignatureHeader, "Content-Disposition", "Vary"), ProblemResponses(404, 406, 500, 503), ResponseHeaders(503, "Retry-After")]
    public static async Task<IResult> Get(Guid id, string? format, HttpContext http, ProvenanceReports reports, LedgerKeyring keyring, CancellationToken ct)
    {
        http.Response.Headers.Vary = HeaderNames.Accept;
        var chosen = ReportFormats.Negotiate(http.Request, format, ReportFormats.All);
        if (chosen is null) return ReportFormats.NotAcceptable(ReportFormats.All);

        var (report, problem) = await reports.ForDocumentAsync(id, ct);
        if (report is null)
        {
            if (problem is IStatusCodeHttpResult { StatusCode: StatusCodes.Status503ServiceUnavailable }) http.Response.Headers.RetryAfter = "1";
            return problem!;
        }
        var bytes = chosen.Render(report);
        var signer = await keyring.SignerAsync(ct);
        http.Response.Headers[SignatureHeader] = signer.SignDetached(bytes).ToString();
        http.Response.Headers.ContentDisposition = $"inline; filename=\"provenance-{id}.{chosen.Extension}\"";
        return Results.Bytes(bytes, chosen.ContentType);
    }
}
