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
        var translations = (await records.AllAsync(id, ct)).Translations;
        if (query.ContainsKey("a") || query.ContainsKey("b")) return await TranslationsAsync(ui, view, translations, inline, contents);
        var form = H($"{Form(ui, view, from, to, language, inline, languages)}{TranslationForm(ui, view, translations, null, null, inline)}");
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
            <p class="meta"><a href="/documents/{id}" title="{view.Title}">← {DocumentPage.Shorten(view.Title, 90)}</a></p>
            <h1>{title}{(language is null ? "" : $" ({language})")}</h1>
            {form}
            {result}
            """);
        return Layout.Page(ui, $"{title} · {view.Title}", body, status);
    }

    /// <summary>How a translation is named where several exist: its language, its place among them, its method and translator.</summary>
    public static string TranslationName(UiContext ui, TranslationRecord t, IReadOnlyList<TranslationRecord> all)
    {
        var same = all.Where(o => string.Equals(o.Language, t.Language, StringComparison.OrdinalIgnoreCase)).OrderBy(o => o.Version).ToList();
        var place = same.Count > 1 ? $" #{same.FindIndex(o => o.Version == t.Version) + 1}" : "";
        return ui.T("compare.translation-name", t.Language + place, ui.T("method." + t.Method), t.Translator, t.SourceRevision);
    }

    /// <summary>Any two recorded translations (say, the machine translation and its post-edit), by their events' stream versions.</summary>
    private static async Task<IResult> TranslationsAsync(UiContext ui, DocumentView view, IReadOnlyList<TranslationRecord> all, bool inline, ContentStore contents)
    {
        var query = ui.Http.Request.Query;
        TranslationRecord? Pick(string name) => long.TryParse(query[name], NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? all.FirstOrDefault(t => t.Version == v) : null;
        var (a, b) = (Pick("a"), Pick("b"));
        Markup result;
        var status = StatusCodes.Status200OK;
        if (a is null || b is null)
        {
            status = StatusCodes.Status404NotFound;
            result = Layout.Notice(ui.T("compare.no-such-translation"), "bad");
        }
        else
        {
            var computed = await DiffEndpoint.ComputeAsync(view.Id, new DiffSide(a.SourceRevision, a.Language, a.MediaType, a.ContentDigest, a.Size),
                new DiffSide(b.SourceRevision, b.Language, b.MediaType, b.ContentDigest, b.Size), contents, ui.Http.RequestAborted);
            result = Render(ui, computed.Diff, inline, b.Language, TranslationName(ui, a, all), TranslationName(ui, b, all));
        }
        var title = a is not null && b is not null ? ui.T("compare.translations-title", TranslationName(ui, a, all), TranslationName(ui, b, all)) : ui.T("compare.translations");
        var body = H($"""
            <p class="meta"><a href="/documents/{view.Id}" title="{view.Title}">← {DocumentPage.Shorten(view.Title, 90)}</a></p>
            <h1>{title}</h1>
            {TranslationForm(ui, view, all, a, b, inline)}
            <p><a href="/documents/{view.Id}/compare">{ui.T("doc.compare")}</a></p>
            {result}
            """);
        return Layout.Page(ui, $"{title} · {view.Title}", body, status);
    }

    private static Markup TranslationForm(UiContext ui, DocumentView view, IReadOnlyList<TranslationRecord> all, TranslationRecord? a, TranslationRecord? b, bool inline)
    {
        if (all.Count < 2) return Markup.Empty;
        var ordered = all.OrderBy(t => t.Language, StringComparer.Ordinal).ThenBy(t => t.Version).ToList();
        // By default the two latest into one language: the story a corpus with a post-edit tells.
        var pair = ordered.GroupBy(t => t.Language).Where(g => g.Count() > 1).Select(g => g.TakeLast(2).ToList()).FirstOrDefault() ?? ordered.TakeLast(2).ToList();
        var (first, second) = (a ?? pair[0], b ?? pair[1]);
        Markup Options(TranslationRecord selected) => Join(ordered.Select(t => t.Version == selected.Version
            ? H($"<option value=\"{t.Version}\" selected>{TranslationName(ui, t, all)}</option>")
            : H($"<option value=\"{t.Version}\">{TranslationName(ui, t, all)}</option>")));
        return H($"""
            <form method="get" action="/documents/{view.Id}/compare" class="filters" aria-label="{ui.T("compare.translations")}">
            <div class="field"><label for="cmp-a">{ui.T("compare.translation-a")}</label><select id="cmp-a" name="a">{Options(first)}</select></div>
            <div class="field"><label for="cmp-b">{ui.T("compare.translation-b")}</label><select id="cmp-b" name="b">{Options(second)}</select></div>
            {(inline ? H($"<input type=\"hidden\" name=\"view\" value=\"inline\">") : Markup.Empty)}
            <div><button type="submit" class="secondary">{ui.T("compare.translations-submit")}</button></div>
            </form>
            """);
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

    private static Markup Render(UiContext ui, DocumentDiff diff, bool inline, string textLanguage, string? fromLabel = null, string? toLabel = null)
    {
        fromLabel ??= ui.T("compare.revision-n", diff.From.Revision);
        toLabel ??= ui.T("compare.revision-n", diff.To.Revision);
        var summary = H($"<p class=\"summary\" role=\"status\">{ui.T("compare.summary", diff.LinesAdded, diff.LinesRemoved)} <span class=\"digest\">{diff.From.ContentDigest[..19]}… → {diff.To.ContentDigest[..19]}…</span></p>");
        if (diff.Binary) return H($"{summary}{Layout.Notice(diff.Identical ? ui.T("compare.identical") : ui.T("compare.binary", diff.From.Size, diff.To.Size))}");
        if (diff.Identical || diff.Hunks.Count == 0) return H($"{summary}{Layout.Notice(ui.T("compare.identical"))}");
        var table = inline ? Inline(ui, diff, textLanguage, fromLabel, toLabel) : SideBySide(ui, diff, textLanguage, fromLabel, toLabel);
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

    private static Markup SideBySide(UiContext ui, DocumentDiff diff, string textLanguage, string fromLabel, string toLabel)
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
            <thead><tr><th scope="col" class="num">#</th><th scope="col">{fromLabel}</th><th scope="col" class="num">#</th><th scope="col">{toLabel}</th></tr></thead>
            <tbody>{rows}</tbody>
            </table>
            """);
    }

    private static Markup Inline(UiContext ui, DocumentDiff diff, string textLanguage, string fromLabel, string toLabel)
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
            <thead><tr><th scope="col" class="num"><abbr title="{fromLabel}">{diff.From.Revision}</abbr></th><th scope="col" class="num"><abbr title="{toLabel}">{diff.To.Revision}</abbr></th><th scope="col" class="sign"><span class="visually-hidden">±</span></th><th scope="col">{ui.T("compare.text")}</th></tr></thead>
            <tbody>{rows}</tbody>
            </table>
            """);
    }
}
