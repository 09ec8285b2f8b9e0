using System.Globalization;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Audit;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using static Provenance.Api.Web.Html;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Web;

/// <summary>The list of documents (filter by language, verdict, updated since; title match) and full-text search with snippets.</summary>
public static class DocumentsPage
{
    public const int PageSize = 25;

    public static async Task<IResult> Get(HttpContext http, IQuerySession session, Archives archives, IOptions<ProvenanceOptions> options)
    {
        var dataSource = archives.Current.DataSource;
        var ui = UiContext.For(http);
        var query = http.Request.Query;
        string? Param(string name) => string.IsNullOrWhiteSpace(query[name]) ? null : query[name].ToString().Trim();
        var q = Param("q");
        var fullText = Param("in") == "text";
        var language = Param("language");
        var verdict = Param("verdict");
        var since = Param("since");
        var cursor = Param("cursor");

        var errors = new Dictionary<string, string[]>();
        string? tag = null;
        if (language is not null)
        {
            var (parsed, error) = Languages.Parse(language);
            if (error is not null) errors["language"] = [error];
            tag = parsed;
        }
        if (verdict is not null && !Verdicts.All.Contains(verdict)) errors["verdict"] = [$"'verdict' must be one of: {string.Join(", ", Verdicts.All)}."];
        DateTimeOffset? updatedSince = null;
        if (since is not null)
        {
            if (DateTime.TryParseExact(since, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var day))
                updatedSince = new DateTimeOffset(day, TimeSpan.Zero);
            else errors["since"] = ["'since' must be a date (YYYY-MM-DD)."];
        }
        if (q is { Length: > 200 }) errors["q"] = ["'q' must be at most 200 characters."];
        ListPosition? after = null;
        if (cursor is not null)
        {
            if (ListPosition.Decode(cursor) is { } position) after = position;
            else errors["cursor"] = ["'cursor' is not a cursor this API issued."];
        }

        var filters = Filters(ui, q, fullText, language, verdict, since, errors);
        Markup results;
        if (errors.Count > 0)
        {
            results = Markup.Empty;
        }
        else if (fullText && q is not null)
        {
            var hits = await SearchEndpoint.QueryAsync(dataSource, options.Value.Schema, q, tag, 50, 0, http.RequestAborted,
                Documents.ErasedReads.SeesWithdrawn(http.User));
            results = SearchResults(ui, q, hits);
        }
        else
        {
            var (page, next) = await ListDocumentsEndpoint.QueryAsync(session, new DocumentFilter(tag, verdict, q, updatedSince, Documents.ErasedReads.SeesWithdrawn(http.User)), after, PageSize,
                http.RequestAborted);
            results = List(ui, page, next);
        }
        var body = H($"""
            <h1>{ui.T("documents.title")}</h1>
            {filters}
            {results}
            """);
        return Layout.Page(ui, ui.T("documents.title"), body, errors.Count > 0 ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status200OK);
    }

    private static Markup Filters(UiContext ui, string? q, bool fullText, string? language, string? verdict, string? since,
        Dictionary<string, string[]> errors)
    {
        Markup Option(string value, string label, string? selected) => value == selected
            ? H($"<option value=\"{value}\" selected>{label}</option>")
            : H($"<option value=\"{value}\">{label}</option>");
        var verdicts = Verdicts.All.Order(StringComparer.Ordinal).Select(v => Option(v, ui.T("verdict." + v), verdict));
        return H($"""
            <search>
            <form method="get" action="/documents" class="filters" role="search" aria-label="{ui.T("documents.filters")}">
            {Layout.Errors(ui, errors)}
            <div class="field"><label for="q">{ui.T("documents.q")}</label><input id="q" name="q" type="search" value="{q}" maxlength="200"></div>
            <div class="field"><label for="in">{ui.T("documents.in")}</label>
            <select id="in" name="in">{Option("titles", ui.T("documents.in.titles"), fullText ? "text" : "titles")}{Option("text", ui.T("documents.in.text"), fullText ? "text" : "titles")}</select></div>
            <div class="field"><label for="language">{ui.T("documents.language")}</label><input id="language" name="language" value="{language}" size="8" placeholder="fr, en-GB"></div>
            <div class="field"><label for="verdict">{ui.T("documents.verdict")}</label>
            <select id="verdict" name="verdict"><option value="">{ui.T("documents.any")}</option>{verdicts}</select></div>
            <div class="field"><label for="since">{ui.T("documents.since")}</label><input id="since" name="since" type="date" value="{since}"></div>
            <div><button type="submit">{ui.T("documents.apply")}</button></div>
            </form>
            </search>
            """);
    }

    private static Markup List(UiContext ui, IReadOnlyList<DocumentView> page, string? next)
    {
        if (page.Count == 0) return H($"<p>{ui.T("documents.none")}</p>");
        var rows = page.Select(d => H($"""
            <tr>
            <th scope="row"><a href="/documents/{d.Id}">{d.Title}</a></th>
            <td data-label="{ui.T("documents.language")}">{d.Language}</td>
            <td data-label="{ui.T("doc.revision")}">{d.Revision}</td>
            <td data-label="{ui.T("doc.translations")}">{Join(d.Translations.Select(t => TranslationBadge(ui, t, d.Revision)))}</td>
            <td data-label="{ui.T("documents.verdict")}">{Join(d.Verdicts.Select(v => VerdictBadge(ui, v)))}</td>
            <td data-label="{ui.T("documents.updated")}">{Time(d.UpdatedAt, ui)}</td>
            </tr>
            """));
        var nextLink = next is null ? Markup.Empty : H($"<nav class=\"pager\" aria-label=\"{ui.T("pager.label")}\"><a href=\"{NextUrl(ui, next)}\" rel=\"next\">{ui.T("pager.next")}</a></nav>");
        return H($"""
            <div class="table-wrap"><table class="stackable">
            <caption>{ui.T("documents.caption")}</caption>
            <thead><tr><th scope="col">{ui.T("documents.doc-title")}</th><th scope="col">{ui.T("documents.language")}</th><th scope="col">{ui.T("doc.revision")}</th>
            <th scope="col">{ui.T("doc.translations")}</th><th scope="col">{ui.T("documents.verdict")}</th><th scope="col">{ui.T("documents.updated")}</th></tr></thead>
            <tbody>{rows}</tbody>
            </table></div>
            {nextLink}
            """);
    }

    private static string NextUrl(UiContext ui, string next)
    {
        var query = ui.Http.Request.Query.Where(p => p.Key != "cursor").Select(p => (p.Key, (string?)p.Value.ToString())).Append(("cursor", next));
        return "/documents" + Query(query.ToArray());
    }

    private static Markup SearchResults(UiContext ui, string q, IReadOnlyList<SearchHit> hits)
    {
        if (hits.Count == 0) return H($"<p role=\"status\">{ui.T("search.none", q)}</p>");
        var items = hits.Select(h => H($"""
            <li>
            <h2 class="hit"><a href="/documents/{h.DocumentId}{(h.Kind == SearchIndex.Translation ? Query(("revision", h.Revision.ToString(CultureInfo.InvariantCulture))) : "")}">{h.Title}</a></h2>
            <p class="meta">{(h.Kind == SearchIndex.Translation ? ui.T("search.in-translation", h.Language, h.Revision) : ui.T("search.in-revision", h.Revision, h.Language))}</p>
            <p lang="{h.Language}">{Snippet(h.Snippet)}</p>
            </li>
            """));
        return H($"""
            <p role="status">{ui.T("search.count", hits.Count, q)}</p>
            <ol class="results">{items}</ol>
            """);
    }

    public static Markup TranslationBadge(UiContext ui, TranslationState t, int currentRevision)
        => t.SourceRevision < currentRevision
            ? H($"<span class=\"badge outdated\" title=\"{ui.T("doc.outdated.title", t.SourceRevision, currentRevision)}\">{t.Language} · {ui.T("doc.outdated")}</span> ")
            : H($"<span class=\"badge current\">{t.Language}</span> ");

    public static Markup VerdictBadge(UiContext ui, string verdict) => H($"<span class=\"badge {verdict}\">{ui.T("verdict." + verdict)}</span> ");
}
