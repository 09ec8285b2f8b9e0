using System.Globalization;
using Marten;
using Provenance.Api.Audit;
using Provenance.Api.Documents;
using Provenance.Api.Http;
using static Provenance.Api.Web.Html;

namespace Provenance.Api.Web;

/// <summary>The cross-document audit log for auditors, with the API's filters and a CSV download of the same selection.</summary>
public static class AuditPage
{
    public const int PageSize = 50;
    private const int TitleLength = 70, ReasonLength = 160;

    private static (AuditFilter? Filter, FieldErrors Errors) Parse(HttpContext http)
    {
        var query = http.Request.Query;
        string? Param(string name) => string.IsNullOrWhiteSpace(query[name]) ? null : query[name].ToString().Trim();
        var errors = new FieldErrors();
        var types = HistoryEndpoint.ParseTypes(Param("type"), http.RequestServices.GetRequiredService<EventStore.EventTypeNames>(), errors);
        DateTimeOffset? Day(string name, int addDays)
        {
            if (Param(name) is not { } text) return null;
            if (DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d))
                return new DateTimeOffset(d, TimeSpan.Zero).AddDays(addDays);
            errors.Add(name, $"'{name}' must be a date (YYYY-MM-DD).");
            return null;
        }
        var from = Day("from", 0);
        var to = Day("to", 1);
        errors.Optional("actor", Param("actor"), 200);
        Guid? document = null;
        if (Param("document") is { } d)
        {
            if (Guid.TryParse(d, out var parsed)) document = parsed;
            else errors.Add("document", "'document' must be a document id (a UUID).");
        }
        // The page reads newest first, so its cursor is the oldest sequence shown (the API's 'after' reads in ledger order).
        long before = long.MaxValue;
        if (Param("before") is { } b)
        {
            if (Cursors.Decode(b) is { } p) before = p;
            else errors.Add("before", "'before' is not a cursor this page issued.");
        }
        return errors.Any ? (null, errors) : (new AuditFilter(Param("actor"), types, document, from, to, before), errors);
    }

    public static async Task<IResult> Get(HttpContext http, IQuerySession session)
    {
        var ui = UiContext.For(http);
        var (filter, errors) = Parse(http);
        Markup results = Markup.Empty;
        if (filter is not null)
        {
            var rows = await NewestFirst(session.Query<AuditEntry>(), filter).Take(PageSize + 1).ToListAsync(http.RequestAborted);
            var page = rows.Take(PageSize).ToList();
            var next = rows.Count > PageSize ? Cursors.Encode(page[^1].Id) : null;
            var ids = page.Select(e => e.DocumentId).Distinct().ToArray();
            var titles = ids.Length == 0 ? new Dictionary<Guid, DocumentView>()
                : (await session.LoadManyAsync<DocumentView>(http.RequestAborted, ids)).ToDictionary(d => d.Id);
            await ui.KnowPeopleAsync(session, page.Select(e => e.Actor));
            results = Table(ui, page, next, titles);
        }
        var q = http.Request.Query;
        var csv = "/audit/export.csv" + Query(("actor", q["actor"]), ("type", q["type"]), ("document", q["document"]), ("from", q["from"]), ("to", q["to"]));
        var names = http.RequestServices.GetRequiredService<EventStore.EventTypeNames>();
        // The stored type name is the filter's value and names its label (strings "type.<stored name>").
        Markup TypeOption<T>() => names.Of<T>() is var value && value == q["type"].ToString()
            ? H($"<option value=\"{value}\" selected>{ui.T("type." + value)}</option>") : H($"<option value=\"{value}\">{ui.T("type." + value)}</option>");
        var body = H($"""
            <h1>{ui.T("audit.title")}</h1>
            <p>{ui.T("audit.intro")}</p>
            <form method="get" action="/audit" class="filters" aria-label="{ui.T("documents.filters")}">
            {Layout.Errors(ui, errors.Any ? errors.ToDictionary() : null)}
            <div class="field"><label for="actor">{ui.T("audit.actor")}</label><input id="actor" name="actor" value="{q["actor"]}"></div>
            <div class="field"><label for="type">{ui.T("audit.type")}</label><select id="type" name="type"><option value="">{ui.T("documents.any")}</option>
            {TypeOption<DocumentIngested>()}{TypeOption<DocumentEdited>()}{TypeOption<DocumentTranslated>()}{TypeOption<DocumentVerified>()}</select></div>
            <div class="field"><label for="document">{ui.T("audit.document")}</label><input id="document" name="document" value="{q["document"]}" size="36" spellcheck="false"></div>
            <div class="field"><label for="from">{ui.T("audit.from")}</label><input id="from" name="from" type="date" value="{q["from"]}"></div>
            <div class="field"><label for="to">{ui.T("audit.to")}</label><input id="to" name="to" type="date" value="{q["to"]}"></div>
            <div><button type="submit">{ui.T("documents.apply")}</button></div>
            </form>
            <p><a class="button secondary" href="{csv}" download>{ui.T("audit.csv")}</a></p>
            {results}
            """);
        return Layout.Page(ui, ui.T("audit.title"), body, errors.Any ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status200OK);
    }

    /// <summary>The filter's selection, newest first, older than the page's cursor (<see cref="AuditFilter.After"/> holds it here).</summary>
    private static IQueryable<AuditEntry> NewestFirst(IQueryable<AuditEntry> query, AuditFilter filter)
    {
        var before = filter.After;
        query = query.Where(e => e.Id < before);
        if (filter.Actor is { } actor) query = query.Where(e => e.Actor == actor);
        if (filter.Types is { } types) query = query.Where(e => e.Type.IsOneOf(types));
        if (filter.Document is { } document) query = query.Where(e => e.DocumentId == document);
        if (filter.From is { } from) query = query.Where(e => e.Timestamp >= from);
        if (filter.To is { } to) query = query.Where(e => e.Timestamp < to);
        return query.OrderByDescending(e => e.Id);
    }

    public static IResult Csv(HttpContext http, IQuerySession session)
    {
        var (parsed, errors) = Parse(http);
        if (parsed is null) return Problems.Invalid(errors);
        var filter = parsed with { After = 0 };
        http.Response.Headers.ContentDisposition = "attachment; filename=\"provenance-audit.csv\"";
        return AuditLogEndpoint.CsvExport(session, filter);
    }

    private static Markup Table(UiContext ui, IReadOnlyList<AuditEntry> page, string? next, IReadOnlyDictionary<Guid, DocumentView> titles)
    {
        if (page.Count == 0) return H($"<p role=\"status\">{ui.T("audit.none")}</p>");
        var rows = page.Select(e =>
        {
            // Long titles and reasons are shortened at a word, in full a hover (or the event's page) away, so a row stays a line or two.
            var title = titles.TryGetValue(e.DocumentId, out var d)
                ? H($"<a href=\"/documents/{e.DocumentId}\" lang=\"{d.Language}\" title=\"{d.Title}\">{DocumentPage.Shorten(d.Title, TitleLength)}</a>")
                : H($"<a href=\"/documents/{e.DocumentId}\"><code>{e.DocumentId}</code></a>");
            return H($"""
                <tr>
                <th scope="row"><a href="/documents/{e.DocumentId}#event-{e.Version}" aria-label="{ui.T("audit.event-link", e.Id)}">{e.Id}</a></th>
                <td data-label="{ui.T("audit.when")}" class="when">{Time(e.Timestamp, ui)}</td>
                <td data-label="{ui.T("audit.type")}">{ui.T("type." + e.Type)}</td>
                <td data-label="{ui.T("audit.document")}">{title} <span class="hint">· r{e.Revision}{(e.Language is null ? "" : " · " + e.Language)}</span></td>
                <td data-label="{ui.T("audit.actor")}">{ui.Person(e.Actor)}</td>
                <td data-label="{ui.T("doc.reason")}"{(e.Reason is { Length: > ReasonLength } ? H($" title=\"{e.Reason}\"") : Markup.Empty)}>{(e.Reason is null ? "" : DocumentPage.Shorten(e.Reason, ReasonLength))}{(e.Verdict is null ? Markup.Empty : H($" {DocumentsPage.VerdictBadge(ui, e.Verdict)}"))}</td>
                </tr>
                """);
        });
        var nextLink = next is null ? Markup.Empty
            : H($"<nav class=\"pager\" aria-label=\"{ui.T("pager.label")}\"><a rel=\"next\" href=\"/audit{Query(ui.Http.Request.Query.Where(p => p.Key != "before").Select(p => (p.Key, (string?)p.Value.ToString())).Append(("before", next)).ToArray())}\">{ui.T("audit.older")}</a></nav>");
        return H($"""
            <div class="table-wrap"><table class="stackable audit">
            <caption>{ui.T("audit.caption-newest")}</caption>
            <thead><tr><th scope="col">{ui.T("audit.sequence")}</th><th scope="col">{ui.T("audit.when")}</th><th scope="col">{ui.T("audit.type")}</th>
            <th scope="col">{ui.T("audit.document")}</th><th scope="col">{ui.T("audit.actor")}</th><th scope="col">{ui.T("doc.reason")}</th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            {nextLink}
            """);
    }
}
