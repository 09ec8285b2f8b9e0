using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Http;
using Provenance.Api.Ledger;
using Provenance.Api.Reports;
using Provenance.Ledger;
using Wolverine.Http;

namespace Provenance.Api.Packages;

/// <summary>
/// BagIt packages of documents: every revision's content and every translation under <c>data/</c>, the document's provenance (the JSON
/// report with its proofs and its own signature, PREMIS, PROV-JSON, the signed checkpoint, one tlog-proof per event) as tag files.
/// Content is copied from the store one file at a time, never held whole.
/// </summary>
public sealed class DocumentPackages(ContentStore contents, LedgerKeyring keyring)
{
    public const string ProvenanceFolder = "provenance";

    public static readonly string SoftwareAgent =
        $"Provenance {typeof(DocumentPackages).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0"}";

    /// <summary>The payload and tag files of one document; <paramref name="prefix"/> is empty in a document's bag, <c>{id}/</c> in a collection's.</summary>
    public async Task WriteAsync(BagWriter bag, ProvenanceReport report, string prefix, LedgerSigner signer, CancellationToken ct)
    {
        foreach (var (path, digest, size) in PayloadOf(report, prefix))
        {
            await bag.PayloadAsync(path, size, async (stream, c) =>
            {
                if (!await contents.CopyToAsync(digest, stream, c)) throw new InvalidOperationException($"Content {digest} is missing from the store.");
            }, ct);
        }
        var folder = $"{ProvenanceFolder}/{prefix}";
        var json = ReportFormats.Json.Render(report);
        await bag.TagAsync(folder + "report.json", json, ct);
        await bag.TagAsync(folder + "report.json.sig", Encoding.ASCII.GetBytes(signer.SignDetached(json) + "\n"), ct);
        await bag.TagAsync(folder + "premis.xml", ReportFormats.Premis.Render(report), ct);
        await bag.TagAsync(folder + "prov.json", ReportFormats.ProvJson.Render(report), ct);
        await bag.TagAsync(folder + "checkpoint", Encoding.UTF8.GetBytes(report.Integrity.Checkpoint), ct);
        foreach (var e in report.Integrity.Events.Where(e => e.TlogProof is not null))
        {
            await bag.TagAsync($"{folder}tlog-proofs/event-{e.Version.ToString("0000", CultureInfo.InvariantCulture)}.tlog-proof",
                Encoding.UTF8.GetBytes(e.TlogProof!), ct);
        }
    }

    /// <summary>
    /// Stable, readable payload names: <c>data/revisions/revision-0001.txt</c>, <c>data/translations/fr-CA/revision-0001.txt</c> (a second
    /// translation of the same revision into the same language: <c>revision-0001-2.txt</c>). No name comes from a title; a language tag
    /// is reduced to letters, digits and hyphens.
    /// </summary>
    public static IEnumerable<(string Path, string Digest, long Size)> PayloadOf(ProvenanceReport report, string prefix)
    {
        // Erased content is not in the package (its report says what was erased, when and under which basis).
        var erased = ErasedVersions(report);
        var versionOf = report.Events.ToDictionary(e => e.Sequence, e => e.Version);
        foreach (var r in report.Revisions)
        {
            if (erased.Contains(versionOf.GetValueOrDefault(r.Sequence))) continue;
            yield return ($"data/{prefix}revisions/revision-{r.Revision.ToString("0000", CultureInfo.InvariantCulture)}{ServedContent.Extension(r.MediaType)}",
                r.ContentDigest, r.Size);
        }
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var t in report.Translations)
        {
            if (erased.Contains(versionOf.GetValueOrDefault(t.Sequence))) continue;
            var stem = $"data/{prefix}translations/{BagWriter.SafeSegment(t.Language, "und")}/revision-{t.SourceRevision.ToString("0000", CultureInfo.InvariantCulture)}";
            var name = stem;
            for (var n = 2; !used.Add(name); n++) name = $"{stem}-{n}";
            yield return (name + ServedContent.Extension(t.MediaType), t.ContentDigest, t.Size);
        }
    }

    /// <summary>The stream versions whose content a <c>DocumentRedacted</c> event of the report erased.</summary>
    static HashSet<long> ErasedVersions(ProvenanceReport report)
    {
        var versions = new HashSet<long>();
        foreach (var e in report.Events.Where(e => e.Kind == nameof(DocumentRedacted)))
        {
            foreach (var list in (string[])["revisions", "translations"])
            {
                if (!e.Data.TryGetProperty(list, out var items) || items.ValueKind != System.Text.Json.JsonValueKind.Array) continue;
                foreach (var item in items.EnumerateArray())
                {
                    if (item.TryGetProperty("version", out var v) && v.TryGetInt64(out var version)) versions.Add(version);
                }
            }
        }
        return versions;
    }

    public async Task<LedgerSigner> SignerAsync(CancellationToken ct) => await keyring.SignerAsync(ct);

    public string Origin => keyring.Origin;
}

public static class PackageEndpoints
{
    public const string Tag = "Preservation packages";
    public const string BagIt = "bagit";

    static readonly string[] Offered = [PackageArchive.ZipMediaType, PackageArchive.TarMediaType];

    /// <summary>The archive the request asks for: <c>format=bagit</c> (the default and only format), ZIP unless <c>Accept</c> prefers TAR.</summary>
    public static (string? MediaType, IResult? Problem) Negotiate(HttpRequest request, string? format)
    {
        if (format is not null && !string.Equals(format, BagIt, StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.Result(Problems.NotAcceptable, $"Packages are made in one format: format={BagIt} (a .zip, or a .tar with Accept: {PackageArchive.TarMediaType}).",
                extensions: new Dictionary<string, object?> { ["formats"] = new[] { BagIt } }));
        }
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0) return (PackageArchive.ZipMediaType, null);
        foreach (var range in accept.Where(a => a.Quality is not 0).OrderByDescending(a => a.Quality ?? 1))
        {
            var type = range.MediaType.Value ?? "";
            if (type is "*/*" or "application/*") return (PackageArchive.ZipMediaType, null);
            if (type.Equals("application/tar", StringComparison.OrdinalIgnoreCase)) return (PackageArchive.TarMediaType, null);
            if (Offered.FirstOrDefault(o => o.Equals(type, StringComparison.OrdinalIgnoreCase)) is { } offered) return (offered, null);
        }
        return (null, Problems.Result(Problems.NotAcceptable, $"Ask for {PackageArchive.ZipMediaType} or {PackageArchive.TarMediaType}.",
            extensions: new Dictionary<string, object?> { ["formats"] = new[] { BagIt } }));
    }

    /// <summary>
    /// One document as a BagIt 1.0 bag (RFC 8493), streamed: a ZIP, or a TAR with <c>Accept: application/x-tar</c>. Its signature is the
    /// bag's <c>provenance.sig</c> over <c>tagmanifest-sha256.txt</c>; <c>provenance verify-bag</c> checks it offline.
    /// </summary>
    [WolverineGet("/api/documents/{id}/package", OperationId = "getDocumentPackage"), Tags(Tag), Authorize(Roles = Roles.Auditor)]
    [EndpointSummary("A document as a signed BagIt bag (zip, or tar with Accept)")]
    [ProducesResponseType(typeof(byte[]), StatusCodes.Status200OK, PackageArchive.ZipMediaType, PackageArchive.TarMediaType)]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status406NotAcceptable, "application/problem+json")]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status500InternalServerError, "application/problem+json")]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public static async Task<IResult> GetDocument(Guid id, string? format, HttpContext http, ProvenanceReports reports, DocumentPackages packages,
        CancellationToken ct)
    {
        http.Response.Headers.Vary = HeaderNames.Accept;
        var (mediaType, problem) = Negotiate(http.Request, format);
        if (problem is not null) return problem;
        var (report, reportProblem) = await reports.ForDocumentAsync(id, ct);
        if (report is null)
        {
            if (reportProblem is IStatusCodeHttpResult { StatusCode: StatusCodes.Status503ServiceUnavailable }) http.Response.Headers.RetryAfter = "1";
            return reportProblem!;
        }
        var root = $"provenance-{id}";
        return new StreamedBag(mediaType!, root, report.GeneratedAt, async (bag, signer, c) =>
        {
            await packages.WriteAsync(bag, report, "", signer, c);
            return
            [
                ("Source-Organization", packages.Origin),
                ("External-Identifier", id.ToString()),
                ("External-Description", $"{report.Document.Title} ({report.Document.Language}), revision {report.Document.CurrentRevision}"),
                ("Bagging-Date", report.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                ("Bag-Software-Agent", DocumentPackages.SoftwareAgent),
            ];
        }, packages);
    }

    /// <summary>
    /// Every document touched in [<c>from</c>, <c>to</c>) as one bag: each document's files under <c>data/{id}/</c> and
    /// <c>provenance/{id}/</c>, its events before <c>to</c> proved as in the collection report. Streamed as the document bag is.
    /// </summary>
    [WolverineGet("/api/reports/package", OperationId = "getCollectionPackage"), Tags(Tag), Authorize(Roles = Roles.Auditor)]
    [EndpointSummary("The documents of a period as one signed BagIt bag")]
    [ProducesResponseType(typeof(byte[]), StatusCodes.Status200OK, PackageArchive.ZipMediaType, PackageArchive.TarMediaType)]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status406NotAcceptable, "application/problem+json")]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public static async Task<IResult> GetCollection(string? from, string? to, string? format, HttpContext http, CollectionReports reports,
        DocumentPackages packages, CancellationToken ct)
    {
        http.Response.Headers.Vary = HeaderNames.Accept;
        var (mediaType, problem) = Negotiate(http.Request, format);
        if (problem is not null) return problem;
        var (period, _, periodProblem) = CollectionReports.Parse(http.Request, from, to, CollectionReports.JsonLines.Name);
        if (periodProblem is not null) return periodProblem;
        if (await reports.NotReadyAsync(period!, ct) is { } notReady) return notReady;
        var stamp = (DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var root = $"provenance-{stamp(period!.From)}-{stamp(period.To)}";
        return new StreamedBag(mediaType!, root, period.To, async (bag, signer, c) =>
        {
            var ids = new List<Guid>();
            await foreach (var id in reports.DocumentsAsync(period, c))
            {
                var report = await reports.ReportAsync(id, period, c);
                if (report is null) continue;
                await packages.WriteAsync(bag, report, $"{id}/", signer, c);
                ids.Add(id);
            }
            return
            [
                ("Source-Organization", packages.Origin),
                ("External-Description",
                    $"The provenance of {ids.Count} documents touched from {period.From.UtcDateTime:O} to {period.To.UtcDateTime:O} (excluded)"),
                .. ids.Select(i => ("External-Identifier", i.ToString())),
                ("Bagging-Date", period.To.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                ("Bag-Software-Agent", DocumentPackages.SoftwareAgent),
            ];
        }, packages);
    }

    /// <summary>The bag written straight onto the response body; a failure after the first byte aborts the response (no valid bag is left).</summary>
    sealed class StreamedBag(string mediaType, string root, DateTimeOffset modified,
        Func<BagWriter, LedgerSigner, CancellationToken, Task<IReadOnlyList<(string, string)>>> write, DocumentPackages packages) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            var ct = http.RequestAborted;
            var signer = await packages.SignerAsync(ct);
            var response = http.Response;
            response.ContentType = mediaType;
            response.Headers.ContentDisposition = $"attachment; filename=\"{root}.{(mediaType == PackageArchive.TarMediaType ? "tar" : "zip")}\"";
            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await using var archive = mediaType == PackageArchive.TarMediaType
                ? PackageArchive.Tar(response.Body, modified)
                : await PackageArchive.ZipAsync(response.Body, modified, ct);
            var bag = new BagWriter(archive, root);
            await bag.StartAsync(ct);
            var info = await write(bag, signer, ct);
            await bag.FinishAsync(info, signer, ct);
        }
    }
}
