using System.Globalization;
using System.Text;
using Marten;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Ledger;
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
        var unproved = await LeafCheck.OfDocumentAsync(services.GetRequiredService<LedgerDatabase>(), id, asOf, ct);
        var flagged = unproved.Select(m => m.Version).ToHashSet();

        var readOnly = asOf is not null;
        var body = H($"""
            <h1 lang="{view.Language}">{view.Title}</h1>
            <p class="meta">{ui.T("doc.summary", view.Revision, view.Language, ui.FormatTime(view.UpdatedAt), view.UpdatedBy)}</p>
            {(ui.Http.Request.Query["done"].ToString() is { Length: > 0 } done && Strings.Keys.Contains("done." + done) ? Layout.Notice(ui.T("done." + done), "success") : Markup.Empty)}
            {When(asOf is not null, Layout.Notice(ui.T("doc.as-of-notice", asOf is { } a ? ui.FormatTime(a) : ""), "warn"))}
            {Join(unproved.Select(m => Layout.Notice(ui.T("doc.ledger-mismatch", m.Version ?? 0, m.Sequence ?? 0), "bad")))}
            <div class="actions">
            <a href="/documents/{id}/lineage">{ui.T("doc.lineage")}</a>
            <a href="/documents/{id}/compare{Query(("from", Math.Max(1, view.Revision - 1).ToString(CultureInfo.InvariantCulture)), ("to", view.Revision.ToString(CultureInfo.InvariantCulture)))}">{ui.T("doc.compare")}</a>
            <a href="/documents/{id}/integrity">{ui.T("doc.integrity")}</a>
            {When(asOf is not null, H($"<a href=\"/documents/{id}\">{ui.T("doc.back-to-current")}</a>"))}
            </div>
            {AsOfForm(ui, id, asOf, form)}
            <h2 id="metadata">{ui.T("doc.metadata")}</h2>
            {Metadata(ui, view)}
            <h2 id="text">{(shown is not null && shown.Revision != view.Revision ? ui.T("doc.text-of-revision", shown.Revision, view.Revision) : ui.T("doc.text"))}</h2>
            {Text(ui, view, shown, text, truncated, damaged)}
            <h2 id="translations">{ui.T("doc.translations")}</h2>
            {Translations(ui, view)}
            <h2 id="verifications">{ui.T("doc.verifications")}</h2>
            {Verifications(ui, view)}
            <h2 id="timeline">{ui.T("doc.timeline")}</h2>
            {Timeline(ui, view, history, flagged)}
            <h2 id="revisions">{ui.T("doc.revisions")}</h2>
            {Revisions(ui, view, revisions)}
            {When(!readOnly, DocumentForms.For(ui, view, revisions, text, form))}
            """);
        return Layout.Page(ui, view.Title, body, status);
    }

    private static Markup AsOfForm(UiContext ui, Guid id, DateTimeOffset? asOf, FormState? form)
    {
        var errors = form?.Form == "asof" ? form.Errors : null;
        var value = asOf?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture) ?? "";
        return H($"""
            <form method="get" action="/documents/{id}" class="filters" aria-label="{ui.T("doc.as-of")}">
            {Layout.Errors(ui, errors)}
            <div class="field"><label for="asOf">{ui.T("doc.as-of")} <span class="hint">(UTC)</span></label>
            <input id="asOf" name="asOf" type="datetime-local" value="{value}"></div>
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

    private static Markup Translations(UiContext ui, DocumentView view)
    {
        if (view.Translations.Count == 0) return H($"<p>{ui.T("doc.no-translations")}</p>");
        var rows = view.Translations.Select(t =>
        {
            var behind = view.Revision - t.SourceRevision;
            var status = behind > 0
                ? H($"<span class=\"badge outdated\">{ui.T("doc.outdated")}</span> {ui.T("doc.behind", behind)}")
                : H($"<span class=\"badge current\">{ui.T("doc.up-to-date")}</span>");
            var compare = behind > 0
                ? H($" · <a href=\"/documents/{view.Id}/compare{Query(("from", t.SourceRevision.ToString(CultureInfo.InvariantCulture)), ("to", view.Revision.ToString(CultureInfo.InvariantCulture)))}\">{ui.T("doc.source-vs-current")}</a>")
                : Markup.Empty;
            return H($"""
                <tr>
                <th scope="row" lang="{t.Language}">{t.Language}</th>
                <td data-label="{ui.T("doc.source-revision")}"><a href="/documents/{view.Id}?revision={t.SourceRevision}#text">{ui.T("doc.revision-n", t.SourceRevision)}</a></td>
                <td data-label="{ui.T("doc.status")}">{status}</td>
                <td data-label="{ui.T("doc.translator")}">{t.Translator} <span class="hint">({ui.T("method." + t.Method)})</span></td>
                <td data-label="{ui.T("doc.recorded")}">{Time(t.TranslatedAt, ui)} · {t.TranslatedBy}</td>
                <td data-label="{ui.T("doc.links")}"><a href="{ContentLink(view.Id, t.SourceRevision, t.Language)}" download>{ui.T("doc.download")}</a>{compare}</td>
                </tr>
                """);
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
        var items = history.Select(h =>
        {
            var what = h.Type switch
            {
                "document_ingested" => ui.T("event.ingested"),
                "document_edited" => ui.T("event.edited", h.Revision),
                "document_translated" => ui.T("event.translated", h.Language ?? "", h.Revision),
                "document_verified" => ui.T("event.verified", ui.T("verdict." + h.Verdict), h.Revision),
                _ => h.Type,
            };
            var links = h.Type switch
            {
                "document_ingested" or "document_edited" => H($"<a href=\"{ContentLink(view.Id, h.Revision, null)}\" download>{ui.T("doc.download-revision", h.Revision)}</a>{(h.Revision > 1 ? H($" · <a href=\"/documents/{view.Id}/compare?from={h.Revision - 1}&amp;to={h.Revision}\">{ui.T("doc.compare-previous")}</a>") : Markup.Empty)}"),
                "document_translated" => H($"<a href=\"{ContentLink(view.Id, h.Revision, h.Language)}\" download>{ui.T("doc.download")}</a> · <a href=\"/documents/{view.Id}?revision={h.Revision}#text\">{ui.T("doc.source-revision-n", h.Revision)}</a>"),
                _ => Markup.Empty,
            };
            return H($"""
                <li id="event-{h.Version}">
                <p class="what">{what}{(h.Language is not null && h.Type == "document_ingested" ? H($" <span class=\"hint\">({h.Language})</span>") : Markup.Empty)}{(unproved.Contains(h.Version) ? H($" <span class=\"badge bad\">{ui.T("event.ledger-mismatch")}</span>") : Markup.Empty)}</p>
                <p class="meta">{Time(h.Timestamp, ui)} · {ui.T("event.by")} <strong>{h.Actor}</strong></p>
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
            <td data-label="{ui.T("doc.recorded")}">{Time(r.RecordedAt, ui)} · {r.Actor}</td>
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
