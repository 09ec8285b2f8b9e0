using System.Globalization;
using Marten;
using Provenance.Api.Documents;
using static Provenance.Api.Web.Html;

namespace Provenance.Api.Web;

/// <summary>Two revisions (or their translations) side by side or inline, with word-level highlights inside changed lines.</summary>
public static class ComparePage
{
    public static async Task<IResult> Get(Guid id, HttpContext http, IQuerySession session, ContentStore contents)
    {
        var ui = UiContext.For(http);
        var ct = http.RequestAborted;
        var view = await session.LoadAsync<DocumentView>(id, ct);
        if (view is null) return WebErrors.NotFound(ui, ui.T("doc.not-found", id));
        var query = http.Request.Query;
        int Revision(string name, int fallback) => int.TryParse(query[name], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : fallback;
        var from = Revision("from", Math.Max(1, view.Revision - 1));
        var to = Revision("to", view.Revision);
        var inline = query["view"] == "inline";
        var language = string.IsNullOrWhiteSpace(query["language"]) ? null : query["language"].ToString();
        if (language is not null && Languages.Matches(language, view.Language)) language = null;

        var records = http.RequestServices.GetRequiredService<DocumentRecords>();
        var languages = new[] { view.Language }.Concat(view.Translations.Select(t => t.Language)).ToList();
        var form = Form(ui, view, from, to, language, inline, languages);
        var (left, leftProblem) = await DiffEndpoint.SideAsync(records, view, from, language, ct);
        var (right, rightProblem) = await DiffEndpoint.SideAsync(records, view, to, language, ct);
        Markup result;
        var status = StatusCodes.Status200OK;
        if (left is null || right is null)
        {
            status = StatusCodes.Status404NotFound;
            var missing = left is null ? from : to;
            result = Layout.Notice(language is null ? ui.T("compare.no-revision", missing, view.Revision) : ui.T("compare.no-translation", language, missing), "bad");
        }
        else
        {
            var computed = await DiffEndpoint.ComputeAsync(id, left, right, contents, ct);
            result = Render(ui, computed.Diff, inline, language ?? view.Language);
        }
        var title = ui.T("compare.title", from, to);
        var body = H($"""
            <p class="meta"><a href="/documents/{id}">{view.Title}</a></p>
            <h1>{title}{(language is null ? "" : $" ({language})")}</h1>
            {form}
            {result}
            """);
        return Layout.Page(ui, $"{title} · {view.Title}", body, status);
    }

    private static Markup Form(UiContext ui, DocumentView view, int from, int to, string? language, bool inline, IReadOnlyList<string> languages)
    {
        Markup Options(int selected) => Join(Enumerable.Range(1, view.Revision).Select(r => r == selected
            ? H($"<option value=\"{r}\" selected>{r}</option>") : H($"<option value=\"{r}\">{r}</option>")));
        var languageOptions = Join(languages.Select((l, i) =>
        {
            var value = i == 0 ? "" : l;
            var label = i == 0 ? ui.T("compare.original", l) : l;
            return value == (language ?? "") ? H($"<option value=\"{value}\" selected>{label}</option>") : H($"<option value=\"{value}\">{label}</option>");
        }));
        return H($"""
            <form method="get" action="/documents/{view.Id}/compare" class="filters" aria-label="{ui.T("compare.choose")}">
            <div class="field"><label for="from">{ui.T("compare.from")}</label><select id="from" name="from">{Options(from)}</select></div>
            <div class="field"><label for="to">{ui.T("compare.to")}</label><select id="to" name="to">{Options(to)}</select></div>
            <div class="field"><label for="language">{ui.T("compare.language")}</label><select id="language" name="language">{languageOptions}</select></div>
            <fieldset><legend>{ui.T("compare.view")}</legend>
            <label><input type="radio" name="view" value="side"{(inline ? Markup.Empty : new Markup(" checked"))}> {ui.T("compare.side")}</label>
            <label><input type="radio" name="view" value="inline"{(inline ? new Markup(" checked") : Markup.Empty)}> {ui.T("compare.inline")}</label>
            </fieldset>
            <div><button type="submit">{ui.T("compare.submit")}</button></div>
            </form>
            """);
    }

    private static Markup Render(UiContext ui, DocumentDiff diff, bool inline, string textLanguage)
    {
        var summary = H($"<p class=\"summary\" role=\"status\">{ui.T("compare.summary", diff.LinesAdded, diff.LinesRemoved)} <span class=\"digest\">{diff.From.ContentDigest[..19]}… → {diff.To.ContentDigest[..19]}…</span></p>");
        if (diff.Binary) return H($"{summary}{Layout.Notice(diff.Identical ? ui.T("compare.identical") : ui.T("compare.binary", diff.From.Size, diff.To.Size))}");
        if (diff.Identical || diff.Hunks.Count == 0) return H($"{summary}{Layout.Notice(ui.T("compare.identical"))}");
        var table = inline ? Inline(ui, diff, textLanguage) : SideBySide(ui, diff, textLanguage);
        return H($"{summary}<div class=\"table-wrap\">{table}</div>");
    }

    private static Markup Words(DiffLine line, bool oldSide)
        => Join((line.Words ?? []).Select(w => w.Kind switch
        {
            "equal" => H($"{w.Text}"),
            "removed" => oldSide ? H($"<del>{w.Text}</del>") : Markup.Empty,
            _ => oldSide ? Markup.Empty : H($"<ins>{w.Text}</ins>"),
        }));

    private static Markup HunkHeader(DiffHunk h, int columns)
        => H($"<tr class=\"hunk\"><td colspan=\"{columns}\">@@ −{h.OldStart},{h.OldCount} +{h.NewStart},{h.NewCount} @@</td></tr>");

    private static Markup SideBySide(UiContext ui, DocumentDiff diff, string textLanguage)
    {
        var rows = diff.Hunks.SelectMany(h => new[] { HunkHeader(h, 4) }.Concat(h.Lines.Select(l => l.Kind switch
        {
            "context" => H($"<tr><td class=\"num\">{l.OldLine}</td><td class=\"old\">{l.OldText}</td><td class=\"num\">{l.NewLine}</td><td class=\"new\">{l.NewText}</td></tr>"),
            "changed" => H($"<tr><td class=\"num\">{l.OldLine}</td><td class=\"old changed\"><span class=\"visually-hidden\">{ui.T("compare.was")} </span>{Words(l, true)}</td><td class=\"num\">{l.NewLine}</td><td class=\"new changed\"><span class=\"visually-hidden\">{ui.T("compare.now")} </span>{Words(l, false)}</td></tr>"),
            "removed" => H($"<tr><td class=\"num\">{l.OldLine}</td><td class=\"old removed\"><del>{l.OldText}</del></td><td class=\"num\"></td><td class=\"new\"></td></tr>"),
            _ => H($"<tr><td class=\"num\"></td><td class=\"old\"></td><td class=\"num\">{l.NewLine}</td><td class=\"new added\"><ins>{l.NewText}</ins></td></tr>"),
        })));
        return H($"""
            <table class="diff side" lang="{textLanguage}">
            <caption class="visually-hidden">{ui.T("compare.side")}</caption>
            <colgroup><col class="num"><col><col class="num"><col></colgroup>
            <thead><tr><th scope="col" class="num">#</th><th scope="col">{ui.T("compare.revision-n", diff.From.Revision)}</th><th scope="col" class="num">#</th><th scope="col">{ui.T("compare.revision-n", diff.To.Revision)}</th></tr></thead>
            <tbody>{rows}</tbody>
            </table>
            """);
    }

    private static Markup Inline(UiContext ui, DocumentDiff diff, string textLanguage)
    {
        Markup Row(string kind, int? oldLine, int? newLine, string sign, Markup text)
            => H($"<tr class=\"{kind}\"><td class=\"num\">{oldLine}</td><td class=\"num\">{newLine}</td><td class=\"sign\" aria-hidden=\"true\">{sign}</td><td class=\"text\">{text}</td></tr>");
        var rows = diff.Hunks.SelectMany(h => new[] { HunkHeader(h, 4) }.Concat(h.Lines.SelectMany(l => l.Kind switch
        {
            "context" => [Row("context", l.OldLine, l.NewLine, " ", H($"{l.OldText}"))],
            "changed" => new[]
            {
                Row("removed", l.OldLine, null, "−", H($"<span class=\"visually-hidden\">{ui.T("compare.was")} </span>{Words(l, true)}")),
                Row("added", null, l.NewLine, "+", H($"<span class=\"visually-hidden\">{ui.T("compare.now")} </span>{Words(l, false)}")),
            },
            "removed" => [Row("removed", l.OldLine, null, "−", H($"<del>{l.OldText}</del>"))],
            _ => [Row("added", null, l.NewLine, "+", H($"<ins>{l.NewText}</ins>"))],
        })));
        return H($"""
            <table class="diff inline" lang="{textLanguage}">
            <caption class="visually-hidden">{ui.T("compare.inline")}</caption>
            <colgroup><col class="num"><col class="num"><col class="sign"><col></colgroup>
            <thead><tr><th scope="col" class="num">{diff.From.Revision}</th><th scope="col" class="num">{diff.To.Revision}</th><th scope="col" class="sign"><span class="visually-hidden">±</span></th><th scope="col">{ui.T("compare.text")}</th></tr></thead>
            <tbody>{rows}</tbody>
            </table>
            """);
    }
}
