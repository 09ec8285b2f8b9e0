using Marten;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using System.Globalization;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Hosting;
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
    public static async Task<IResult> Get(HttpContext http, CheckpointWriter checkpoints, LedgerKeyring keyring, LedgerDatabase ledger,
        IOptions<ProvenanceOptions> options)
        => await RenderAsync(UiContext.For(http), checkpoints, keyring, ledger, options.Value.Ledger, null);

    public static async Task<IResult> Verify(HttpContext http, IAntiforgery antiforgery, CheckpointWriter checkpoints, LedgerKeyring keyring,
        LedgerVerifier verifier, LedgerDatabase ledger, IOptions<ProvenanceOptions> options)
    {
        var ui = UiContext.For(http);
        if (!await antiforgery.IsRequestValidAsync(http)) return WebErrors.BadForm(ui);
        var report = await verifier.VerifyAsync(http.RequestAborted);
        return await RenderAsync(ui, checkpoints, keyring, ledger, options.Value.Ledger, report);
    }

    /// <summary>When the events not yet in a checkpoint will be: the automatic signer's rule (<see cref="AutomaticCheckpoints"/>), in words.</summary>
    public static Markup NextDue(UiContext ui, long pending, SignedCheckpoint? latest, LedgerOptions settings)
    {
        if (pending <= 0) return H($"<p>{ui.T("integrity.all-sealed")}</p>");
        var due = latest is null ? ui.Http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow() : latest.CreatedAt + settings.CheckpointInterval;
        var now = ui.Http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var when = due <= now ? ui.T("integrity.due-now", (int)settings.CheckpointPollInterval.TotalSeconds) : ui.T("integrity.due-at", ui.FormatTime(due));
        return H($"""
            <p class="notice warn" role="status">{ui.T("integrity.pending", pending)} {when}</p>
            <p class="hint">{ui.T("integrity.rule", Interval(ui, settings.CheckpointInterval), settings.CheckpointEveryEvents)}</p>
            """);
    }

    private static string Interval(UiContext ui, TimeSpan span)
        => span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? ui.T("integrity.hours", (int)span.TotalHours)
            : span.TotalMinutes >= 1 && span.TotalMinutes == Math.Floor(span.TotalMinutes) ? ui.T("integrity.minutes", (int)span.TotalMinutes)
            : ui.T("integrity.seconds", (int)Math.Ceiling(span.TotalSeconds));

    /// <summary>An RFC 9162 consistency proof between two signed checkpoints, both signatures checked, verified here on the server.</summary>
    private static async Task<Markup> ConsistencyAsync(UiContext ui, IReadOnlyList<SignedCheckpoint> all, LedgerDatabase ledger, NoteVerifier key)
    {
        if (all.Count < 2) return H($"<p>{ui.T("integrity.consistency-needs-two")}</p>");
        var query = ui.Http.Request.Query;
        long? Size(string name) => long.TryParse(query[name], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        var (fromSize, toSize) = (Size("from"), Size("to"));
        var from = all.FirstOrDefault(c => c.TreeSize == fromSize) ?? all[^2];
        var to = all.FirstOrDefault(c => c.TreeSize == toSize) ?? all[^1];
        Markup Options(SignedCheckpoint selected) => Join(all.Select(c => H($"""<option value="{c.TreeSize}"{(c.TreeSize == selected.TreeSize ? new Markup(" selected") : Markup.Empty)}>{ui.T("integrity.checkpoint-option", c.TreeSize, ui.FormatTime(c.CreatedAt))}</option>""")));
        var form = H($"""
            <form method="get" action="/integrity#consistency" class="filters" aria-label="{ui.T("integrity.consistency")}">
            <div class="field"><label for="cons-from">{ui.T("integrity.consistency-from")}</label><select id="cons-from" name="from">{Options(from)}</select></div>
            <div class="field"><label for="cons-to">{ui.T("integrity.consistency-to")}</label><select id="cons-to" name="to">{Options(to)}</select></div>
            <div><button type="submit" class="secondary">{ui.T("integrity.consistency-submit")}</button></div>
            </form>
            """);
        if (fromSize is null || toSize is null) return form;
        if (from.TreeSize > to.TreeSize) (from, to) = (to, from);
        var signatures = Checkpoint.Verify(from.Note, key).IsValid && Checkpoint.Verify(to.Note, key).IsValid;
        var proof = await ProofPlan.ForConsistency(from.TreeSize, to.TreeSize).ExecuteAsync(ledger, ui.Http.RequestAborted);
        var result = new ConsistencyProof(proof.FromSize, proof.ToSize, proof.Path).Verify(from.RootHash, to.RootHash);
        var ok = signatures && result.IsValid;
        return H($"""
            {form}
            <p role="status" class="notice {(ok ? "success" : "bad")}">{(ok
                ? ui.T("integrity.consistent", from.TreeSize, to.TreeSize, proof.Path.Count)
                : ui.T("integrity.inconsistent", from.TreeSize, to.TreeSize))}</p>
            {(ok ? Markup.Empty : H($"<p lang=\"en\">{(signatures ? result.Reason : "A checkpoint's signature does not verify with the ledger's key.")}</p>"))}
            <p class="hint"><code>GET /api/ledger/proofs/consistency?from={from.TreeSize}&amp;to={to.TreeSize}</code></p>
            """);
    }

    private static async Task<IResult> RenderAsync(UiContext ui, CheckpointWriter checkpoints, LedgerKeyring keyring, LedgerDatabase ledger,
        LedgerOptions settings, LedgerVerificationReport? report)
    {
        var ct = ui.Http.RequestAborted;
        var all = await checkpoints.AllAsync(ct);
        var latest = all.Count == 0 ? null : all[^1];
        var verifier = (await keyring.SignerAsync(ct)).Verifier;
        var (treeSize, _) = await ledger.TreeStateAsync(ct);
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
                """);
        var consistency = await ConsistencyAsync(ui, all, ledger, verifier);
        var body = H($"""
            <h1>{ui.T("integrity.title")}</h1>
            <p>{ui.T("integrity.intro")}</p>
            <h2>{ui.T("integrity.checkpoint")}</h2>
            {checkpoint}
            {NextDue(ui, treeSize - (latest?.TreeSize ?? 0), latest, settings)}
            <h2 id="consistency">{ui.T("integrity.consistency")}</h2>
            <p>{ui.T("integrity.consistency-intro")}</p>
            {consistency}
            <h2>{ui.T("integrity.ledger")}</h2>
            {verification}
            <p><a href="/verify">{ui.T("doc.integrity.verify-report")}</a></p>
            """);
        return Layout.Page(ui, ui.T("integrity.title"), body);
    }

    public static async Task<IResult> Document(Guid id, HttpContext http, IQuerySession session, DocumentProofs proofs, CheckpointWriter checkpoints,
        LedgerKeyring keyring, DocumentRecords records, IOptions<ProvenanceOptions> options)
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
            var types = (await records.AllAsync(id, ct)).History.ToDictionary(h => h.Version, h => h.Type);
            var signed = await checkpoints.LatestAsync(ct);
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
                    <td data-label="{ui.T("audit.type")}">{(types.TryGetValue(e.Version, out var type) ? H($"{ui.T("type." + type)} <span class=\"hint\">{type}</span>") : Markup.Empty)}</td>
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
                <thead><tr><th scope="col">{ui.T("integrity.version")}</th><th scope="col">{ui.T("audit.type")}</th><th scope="col">{ui.T("audit.sequence")}</th><th scope="col">{ui.T("integrity.leaf")}</th>
                <th scope="col">{ui.T("integrity.leaf-hash")}</th><th scope="col">{ui.T("integrity.proof")}</th><th scope="col">{ui.T("integrity.result")}</th></tr></thead>
                <tbody>{rows}</tbody></table></div>
                {NextDue(ui, proof.PendingEvents, signed, options.Value.Ledger)}
                """);
        }
        var body = H($"""
            <p class="meta"><a href="/documents/{id}" title="{view.Title}">← {DocumentPage.Shorten(view.Title, 90)}</a></p>
            <h1>{ui.T("integrity.document-title")}</h1>
            {result}
            """);
        return Layout.Page(ui, $"{ui.T("integrity.document-title")} · {view.Title}", body);
    }

    private static Markup Outcome(UiContext ui, bool valid)
        => valid ? H($"<span class=\"badge ok\">{ui.T("integrity.valid")}</span>") : H($"<span class=\"badge bad\">{ui.T("integrity.invalid")}</span>");
}
