using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Provenance.Api.Ledger;
using Provenance.Api.Reports;
using Provenance.Ledger;
using static Provenance.Api.Web.Html;

namespace Provenance.Api.Web;

/// <summary>
/// A reviewer drops an exported report (and its <c>.sig</c>, or the signed <c>.zip</c> the export menu offers) and sees what
/// <see cref="ReportVerifier"/> checked, event by event, against the key this ledger publishes and the checkpoints it signed.
/// Nothing is stored: the files are read, checked and forgotten.
/// </summary>
public static class VerifyPage
{
    /// <summary>A report this large is far beyond any document's; refuse more rather than buffer it.</summary>
    public const long MaxUploadBytes = 32L * 1024 * 1024;
    public const int MaxSignatureBytes = 4 * 1024;

    public static Task<IResult> Get(HttpContext http, LedgerKeyring keyring) => RenderAsync(UiContext.For(http), keyring, null, null, StatusCodes.Status200OK);

    public static async Task<IResult> Post(HttpContext http, IAntiforgery antiforgery, LedgerKeyring keyring, CheckpointWriter checkpoints)
    {
        var ui = UiContext.For(http);
        if (!await antiforgery.IsRequestValidAsync(http)) return WebErrors.BadForm(ui);
        if (http.Request.ContentLength is > MaxUploadBytes) return await Refused(ui, keyring, "report", ui.T("verifypage.too-large", MaxUploadBytes / (1024 * 1024)));
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxUploadBytes;
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = MaxUploadBytes }, http.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        {
            return await Refused(ui, keyring, "report", ui.T("verifypage.too-large", MaxUploadBytes / (1024 * 1024)));
        }
        var reportFile = form.Files.GetFile("report");
        if (reportFile is not { Length: > 0 }) return await Refused(ui, keyring, "report", ui.T("verifypage.no-report"));
        var bytes = await ReadAsync(reportFile, MaxUploadBytes, http.RequestAborted);
        string? signature = null;
        if (form.Files.GetFile("signature") is { Length: > 0 } sigFile)
        {
            if (sigFile.Length > MaxSignatureBytes) return await Refused(ui, keyring, "signature", ui.T("verifypage.bad-signature-file"));
            signature = Encoding.UTF8.GetString(await ReadAsync(sigFile, MaxSignatureBytes, http.RequestAborted)).Trim();
        }
        if (IsZip(bytes))
        {
            if (Unzip(bytes) is not { } unpacked) return await Refused(ui, keyring, "report", ui.T("verifypage.bad-zip"));
            (bytes, signature) = (unpacked.Report, signature ?? unpacked.Signature);
        }
        if (!ReportVerifier.IsReport(bytes)) return await Refused(ui, keyring, "report", ui.T("verifypage.not-a-report", ReportVerifier.Format));
        if (signature is not null && !WellFormed(signature)) return await Refused(ui, keyring, "signature", ui.T("verifypage.bad-signature-file"));

        var ct = http.RequestAborted;
        var key = (await keyring.SignerAsync(ct)).Verifier;
        var result = ReportVerifier.Verify(bytes, signature, key);
        var published = await PublishedCheckpointAsync(ui, bytes, key, checkpoints, ct);
        return await RenderAsync(ui, keyring, new Outcome(reportFile.FileName, bytes.Length, signature is not null, result, published), null, StatusCodes.Status200OK);
    }

    private static bool WellFormed(string signature)
    {
        try
        {
            DetachedSignature.Parse(signature);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private sealed record Outcome(string FileName, long Size, bool Signed, ReportVerification Result, Markup Published);

    private static async Task<byte[]> ReadAsync(IFormFile file, long limit, CancellationToken ct)
    {
        await using var stream = file.OpenReadStream();
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct);
        return buffer.Length > limit ? [] : buffer.ToArray();
    }

    private static bool IsZip(byte[] bytes) => bytes.Length > 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;

    /// <summary>The <c>.json</c> report and its <c>.sig</c> from a signed export; entries are bounded so a crafted archive cannot inflate.</summary>
    private static (byte[] Report, string? Signature)? Unzip(byte[] bytes)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
            var report = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith(".json", StringComparison.OrdinalIgnoreCase));
            var sig = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith(".sig", StringComparison.OrdinalIgnoreCase));
            if (report is null || report.Length > MaxUploadBytes || sig?.Length > MaxSignatureBytes) return null;
            return (Read(report, MaxUploadBytes), sig is null ? null : Encoding.UTF8.GetString(Read(sig, MaxSignatureBytes)).Trim());
        }
        catch (InvalidDataException)
        {
            return null;
        }

        static byte[] Read(ZipArchiveEntry entry, long limit)
        {
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int n;
            while ((n = stream.Read(chunk)) > 0)
            {
                if (buffer.Length + n > limit) throw new InvalidDataException("entry larger than declared");
                buffer.Write(chunk, 0, n);
            }
            return buffer.ToArray();
        }
    }

    /// <summary>The report's checkpoint beside the one this ledger signed at the same size: the same root, or a warning.</summary>
    private static async Task<Markup> PublishedCheckpointAsync(UiContext ui, byte[] bytes, NoteVerifier key, CheckpointWriter checkpoints, CancellationToken ct)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(bytes);
            var note = json.RootElement.GetProperty("integrity").GetProperty("checkpoint").GetString();
            if (note is null || Checkpoint.Verify(note, key) is not { IsValid: true, Checkpoint: { } claimed }) return Markup.Empty;
            var ours = await checkpoints.AtSizeAsync(claimed.TreeSize, ct);
            if (ours is null) return H($"<li class=\"bad\">{ui.T("verifypage.checkpoint-unknown", claimed.TreeSize)}</li>");
            return ours.RootHash.AsSpan().SequenceEqual(claimed.RootHash)
                ? H($"<li><span class=\"badge ok\">{ui.T("verifypage.pass")}</span> {ui.T("verifypage.checkpoint-published", claimed.TreeSize, ui.FormatTime(ours.CreatedAt))}</li>")
                : H($"<li><span class=\"badge bad\">{ui.T("verifypage.fail")}</span> {ui.T("verifypage.checkpoint-differs", claimed.TreeSize)}</li>");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return Markup.Empty;
        }
    }

    private static Task<IResult> Refused(UiContext ui, LedgerKeyring keyring, string field, string message)
        => RenderAsync(ui, keyring, null, new Dictionary<string, string[]> { [field] = [message] }, StatusCodes.Status422UnprocessableEntity);

    private static async Task<IResult> RenderAsync(UiContext ui, LedgerKeyring keyring, Outcome? outcome, IDictionary<string, string[]>? errors, int status)
    {
        var key = (await keyring.SignerAsync(ui.Http.RequestAborted)).Verifier;
        Markup Invalid(string field) => errors?.ContainsKey(field) == true ? H($" aria-invalid=\"true\" aria-describedby=\"vr-{field}-error\"") : Markup.Empty;
        Markup FieldError(string field) => errors?.TryGetValue(field, out var m) == true ? H($"<span class=\"bad\" id=\"vr-{field}-error\">{string.Join(" ", m)}</span>") : Markup.Empty;
        var body = H($"""
            {Layout.Errors(ui, errors, null, "vr-", localized: true)}
            <h1>{ui.T("verifypage.title")}</h1>
            <p>{ui.T("verifypage.intro")}</p>
            <p class="hint">{ui.T("verifypage.key")} <code>{key.VerifierKey}</code></p>
            <form method="post" action="/verify" enctype="multipart/form-data" class="stack dropzone">
            {ui.AntiforgeryField()}
            <div class="field"><label for="vr-report">{ui.T("verifypage.report")} <span class="hint">{ui.T("verifypage.report-hint")}</span></label>
            <input id="vr-report" name="report" type="file" accept=".json,.zip,application/json,application/zip"{Invalid("report")}>{FieldError("report")}</div>
            <div class="field"><label for="vr-signature">{ui.T("verifypage.signature")} <span class="hint">{ui.T("verifypage.signature-hint")}</span></label>
            <input id="vr-signature" name="signature" type="file" accept=".sig,text/plain"{Invalid("signature")}>{FieldError("signature")}</div>
            <div><button type="submit">{ui.T("verifypage.submit")}</button></div>
            </form>
            {(outcome is null ? Markup.Empty : Result(ui, outcome))}
            """);
        return Layout.Page(ui, ui.T("verifypage.title"), body, status);
    }

    private static Markup Result(UiContext ui, Outcome o)
    {
        var r = o.Result;
        var verdict = r.Passed
            ? Layout.Notice(ui.T("verifypage.verified", o.FileName, r.Events.Count), "success")
            : Layout.Notice(o.Signed ? ui.T("verifypage.not-verified", o.FileName) : ui.T("verifypage.unsigned", o.FileName), "bad");
        var checks = r.Checks.Select(c => H($"""
            <li><span class="badge {(c.Passed ? "ok" : "bad")}">{(c.Passed ? ui.T("verifypage.pass") : ui.T("verifypage.fail"))}</span>
            <strong>{ui.T("verifypage.check." + c.Name)}</strong> <span lang="en">{c.Detail}</span></li>
            """));
        var rows = r.Events.Select(e => H($"""
            <tr class="{(e.Passed ? "" : "failed")}">
            <th scope="row">{e.Version}</th>
            <td data-label="{ui.T("audit.sequence")}">{e.Sequence}</td>
            <td data-label="{ui.T("audit.type")}">{(Strings.Keys.Contains("type." + e.EventType) ? ui.T("type." + e.EventType) : e.EventType)} <span class="hint">{e.EventType}</span></td>
            <td data-label="{ui.T("audit.when")}">{Time(e.Timestamp, ui)}</td>
            <td data-label="{ui.T("audit.actor")}">{e.Actor}</td>
            <td data-label="{ui.T("verifypage.leaf")}">{Mark(ui, e.LeafHashMatches)}</td>
            <td data-label="{ui.T("verifypage.chain")}">{Mark(ui, e.Chained)}</td>
            <td data-label="{ui.T("verifypage.inclusion")}">{(e.Included is { } inc ? Mark(ui, inc) : H($"<span class=\"badge outdated\">{ui.T("integrity.pending-one")}</span>"))}
            {Join(e.Problems.Select(p => H($"<br><span class=\"bad\" lang=\"en\">{p}</span>")))}</td>
            </tr>
            """));
        return H($"""
            <section aria-labelledby="vr-result" class="verify-result">
            <h2 id="vr-result" tabindex="-1" autofocus>{ui.T("verifypage.result", o.FileName)}</h2>
            {verdict}
            <p class="hint">{ui.T("verifypage.size", o.Size)}</p>
            <ul class="checks">{checks}{o.Published}</ul>
            {(r.Events.Count == 0 ? Markup.Empty : H($"""
                <div class="table-wrap"><table class="stackable">
                <caption>{ui.T("verifypage.events")}</caption>
                <thead><tr><th scope="col">{ui.T("integrity.version")}</th><th scope="col">{ui.T("audit.sequence")}</th><th scope="col">{ui.T("audit.type")}</th>
                <th scope="col">{ui.T("audit.when")}</th><th scope="col">{ui.T("audit.actor")}</th><th scope="col">{ui.T("verifypage.leaf")}</th>
                <th scope="col">{ui.T("verifypage.chain")}</th><th scope="col">{ui.T("verifypage.inclusion")}</th></tr></thead>
                <tbody>{rows}</tbody></table></div>
                """))}
            </section>
            """);
    }

    private static Markup Mark(UiContext ui, bool passed)
        => passed ? H($"<span class=\"badge ok\">{ui.T("verifypage.pass")}</span>") : H($"<span class=\"badge bad\">{ui.T("verifypage.fail")}</span>");

    /// <summary>
    /// The JSON report and its detached signature in one download, so the pair that is verified later is the pair that was signed
    /// together (a second request would sign a newer report).
    /// </summary>
    public static async Task<IResult> SignedExport(Guid id, HttpContext http, ProvenanceReports reports, LedgerKeyring keyring)
    {
        var ui = UiContext.For(http);
        var ct = http.RequestAborted;
        var (report, problem) = await reports.ForDocumentAsync(id, ct);
        if (report is null) return problem is IStatusCodeHttpResult { StatusCode: 404 } ? WebErrors.NotFound(ui, ui.T("doc.not-found", id)) : problem!;
        var bytes = ReportFormats.Json.Render(report);
        var signature = (await keyring.SignerAsync(ct)).SignDetached(bytes).ToString();
        var name = $"provenance-{id}.json";
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            await using (var entry = zip.CreateEntry(name, CompressionLevel.Optimal).Open()) await entry.WriteAsync(bytes, ct);
            await using (var entry = zip.CreateEntry(name + ".sig", CompressionLevel.Optimal).Open()) await entry.WriteAsync(Encoding.UTF8.GetBytes(signature + "\n"), ct);
        }
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"provenance-{id}.signed.zip\"";
        http.Response.Headers.CacheControl = "no-store";
        return Results.Bytes(buffer.ToArray(), "application/zip");
    }
}
