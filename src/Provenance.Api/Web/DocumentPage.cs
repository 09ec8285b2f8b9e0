using System.Globalization;
using System.Text;
using Marten;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Ledger;
using Provenance.Api.Reports;
using static Provenance.Api.Web.Html;

namespace Provenance.Api.Web;

/// <summary>What a failed form sends back to the page: which form, the API's messages, and what the person typed.</summary>
public sealed record FormState(string Form, IDictionary<string, string[]> Errors, string? Message, IFormCollection? Values)
{
    public string? Value(string name) => Values?[name].FirstOrDefault();
}

/// <summary>One document: metadata, text (any revision, or as it stood at a date), translations, verdicts, timeline, forms by role.</summary>
public static class DocumentPage
{
    /// <summary>How much text the page shows inline; the whole is always a download away.</summary>
    public const int PreviewBytes = 64 * 1024;

    public static async Task<IResult> Get(Guid id, HttpContext http, IQuerySession session, ContentStore contents)
    {
        var ui = UiContext.For(http);
        var asOfText = http.Request.Query["asOf"].ToString();
        if (asOfText.Length > 0)
        {
            if (ParseAsOf(asOfText) is not { } instant)
            {
                var current = await session.LoadAsync<DocumentView>(id, http.RequestAborted);
                if (current is null) return WebErrors.NotFound(ui, ui.T("doc.not-found", id));
                var errors = new Dictionary<string, string[]> { ["asOf"] = ["'asOf' must be a date and time, for example 2026-01-15T09:30."] };
                return await RenderAsync(ui, session, contents, current, new FormState("asof", errors, null, null), StatusCodes.Status422UnprocessableEntity);
            }
            if (await session.LoadAsync<DocumentView>(id, http.RequestAborted) is { } now && WebErrors.Withdrawn(ui, now) is { } withheld) return withheld;
            var past = await session.Events.AggregateStreamAsync<DocumentView>(id, timestamp: instant, token: http.RequestAborted);
            if (past is null)
            {
                return await HistoryEndpoint.DocumentExistsAsync(session, id, http.RequestAborted)
                    ? WebErrors.NotFound(ui, ui.T("doc.not-yet", ui.FormatTime(instant)))
                    : WebErrors.NotFound(ui, ui.T("doc.not-found", id));
            }
            return await RenderAsync(ui, session, contents, past, null, StatusCodes.Status200OK, asOf: instant);
        }
        var view = await session.LoadAsync<DocumentView>(id, http.RequestAborted);
        if (view is null) return WebErrors.NotFound(ui, ui.T("doc.not-found", id));
        if (WebErrors.Withdrawn(ui, view) is { } unavailable) return unavailable;
        return await RenderAsync(ui, session, contents, view, null, StatusCodes.Status200OK);
    }

    /// <summary>RFC 3339, or what a datetime-local control sends (<c>2026-01-15T09:30</c>), read as UTC.</summary>
    public static DateTimeOffset? ParseAsOf(string text)
        => TimeTravel.ParseRfc3339(text)
           ?? (DateTime.TryParseExact(text.Trim(), ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"], CultureInfo.InvariantCulture,
               DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var local)
               ? new DateTimeOffset(local, TimeSpan.Zero)
               : null);

    public static async Task<IResult> RenderAsync(UiContext ui, IQuerySession session, ContentStore contents, DocumentView view, FormState? form,
        int status, DateTimeOffset? asOf = null)
    {
        var ct = ui.Http.RequestAborted;
        var services = ui.Http.RequestServices;
        var id = view.Id;
        var records = await ui.Http.RequestServices.GetRequiredService<DocumentRecords>().AllAsync(id, ct, until: asOf);
        var history = records.History;
        var revisions = records.Revisions.Where(r => r.Revision <= view.Revision).ToList();

        int? requested = int.TryParse(ui.Http.Request.Query["revision"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        var shown = revisions.FirstOrDefault(r => r.Revision == (requested ?? view.Revision)) ?? revisions.LastOrDefault();
        string? text = null, damaged = null;
        var truncated = false;
        if (shown is not null && MediaTypes.IsText(shown.MediaType))
        {
            try
            {
                var bytes = await contents.ReadAsync(shown.ContentDigest, ct) ?? [];
                truncated = bytes.Length > PreviewBytes;
                text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, PreviewBytes));
            }
            catch (ContentFixityException failure)
            {
                // The rest of the page is still true: say what is wrong where the text would be, and record it like any read does.
                await services.GetRequiredService<FixityChecker>().RecordReadFailureAsync(failure.Digest, failure.Actual, CancellationToken.None);
                damaged = failure.Digest;
            }
        }
        var ledger = services.GetRequiredService<LedgerDatabase>();
        var unproved = await LeafCheck.OfDocumentAsync(ledger, id, asOf, ct);
        var flagged = unproved.Select(m => m.Version).ToHashSet();
        var leaves = await ledger.LeavesOfStreamAsync(id, ct);
        var checkpoint = await services.GetRequiredService<CheckpointWriter>().LatestAsync(ct);

        var readOnly = asOf is not null;
        var action = ui.Http.Request.Query["action"].ToString();
        var translationRecords = records.Translations.Where(t => t.Version <= view.Version).ToList();
        await ui.KnowPeopleAsync(session, history.Select(h => h.Actor).Concat(revisions.Select(r => r.Actor)).Concat(translationRecords.Select(t => t.Actor)));
        var errorSummary = form is null ? Markup.Empty : Layout.Errors(ui, form.Errors, form.Message, FormPrefix(form.Form));
        var body = H($"""
            {errorSummary}
            {Header(ui, view, shown, leaves, checkpoint, unproved.Count, asOf, form, action)}
            {(ui.Http.Request.Query["done"].ToString() is { Length: > 0 } done && Strings.Keys.Contains("done." + done) ? Layout.Notice(ui.T("done." + done), "success") : Markup.Empty)}
            {When(asOf is not null, Layout.Notice(ui.T("doc.as-of-notice", asOf is { } a ? ui.FormatTime(a) : ""), "warn"))}
            {Join(unproved.Select(m => Layout.Notice(ui.T("doc.ledger-mismatch", m.Version ?? 0, m.Sequence ?? 0), "bad")))}
            <nav class="sections" aria-label="{ui.T("doc.sections")}"><ul>
            <li><a href="#text">{ui.T("doc.text")}</a></li>
            <li><a href="#timeline">{ui.T("doc.timeline")}</a></li>
            <li><a href="#translations">{ui.T("doc.translations")} <span class="count">{translationRecords.Count}</span></a></li>
            <li><a href="#verifications">{ui.T("doc.verifications")} <span class="count">{view.Verifications.Count}</span></a></li>
            <li><a href="#integrity">{ui.T("doc.integrity-section")}</a></li>
            <li><a href="#metadata">{ui.T("doc.metadata")}</a></li>
            </ul></nav>
            <section id="text" aria-labelledby="text-heading">
            <h2 id="text-heading">{(shown is not null && shown.Revision != view.Revision ? ui.T("doc.text-of-revision", shown.Revision, view.Revision) : ui.T("doc.text"))}</h2>
            {When(!readOnly && ui.Can(Roles.Contributor), DocumentForms.EditForm(ui, view, text, form?.Form == "edit" ? form : null, action == "edit"))}
            {Text(ui, view, shown, text, truncated, damaged)}
            <h3 id="revisions">{ui.T("doc.revisions")}</h3>
            {Revisions(ui, view, revisions)}
            </section>
            <section id="timeline" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">{ui.T("doc.timeline")}</h2>
            {Timeline(ui, view, history, flagged)}
            </section>
            <section id="translations" aria-labelledby="translations-heading">
            <h2 id="translations-heading">{ui.T("doc.translations")}</h2>
            {When(!readOnly && ui.Can(Roles.Contributor), DocumentForms.TranslateForm(ui, view, revisions, form?.Form == "translate" ? form : null, action == "translate"))}
            {Translations(ui, view, translationRecords)}
            </section>
            <section id="verifications" aria-labelledby="verifications-heading">
            <h2 id="verifications-heading">{ui.T("doc.verifications")}</h2>
            {When(!readOnly && ui.Can(Roles.Verifier), DocumentForms.VerifyForm(ui, view, revisions, form?.Form == "verify" ? form : null, action == "verify"))}
            {Verifications(ui, view)}
            </section>
            <section id="integrity" aria-labelledby="integrity-heading">
            <h2 id="integrity-heading">{ui.T("doc.integrity-section")}</h2>
            {IntegritySummary(ui, view, leaves, checkpoint, unproved.Count)}
            </section>
            <section id="metadata" aria-labelledby="metadata-heading">
            <h2 id="metadata-heading">{ui.T("doc.metadata")}</h2>
            {Metadata(ui, view)}
            </section>
            """);
        return Layout.Page(ui, view.Title, body, status);
    }

    /// <summary>The id prefix each form gives its fields, so the error summary links to them.</summary>
    public static string FormPrefix(string form) => form switch
    {
        "edit" => "edit-",
        "translate" => "tr-",
        "verify" => "vf-",
        _ => "",
    };

    /// <summary>What an archivist needs first, in one block: the facts, then every action.</summary>
    private static Markup Header(UiContext ui, DocumentView view, RevisionRecord? shown, IReadOnlyList<StoredLeaf> leaves, SignedCheckpoint? checkpoint,
        int mismatches, DateTimeOffset? asOf, FormState? form, string action)
    {
        var id = view.Id;
        var latestVerdicts = view.Verifications.OrderByDescending(v => v.Version).Take(3).ToList();
        var verdicts = latestVerdicts.Count == 0
            ? H($"<span class=\"hint\">{ui.T("doc.no-verdict-short")}</span>")
            : Join(latestVerdicts.Select(v => H($"<a class=\"badge {v.Verdict}\" href=\"#verifications\" title=\"{(v.Claim?.Quote is { } q ? Shorten(q, 80) : ui.T("doc.whole-text"))}\">{ui.T("verdict." + v.Verdict)} · r{v.Revision}{(v.Language is null ? "" : " " + v.Language)}</a> ")));
        var translations = view.Translations.Count == 0
            ? H($"<span class=\"hint\">{ui.T("doc.no-translation-short")}</span>")
            : Join(view.Translations.OrderBy(t => t.Language, StringComparer.Ordinal).Select(t => view.Revision > t.SourceRevision
                ? H($"<a class=\"badge outdated\" href=\"#translations\" lang=\"{t.Language}\">{t.Language} <span lang=\"{ui.Language}\">{ui.T("doc.outdated")}</span></a> ")
                : H($"<a class=\"badge current\" href=\"#translations\" lang=\"{t.Language}\">{t.Language} <span lang=\"{ui.Language}\">{ui.T("doc.up-to-date")}</span></a> ")));
        var exports = ui.Can(Roles.Auditor)
            ? H($"""
                <details class="menu"><summary>{ui.T("doc.export")}</summary>
                <ul class="menu-items">
                {Join(ReportFormats.All.Select(f => H($"<li><a href=\"/api/documents/{id}/provenance?format={f.Name}\" download=\"provenance-{id}.{f.Extension}\">{ui.T("export." + f.Name)} <span class=\"hint\">.{f.Extension}</span></a></li>")))}
                <li><a href="/documents/{id}/export/signed.zip" download>{ui.T("export.signed")} <span class="hint">.zip</span></a></li>
                <li class="menu-separator"><a href="/api/documents/{id}/package?format=bagit" download="provenance-{id}.zip">{ui.T("export.package")} <span class="hint">BagIt .zip</span></a></li>
                </ul></details>
                """)
            : Markup.Empty;
        var contribute = asOf is not null ? Markup.Empty : H($"""
            {When(ui.Can(Roles.Contributor), H($"<a class=\"button\" href=\"/documents/{id}?action=edit#edit\">{ui.T("doc.action.edit")}</a>"))}
            {When(ui.Can(Roles.Contributor), H($"<a class=\"button secondary\" href=\"/documents/{id}?action=translate#translate\">{ui.T("doc.action.translate")}</a>"))}
            {When(ui.Can(Roles.Verifier), H($"<a class=\"button secondary\" href=\"/documents/{id}?action=verify#verify\">{ui.T("doc.action.verify")}</a>"))}
            """);
        var asOfOpen = form?.Form == "asof" || asOf is not null || action == "asof";
        return H($"""
            <header class="doc-head">
            <h1 lang="{view.Language}">{view.Title}</h1>
            <dl class="doc-facts">
            <div><dt>{ui.T("doc.language")}</dt><dd><span lang="{view.Language}">{view.Language}</span></dd></div>
            <div><dt>{ui.T("doc.revision")}</dt><dd>{(shown is not null && shown.Revision != view.Revision ? ui.T("doc.revision-shown", shown.Revision, view.Revision) : ui.T("doc.revision-current", view.Revision))} <span class="hint">· {Time(view.UpdatedAt, ui)} · {view.UpdatedBy}</span></dd></div>
            <div><dt>{ui.T("doc.verdicts")}</dt><dd>{verdicts}</dd></div>
            <div><dt>{ui.T("doc.translations")}</dt><dd>{translations}</dd></div>
            <div><dt>{ui.T("doc.integrity-section")}</dt><dd>{IntegrityBadge(ui, view.Version, leaves, checkpoint, mismatches)}</dd></div>
            </dl>
            <div class="doc-actions" role="group" aria-label="{ui.T("doc.actions")}">
            {contribute}
            {exports}
            <a href="/documents/{id}/integrity">{ui.T("doc.integrity")}</a>
            <a href="/documents/{id}/compare{Query(("from", Math.Max(1, view.Revision - 1).ToString(CultureInfo.InvariantCulture)), ("to", view.Revision.ToString(CultureInfo.InvariantCulture)))}">{ui.T("doc.compare")}</a>
            <a href="/documents/{id}/lineage">{ui.T("doc.lineage")}</a>
            <details class="menu"{(asOfOpen ? new Markup(" open") : Markup.Empty)}><summary>{ui.T("doc.as-of")}</summary>
            <div class="menu-items">{AsOfForm(ui, id, asOf, form)}</div></details>
            {When(asOf is not null, H($"<a href=\"/documents/{id}\">{ui.T("doc.back-to-current")}</a>"))}
            </div>
            </header>
            """);
    }

    private static Markup IntegrityBadge(UiContext ui, long events, IReadOnlyList<StoredLeaf> leaves, SignedCheckpoint? checkpoint, int mismatches)
    {
        if (mismatches > 0) return H($"<a class=\"badge bad\" href=\"#integrity\">{ui.T("doc.integrity.mismatch", mismatches)}</a>");
        if (leaves.Count == 0) return H($"<a class=\"badge outdated\" href=\"#integrity\">{ui.T("doc.integrity.not-in-ledger")}</a>");
        // Events the daemon has not yet put in the ledger wait for a checkpoint too.
        var covered = leaves.Count(l => l.Version <= events && checkpoint is not null && l.LeafIndex < checkpoint.TreeSize);
        return covered >= events
            ? H($"<a class=\"badge ok\" href=\"#integrity\">{ui.T("doc.integrity.sealed", covered)}</a>")
            : H($"<a class=\"badge outdated\" href=\"#integrity\">{ui.T("doc.integrity.pending", events - covered, events)}</a>");
    }

    private static Markup IntegritySummary(UiContext ui, DocumentView view, IReadOnlyList<StoredLeaf> leaves, SignedCheckpoint? checkpoint, int mismatches)
    {
        var covered = Math.Min(view.Version, leaves.Count(l => l.Version <= view.Version && checkpoint is not null && l.LeafIndex < checkpoint.TreeSize));
        return H($"""
            <p>{IntegrityBadge(ui, view.Version, leaves, checkpoint, mismatches)}</p>
            <p>{(checkpoint is null ? ui.T("integrity.no-checkpoint") : ui.T("doc.integrity.detail", view.Version, covered, checkpoint.TreeSize, ui.FormatTime(checkpoint.CreatedAt)))}</p>
            {When(covered < view.Version, IntegrityPage.NextDue(ui, view.Version - covered, checkpoint, ui.Http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Provenance.Api.Hosting.ProvenanceOptions>>().Value.Ledger))}
            <p><a href="/documents/{view.Id}/integrity">{ui.T("doc.integrity.check-proofs")}</a> · <a href="/verify">{ui.T("doc.integrity.verify-report")}</a></p>
            """);
    }

    /// <summary>At most <paramref name="max"/> characters, cut at a word boundary, with an ellipsis when cut.</summary>
    public static string Shorten(string text, int max)
    {
        text = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (text.Length <= max) return text;
        var cut = text.LastIndexOf(' ', Math.Max(0, max - 1));
        return (cut > max / 3 ? text[..cut] : text[..(max - 1)]).TrimEnd(',', ';', ':', '.', '·', ' ', '—') + "…";
    }

    private static Markup AsOfForm(UiContext ui, Guid id, DateTimeOffset? asOf, FormState? form)
    {
        var errors = form?.Form == "asof" ? form.Errors : null;
        var value = asOf?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture) ?? "";
        return H($"""
            <form method="get" action="/documents/{id}" class="filters" aria-label="{ui.T("doc.as-of")}">
            <div class="field"><label for="asOf">{ui.T("doc.as-of")} <span class="hint">(UTC)</span></label>
            <input id="asOf" name="asOf" type="datetime-local" value="{value}"{(errors is null ? Markup.Empty : new Markup(" aria-invalid=\"true\""))}></div>
            <div><button type="submit" class="secondary">{ui.T("doc.as-of.submit")}</button></div>
            </form>
            """);
    }

    private static Markup Metadata(UiContext ui, DocumentView v)
    {
        Markup Row(string label, Markup value) => H($"<dt>{label}</dt><dd>{value}</dd>");
        Markup Text(string? value) => value is null ? H($"<span class=\"hint\">—</span>") : H($"{value}");
        return H($"""
            <dl class="facts">
            {Row(ui.T("doc.language"), Text(v.Language))}
            {Row(ui.T("doc.revision"), Text(v.Revision.ToString(CultureInfo.InvariantCulture)))}
            {Row(ui.T("doc.media-type"), Text(v.MediaType))}
            {Row(ui.T("doc.size"), Text(ui.T("doc.bytes", v.Size)))}
            {Row(ui.T("doc.digest"), H($"<code>{v.ContentDigest}</code>"))}
            {Row(ui.T("doc.source"), v.SourceUri is null ? Text(null) : ExternalLink(v.SourceUri))}
            {Row(ui.T("doc.publisher"), Text(v.Publisher))}
            {Row(ui.T("doc.published"), v.PublishedAt is { } p ? Time(p, ui) : Text(null))}
            {Row(ui.T("doc.file-name"), Text(v.OriginalFileName))}
            {Row(ui.T("doc.channel"), Text(v.Channel))}
            {Row(ui.T("doc.created"), H($"{Time(v.CreatedAt, ui)} · {v.CreatedBy}"))}
            {Row(ui.T("doc.updated"), H($"{Time(v.UpdatedAt, ui)} · {v.UpdatedBy}"))}
            </dl>
            """);
    }

    private static Markup Text(UiContext ui, DocumentView view, RevisionRecord? shown, string? text, bool truncated, string? damaged)
    {
        if (shown is null) return Markup.Empty;
        var download = ContentLink(view.Id, shown.Revision, null);
        var body = damaged is not null
            ? Layout.Notice(ui.T("error.fixity", damaged), "bad")
            : text is null
            ? H($"<p>{ui.T("doc.binary", shown.MediaType)}</p>")
            : H($"<pre class=\"text\" lang=\"{view.Language}\" tabindex=\"0\" aria-label=\"{ui.T("doc.text-label", shown.Revision)}\">{text}</pre>{When(truncated, Layout.Notice(ui.T("doc.truncated")))}");
        return H($"""
            {body}
            <p><a href="{download}" download>{ui.T("doc.download-revision", shown.Revision)}</a></p>
            """);
    }

    public static string ContentLink(Guid id, int revision, string? language)
        => $"/api/documents/{id}/content" + Query(("language", language), ("revision", revision.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Every translation recorded, latest first per language: superseded ones stay visible and comparable with what replaced them.</summary>
    private static Markup Translations(UiContext ui, DocumentView view, IReadOnlyList<TranslationRecord> all)
    {
        if (all.Count == 0) return H($"<p>{ui.T("doc.no-translations")}</p>");
        var groups = all.GroupBy(t => t.Language, StringComparer.OrdinalIgnoreCase).OrderBy(g => g.Key, StringComparer.Ordinal);
        var rows = groups.SelectMany(g =>
        {
            var ordered = g.OrderByDescending(t => t.Version).ToList();
            return ordered.Select((t, i) =>
            {
                var latest = i == 0;
                var behind = view.Revision - t.SourceRevision;
                var status = !latest
                    ? H($"<span class=\"badge superseded\">{ui.T("doc.superseded")}</span>")
                    : behind > 0
                    ? H($"<span class=\"badge outdated\">{ui.T("doc.outdated")}</span> {ui.T("doc.behind", behind)}")
                    : H($"<span class=\"badge current\">{ui.T("doc.up-to-date")}</span>");
                var links = new List<Markup>();
                if (latest) links.Add(H($"<a href=\"{ContentLink(view.Id, t.SourceRevision, t.Language)}\" download>{ui.T("doc.download")}</a>"));
                if (latest && behind > 0)
                    links.Add(H($"<a href=\"/documents/{view.Id}/compare{Query(("from", t.SourceRevision.ToString(CultureInfo.InvariantCulture)), ("to", view.Revision.ToString(CultureInfo.InvariantCulture)))}\">{ui.T("doc.source-vs-current")}</a>"));
                if (i + 1 < ordered.Count)
                    links.Add(H($"<a href=\"/documents/{view.Id}/compare{Query(("a", ordered[i + 1].Version.ToString(CultureInfo.InvariantCulture)), ("b", t.Version.ToString(CultureInfo.InvariantCulture)))}\">{ui.T("doc.compare-translation-previous")}</a>"));
                return H($"""
                    <tr id="translation-{t.Version}">
                    <th scope="row" lang="{t.Language}">{t.Language}{(ordered.Count > 1 ? H($" <span class=\"hint\" lang=\"{ui.Language}\">#{ordered.Count - i}</span>") : Markup.Empty)}</th>
                    <td data-label="{ui.T("doc.source-revision")}"><a href="/documents/{view.Id}?revision={t.SourceRevision}#text">{ui.T("doc.revision-n", t.SourceRevision)}</a></td>
                    <td data-label="{ui.T("doc.status")}">{status}</td>
                    <td data-label="{ui.T("doc.translator")}">{t.Translator} <span class="hint">({ui.T("method." + t.Method)})</span></td>
                    <td data-label="{ui.T("doc.recorded")}">{Time(t.RecordedAt, ui)} · {ui.Person(t.Actor)}</td>
                    <td data-label="{ui.T("doc.links")}">{Join(links.Select((l, k) => k == 0 ? l : H($" · {l}")))}</td>
                    </tr>
                    """);
            });
        });
        return H($"""
            <div class="table-wrap"><table class="stackable">
            <caption class="visually-hidden">{ui.T("doc.translations")}</caption>
            <thead><tr><th scope="col">{ui.T("doc.language")}</th><th scope="col">{ui.T("doc.source-revision")}</th><th scope="col">{ui.T("doc.status")}</th>
            <th scope="col">{ui.T("doc.translator")}</th><th scope="col">{ui.T("doc.recorded")}</th><th scope="col">{ui.T("doc.links")}</th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            """);
    }

    private static Markup Verifications(UiContext ui, DocumentView view)
    {
        if (view.Verifications.Count == 0) return H($"<p>{ui.T("doc.no-verifications")}</p>");
        var rows = view.Verifications.OrderByDescending(v => v.Version).Select(v => H($"""
            <tr>
            <th scope="row">{DocumentsPage.VerdictBadge(ui, v.Verdict)}</th>
            <td data-label="{ui.T("doc.of")}">{ui.T("doc.revision-n", v.Revision)}{(v.Language is null ? "" : " · ")}<span lang="{v.Language}">{v.Language}</span></td>
            <td data-label="{ui.T("doc.claim")}">{(v.Claim is null ? H($"<span class=\"hint\">{ui.T("doc.whole-text")}</span>") : H($"<q lang=\"{v.Language ?? view.Language}\">{v.Claim.Quote}</q>"))}</td>
            <td data-label="{ui.T("doc.method")}">{v.Method}</td>
            <td data-label="{ui.T("doc.evidence")}">{Join(v.Evidence.Select(e => H($"{ExternalLink(e)}<br>")))}{(v.Notes is null ? Markup.Empty : H($"<p class=\"hint\">{v.Notes}</p>"))}</td>
            <td data-label="{ui.T("doc.recorded")}">{Time(v.VerifiedAt, ui)} · {v.VerifiedBy}</td>
            </tr>
            """));
        return H($"""
            <div class="table-wrap"><table class="stackable">
            <caption class="visually-hidden">{ui.T("doc.verifications")}</caption>
            <thead><tr><th scope="col">{ui.T("doc.verdict")}</th><th scope="col">{ui.T("doc.of")}</th><th scope="col">{ui.T("doc.claim")}</th>
            <th scope="col">{ui.T("doc.method")}</th><th scope="col">{ui.T("doc.evidence")}</th><th scope="col">{ui.T("doc.recorded")}</th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            """);
    }

    private static Markup Timeline(UiContext ui, DocumentView view, IReadOnlyList<HistoryEntry> history, IReadOnlySet<long?> unproved)
    {
        var names = ui.Http.RequestServices.GetRequiredService<EventStore.EventTypeNames>();
        var (ingested, edited, translated, verified) =
            (names.Of<DocumentIngested>(), names.Of<DocumentEdited>(), names.Of<DocumentTranslated>(), names.Of<DocumentVerified>());
        var items = history.Select(h =>
        {
            var what = h.Type == ingested ? ui.T("event.ingested")
                : h.Type == edited ? ui.T("event.edited", h.Revision)
                : h.Type == translated ? ui.T("event.translated", h.Language ?? "", h.Revision)
                : h.Type == verified ? ui.T("event.verified", ui.T("verdict." + h.Verdict), h.Revision)
                : h.Type;
            var links = h.Type == ingested || h.Type == edited ? H($"<a href=\"{ContentLink(view.Id, h.Revision, null)}\" download>{ui.T("doc.download-revision", h.Revision)}</a>{(h.Revision > 1 ? H($" · <a href=\"/documents/{view.Id}/compare?from={h.Revision - 1}&amp;to={h.Revision}\">{ui.T("doc.compare-previous")}</a>") : Markup.Empty)}")
                : h.Type == translated ? H($"<a href=\"{ContentLink(view.Id, h.Revision, h.Language)}\" download>{ui.T("doc.download")}</a> · <a href=\"/documents/{view.Id}?revision={h.Revision}#text\">{ui.T("doc.source-revision-n", h.Revision)}</a>")
                : Markup.Empty;
            return H($"""
                <li id="event-{h.Version}">
                <p class="what">{what}{(h.Language is not null && h.Type == ingested ? H($" <span class=\"hint\">({h.Language})</span>") : Markup.Empty)}{(unproved.Contains(h.Version) ? H($" <span class=\"badge bad\">{ui.T("event.ledger-mismatch")}</span>") : Markup.Empty)}</p>
                <p class="meta">{Time(h.Timestamp, ui)} · {ui.T("event.by")} <strong>{ui.Person(h.Actor)}</strong></p>
                {(h.Reason is null ? Markup.Empty : H($"<p class=\"why\"><span class=\"visually-hidden\">{ui.T("event.why")} </span>“{h.Reason}”</p>"))}
                {(h.ClaimQuote is null ? Markup.Empty : H($"<p>{ui.T("doc.claim")}: <q lang=\"{h.Language ?? view.Language}\">{h.ClaimQuote}</q></p>"))}
                <p>{links}</p>
                </li>
                """);
        });
        return H($"<ol class=\"timeline\" aria-label=\"{ui.T("doc.timeline")}\">{items}</ol>");
    }

    private static Markup Revisions(UiContext ui, DocumentView view, IReadOnlyList<RevisionRecord> revisions)
    {
        var rows = revisions.Select(r => H($"""
            <tr>
            <th scope="row"><a href="/documents/{view.Id}?revision={r.Revision}#text">{ui.T("doc.revision-n", r.Revision)}</a></th>
            <td data-label="{ui.T("doc.recorded")}">{Time(r.RecordedAt, ui)} · {ui.Person(r.Actor)}</td>
            <td data-label="{ui.T("doc.changes")}">{(r.Revision == 1 ? "—" : $"+{r.LinesAdded} −{r.LinesRemoved}")}</td>
            <td data-label="{ui.T("doc.reason")}">{r.Reason}</td>
            <td data-label="{ui.T("doc.links")}"><a href="{ContentLink(view.Id, r.Revision, null)}" download>{ui.T("doc.download")}</a></td>
            </tr>
            """));
        Markup Options(int selected) => Join(revisions.Select(r => r.Revision == selected
            ? H($"<option value=\"{r.Revision}\" selected>{r.Revision}</option>")
            : H($"<option value=\"{r.Revision}\">{r.Revision}</option>")));
        return H($"""
            <div class="table-wrap"><table class="stackable">
            <caption class="visually-hidden">{ui.T("doc.revisions")}</caption>
            <thead><tr><th scope="col">{ui.T("doc.revision")}</th><th scope="col">{ui.T("doc.recorded")}</th><th scope="col">{ui.T("doc.changes")}</th>
            <th scope="col">{ui.T("doc.reason")}</th><th scope="col">{ui.T("doc.links")}</th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            <form method="get" action="/documents/{view.Id}/compare" class="filters" aria-label="{ui.T("doc.compare")}">
            <div class="field"><label for="cmp-from">{ui.T("compare.from")}</label><select id="cmp-from" name="from">{Options(Math.Max(1, view.Revision - 1))}</select></div>
            <div class="field"><label for="cmp-to">{ui.T("compare.to")}</label><select id="cmp-to" name="to">{Options(view.Revision)}</select></div>
            <div><button type="submit" class="secondary">{ui.T("doc.compare")}</button></div>
            </form>
            """);
    }

    public static bool CanEdit(UiContext ui) => ui.Can(Roles.Contributor);
}
