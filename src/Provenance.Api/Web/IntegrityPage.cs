using Marten;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Http;
using Provenance.Api.Ledger;
using Provenance.Ledger;
using static Provenance.Api.Web.Html;

namespace Provenance.Api.Web;

/// <summary>
/// The latest signed checkpoint and, on request, a full ledger verification; per document, every event's inclusion proof
/// checked here on the server with <see cref="InclusionProof.Verify"/> against the checkpoint's root, whose signature is checked too.
/// </summary>
public static class IntegrityPage
{
    public static async Task<IResult> Get(HttpContext http, CheckpointWriter checkpoints, LedgerKeyring keyring)
        => await RenderAsync(UiContext.For(http), checkpoints, keyring, null);

    public static async Task<IResult> Verify(HttpContext http, IAntiforgery antiforgery, CheckpointWriter checkpoints, LedgerKeyring keyring,
        LedgerVerifier verifier)
    {
        var ui = UiContext.For(http);
        if (!await antiforgery.IsRequestValidAsync(http)) return WebErrors.BadForm(ui);
        var report = await verifier.VerifyAsync(http.RequestAborted);
        return await RenderAsync(ui, checkpoints, keyring, report);
    }

    private static async Task<IResult> RenderAsync(UiContext ui, CheckpointWriter checkpoints, LedgerKeyring keyring, LedgerVerificationReport? report)
    {
        var ct = ui.Http.RequestAborted;
        var latest = await checkpoints.LatestAsync(ct);
        var verifier = (await keyring.SignerAsync(ct)).Verifier;
        var checkpoint = latest is null
            ? H($"<p>{ui.T("integrity.no-checkpoint")}</p>")
            : H($"""
                <dl class="facts">
                <dt>{ui.T("integrity.origin")}</dt><dd><code>{latest.Origin}</code></dd>
                <dt>{ui.T("integrity.tree-size")}</dt><dd>{latest.TreeSize}</dd>
                <dt>{ui.T("integrity.root")}</dt><dd><code>{Hex(latest.RootHash)}</code></dd>
                <dt>{ui.T("integrity.signed-at")}</dt><dd>{Time(latest.CreatedAt, ui)}</dd>
                <dt>{ui.T("integrity.signature")}</dt><dd>{Outcome(ui, Checkpoint.Verify(latest.Note, verifier).IsValid)}</dd>
                <dt>{ui.T("integrity.verifier-key")}</dt><dd><code>{verifier.VerifierKey}</code></dd>
                </dl>
                <details><summary>{ui.T("integrity.note")}</summary><pre class="text">{latest.Note}</pre></details>
                """);
        var verification = report is null
            ? (ui.Can(Roles.Auditor)
                ? H($"""<form method="post" action="/integrity/verify">{ui.AntiforgeryField()}<button type="submit">{ui.T("integrity.verify-ledger")}</button></form>""")
                : H($"<p>{ui.T("integrity.auditors-only")}</p>"))
            : H($"""
                <p role="status" class="notice {(report.Intact ? "success" : "bad")}">{(report.Intact ? ui.T("integrity.intact", report.EventsChecked, report.NodesChecked, report.CheckpointsChecked) : ui.T("integrity.broken", report.MismatchCount))}</p>
                {(report.FirstMismatch is { } m ? H($"<p lang=\"en\">{m.Kind}: {m.Detail}</p>") : Markup.Empty)}
                {(report.PendingEvents > 0 ? H($"<p>{ui.T("integrity.pending", report.PendingEvents)}</p>") : Markup.Empty)}
                """);
        var body = H($"""
            <h1>{ui.T("integrity.title")}</h1>
            <p>{ui.T("integrity.intro")}</p>
            <h2>{ui.T("integrity.checkpoint")}</h2>
            {checkpoint}
            <h2>{ui.T("integrity.ledger")}</h2>
            {verification}
            """);
        return Layout.Page(ui, ui.T("integrity.title"), body);
    }

    public static async Task<IResult> Document(Guid id, HttpContext http, IQuerySession session, DocumentProofs proofs, CheckpointWriter checkpoints,
        LedgerKeyring keyring)
    {
        var ui = UiContext.For(http);
        var ct = http.RequestAborted;
        var view = await session.LoadAsync<DocumentView>(id, ct);
        if (view is null) return WebErrors.NotFound(ui, ui.T("doc.not-found", id));
        var (proof, problem) = await proofs.ForDocumentAsync(id, ct);
        Markup result;
        if (problem is ProblemHttpResult { ProblemDetails: { } refused } && refused.Type == Problems.LedgerMismatch.Type)
        {
            // No proof is shown for events the ledger does not prove: say which one, as the proof endpoint does.
            result = H($"""
                {Layout.Notice(ui.T("doc.ledger-mismatch", refused.Extensions["version"] ?? 0, refused.Extensions["sequence"] ?? 0), "bad")}
                <p lang="en">{refused.Detail}</p>
                """);
        }
        else if (proof is null)
        {
            // The same two reasons the proof endpoint gives: nothing signed yet, or the daemon has not reached the document.
            var noCheckpoint = await checkpoints.LatestAsync(ct) is null;
            result = Layout.Notice(noCheckpoint ? ui.T("integrity.no-checkpoint") : ui.T("integrity.not-yet"), "warn");
        }
        else
        {
            var latest = proof.Checkpoint;
            var signatureValid = Checkpoint.Verify(latest.Note, (await keyring.SignerAsync(ct)).Verifier).IsValid;
            var rows = proof.Events.Select(e =>
            {
                var outcome = e.AuditPath is null
                    ? H($"<span class=\"badge outdated\">{ui.T("integrity.pending-one")}</span>")
                    : new InclusionProof(e.LeafIndex, latest.TreeSize, e.AuditPath).Verify(e.LeafHash, latest.RootHash) is var v && v.IsValid
                        ? H($"<span class=\"badge ok\">{ui.T("integrity.included")}</span>")
                        : H($"<span class=\"badge bad\">{ui.T("integrity.not-included")}</span> <span lang=\"en\">{v.Reason}</span>");
                return H($"""
                    <tr><th scope="row"><a href="/documents/{id}#event-{e.Version}">{e.Version}</a></th>
                    <td data-label="{ui.T("audit.sequence")}">{e.Sequence}</td><td data-label="{ui.T("integrity.leaf")}">{e.LeafIndex}</td>
                    <td data-label="{ui.T("integrity.leaf-hash")}"><code>{Hex(e.LeafHash)[..16]}…</code></td>
                    <td data-label="{ui.T("integrity.proof")}">{(e.AuditPath is null ? "—" : ui.T("integrity.path", e.AuditPath.Count))}</td>
                    <td data-label="{ui.T("integrity.result")}">{outcome}</td></tr>
                    """);
            });
            result = H($"""
                <p>{ui.T("integrity.against", latest.TreeSize, ui.FormatTime(latest.CreatedAt))} {ui.T("integrity.signature")}: {Outcome(ui, signatureValid)}</p>
                <div class="table-wrap"><table class="stackable">
                <caption>{ui.T("integrity.events")}</caption>
                <thead><tr><th scope="col">{ui.T("integrity.version")}</th><th scope="col">{ui.T("audit.sequence")}</th><th scope="col">{ui.T("integrity.leaf")}</th>
                <th scope="col">{ui.T("integrity.leaf-hash")}</th><th scope="col">{ui.T("integrity.proof")}</th><th scope="col">{ui.T("integrity.result")}</th></tr></thead>
                <tbody>{rows}</tbody></table></div>
                """);
        }
        var body = H($"""
            <p class="meta"><a href="/documents/{id}">{view.Title}</a></p>
            <h1>{ui.T("integrity.document-title")}</h1>
            {result}
            """);
        return Layout.Page(ui, $"{ui.T("integrity.document-title")} · {view.Title}", body);
    }

    private static Markup Outcome(UiContext ui, bool valid)
        => valid ? H($"<span class=\"badge ok\">{ui.T("integrity.valid")}</span>") : H($"<span class=\"badge bad\">{ui.T("integrity.invalid")}</span>");
}
