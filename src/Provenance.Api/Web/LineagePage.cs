using System.Globalization;
using Marten;
using Provenance.Api.Documents;
using static Provenance.Api.Web.Html;

namespace Provenance.Api.Web;

/// <summary>The derivation graph drawn as SVG on the server: revisions in a row, translations under their source, verdicts above.</summary>
public static class LineagePage
{
    private const int NodeWidth = 300, ColumnWidth = 326, NodeHeight = 72, RowHeight = 112, Margin = 20;
    // What fits a node's width at the font sizes below (system-ui, 14 px bold / 12 px), so labels are shortened at a word instead of overflowing.
    private const int TitleChars = 34, LineChars = 46;

    public static async Task<IResult> Get(Guid id, HttpContext http, IQuerySession session)
    {
        var ui = UiContext.For(http);
        var view = await session.LoadAsync<DocumentView>(id, http.RequestAborted);
        if (view is null) return WebErrors.NotFound(ui, ui.T("doc.not-found", id));
        if (WebErrors.Withdrawn(ui, view) is { } unavailable) return unavailable;
        var all = await http.RequestServices.GetRequiredService<DocumentRecords>().AllAsync(id, http.RequestAborted);
        var lineage = LineageEndpoint.Build(view, all.Revisions, all.Translations, all.History.Where(h => h.Verdict is not null).ToList());
        var details = new NodeDetails(all.Translations, view.Verifications, all.History);
        var body = H($"""
            <p class="meta"><a href="/documents/{id}" title="{view.Title}">← {DocumentPage.Shorten(view.Title, 90)}</a></p>
            <h1>{ui.T("lineage.title")}</h1>
            <p>{ui.T("lineage.intro")}</p>
            <figure>
            <div class="graph">{Svg(ui, view, lineage, details)}</div>
            <figcaption class="hint">{ui.T("lineage.legend")}</figcaption>
            </figure>
            {(all.Translations.GroupBy(t => t.Language, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } several
                ? H($"<p><a href=\"/documents/{id}/compare{Query(("a", several.SkipLast(1).Last().Version.ToString(CultureInfo.InvariantCulture)), ("b", several.Last().Version.ToString(CultureInfo.InvariantCulture)))}\">{ui.T("lineage.compare-translations", several.Key)}</a></p>")
                : Markup.Empty)}
            <h2>{ui.T("lineage.as-list")}</h2>
            {List(ui, view, lineage, details)}
            """);
        return Layout.Page(ui, $"{ui.T("lineage.title")} · {view.Title}", body);
    }

    /// <summary>What the lineage's nodes do not carry but a reader needs: who translated, how, which of several; how much evidence a verdict cites.</summary>
    public sealed class NodeDetails(IReadOnlyList<TranslationRecord> translations, IReadOnlyList<VerificationState> verifications, IReadOnlyList<HistoryEntry> history)
    {
        public TranslationRecord? Translation(LineageNode n)
            => n.Kind == "translation" && long.TryParse(n.Id.AsSpan("translation:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
                ? translations.FirstOrDefault(t => t.Sequence == sequence) : null;

        /// <summary>"#2" when several translations into the node's language were recorded, else empty.</summary>
        public string Place(TranslationRecord t)
        {
            var same = translations.Where(o => string.Equals(o.Language, t.Language, StringComparison.OrdinalIgnoreCase)).OrderBy(o => o.Sequence).ToList();
            return same.Count > 1 ? $" #{same.FindIndex(o => o.Sequence == t.Sequence) + 1}" : "";
        }

        public int Evidence(LineageNode n)
        {
            if (n.Kind != "verification" || !long.TryParse(n.Id.AsSpan("verification:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)) return 0;
            var version = history.FirstOrDefault(h => h.Sequence == sequence)?.Version;
            return verifications.FirstOrDefault(v => v.Version == version)?.Evidence.Count ?? 0;
        }
    }

    public sealed record Placed(LineageNode Node, int X, int Y);

    /// <summary>
    /// Positions: each revision owns a band of columns as wide as its widest row of dependants, so the graph grows across the page
    /// rather than down it; verdicts on revisions above, translations below, verdicts on translations under those.
    /// </summary>
    public static IReadOnlyList<Placed> Place(Lineage lineage)
    {
        var revisions = lineage.Nodes.Where(n => n.Kind == "revision").OrderBy(n => n.Revision).ToList();
        var target = lineage.Edges.Where(e => e.Type == LineageEndpoint.Verifies).ToDictionary(e => e.From, e => e.To);
        bool OnTranslation(LineageNode n) => target.TryGetValue(n.Id, out var t) && t.StartsWith("translation:", StringComparison.Ordinal);
        List<LineageNode> Of(int revision, Func<LineageNode, bool> which) => lineage.Nodes.Where(n => n.Revision == revision && which(n)).ToList();
        var above = revisions.ToDictionary(r => r.Revision, r => Of(r.Revision, n => n.Kind == "verification" && !OnTranslation(n)));
        var translations = revisions.ToDictionary(r => r.Revision, r => Of(r.Revision, n => n.Kind == "translation"));
        var under = revisions.ToDictionary(r => r.Revision, r => Of(r.Revision, n => n.Kind == "verification" && OnTranslation(n)));
        var hasAbove = above.Values.Any(v => v.Count > 0);
        var revisionY = Margin + (hasAbove ? RowHeight : 0);
        var placed = new List<Placed>();
        var x = Margin;
        foreach (var r in revisions)
        {
            placed.Add(new Placed(r, x, revisionY));
            placed.AddRange(above[r.Revision].Select((n, k) => new Placed(n, x + k * ColumnWidth, Margin)));
            placed.AddRange(translations[r.Revision].Select((n, k) => new Placed(n, x + k * ColumnWidth, revisionY + RowHeight)));
            placed.AddRange(under[r.Revision].Select((n, k) => new Placed(n, x + k * ColumnWidth, revisionY + 2 * RowHeight)));
            var span = new[] { 1, above[r.Revision].Count, translations[r.Revision].Count, under[r.Revision].Count }.Max();
            x += span * ColumnWidth;
        }
        return placed;
    }

    /// <summary>A translation node leads to its bytes as a download (the content endpoint serves anything active as an attachment).</summary>
    private static string Href(Guid id, LineageNode n) => n.Kind switch
    {
        "revision" => $"/documents/{id}?revision={n.Revision}#text",
        "translation" => DocumentPage.ContentLink(id, n.Revision, n.Language),
        _ => $"/documents/{id}#verifications",
    };

    /// <summary>A node's lines, in full: the drawing shortens them at a word, the list and the accessible name keep them whole.</summary>
    private static string[] Lines(UiContext ui, LineageNode n, NodeDetails details)
    {
        var when = n.At.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        switch (n.Kind)
        {
            case "revision":
                return [ui.T("doc.revision-n", n.Revision), $"{n.Actor} · {when}"];
            case "translation":
                var t = details.Translation(n);
                return
                [
                    ui.T("lineage.translation", (n.Language ?? "") + (t is null ? "" : details.Place(t)), n.Revision),
                    t is null ? ui.T("method." + n.Method) : $"{t.Translator} · {ui.T("method." + t.Method)}",
                    $"{n.Actor} · {when}",
                ];
            default:
                var evidence = details.Evidence(n);
                return
                [
                    $"{ui.T("verdict." + n.Verdict)} · r{n.Revision}{(n.Language is null ? "" : " " + n.Language)}",
                    n.Claim is null ? ui.T("doc.whole-text") : $"“{n.Claim}”",
                    $"{ui.T("lineage.evidence", evidence)} · {n.Actor} · {when}",
                ];
        }
    }

    private static string Label(UiContext ui, LineageNode n, NodeDetails details) => string.Join(", ", Lines(ui, n, details));

    public static Markup Svg(UiContext ui, DocumentView view, Lineage lineage, NodeDetails details)
    {
        var placed = Place(lineage);
        var byId = placed.ToDictionary(p => p.Node.Id);
        var width = placed.Max(p => p.X) + NodeWidth + Margin;
        var height = placed.Max(p => p.Y) + NodeHeight + Margin;
        var edges = lineage.Edges.Where(e => byId.ContainsKey(e.From) && byId.ContainsKey(e.To)).Select(e =>
        {
            var (a, b) = (byId[e.From], byId[e.To]);
            var dash = e.Type == LineageEndpoint.TranslationOf ? new Markup(" stroke-dasharray=\"6 4\"") : Markup.Empty;
            string d;
            if (a.Y == b.Y) d = a.X > b.X ? $"M {a.X} {a.Y + NodeHeight / 2} H {b.X + NodeWidth}" : $"M {a.X + NodeWidth} {a.Y + NodeHeight / 2} H {b.X}";
            else
            {
                // Down (or up) into the gap between the rows, across it, then straight into the target: lines never cross a node.
                var (startY, endY) = a.Y > b.Y ? (a.Y, b.Y + NodeHeight) : (a.Y + NodeHeight, b.Y);
                var gap = (startY + endY) / 2;
                d = $"M {a.X + NodeWidth / 2} {startY} V {gap} H {b.X + NodeWidth / 2} V {endY}";
            }
            return H($"<path class=\"edge {e.Type}\" d=\"{d}\" fill=\"none\" stroke=\"{EdgeColour(e.Type)}\" stroke-width=\"2\"{dash} marker-end=\"url(#arrow)\"/>");
        });
        var nodes = placed.Select(p =>
        {
            var n = p.Node;
            var (fill, stroke) = Colours(n);
            var lines = Lines(ui, n, details);
            var badge = n.Outdated == true ? ui.T("doc.outdated") : null;
            var label = Label(ui, n, details) + (badge is null ? "" : ", " + badge);
            var title = DocumentPage.Shorten(lines[0], TitleChars - (badge is null ? 0 : 2));
            return H($"""
                <a href="{Href(view.Id, n)}"{(n.Kind == "translation" ? new Markup(" download") : Markup.Empty)}>
                <title>{label}</title>
                <rect x="{p.X}" y="{p.Y}" width="{NodeWidth}" height="{NodeHeight}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="2"{(n.Kind == "translation" && n.Latest != true ? new Markup(" stroke-dasharray=\"4 3\"") : Markup.Empty)}/>
                <text x="{p.X + 10}" y="{p.Y + 22}" font-size="14" font-weight="600" fill="#1b1f24">{title}{(badge is null ? Markup.Empty : H($" ⚠"))}</text>
                {Join(lines.Skip(1).Select((l, i) => H($"<text x=\"{p.X + 10}\" y=\"{p.Y + 42 + i * 18}\" font-size=\"12\" fill=\"#4a5360\">{DocumentPage.Shorten(l, LineChars)}</text>")))}
                </a>
                """);
        });
        return H($"""
            <svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="group" aria-label="{ui.T("lineage.title")}" font-family="system-ui, DejaVu Sans, sans-serif">
            <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#4a5360"/></marker></defs>
            {edges}
            {nodes}
            </svg>
            """);
    }

    private static string EdgeColour(string type) => type switch
    {
        LineageEndpoint.RevisionOf => "#0b5394",
        LineageEndpoint.TranslationOf => "#6b21a8",
        _ => "#4a5360",
    };

    private static (string Fill, string Stroke) Colours(LineageNode n) => n.Kind switch
    {
        "revision" => ("#e8f0fb", "#0b5394"),
        "translation" => n.Outdated == true ? ("#fff7e6", "#92400e") : ("#f3e8ff", "#6b21a8"),
        _ => n.Verdict switch
        {
            Verdicts.Verified => ("#e9f7ef", "#166534"),
            Verdicts.Refuted => ("#fdecec", "#991b1b"),
            _ => ("#fff7e6", "#92400e"),
        },
    };

    private static Markup List(UiContext ui, DocumentView view, Lineage lineage, NodeDetails details)
    {
        var names = lineage.Nodes.ToDictionary(n => n.Id, n => Label(ui, n, details));
        var rows = lineage.Edges.Select(e => H($"""
            <tr><th scope="row">{names.GetValueOrDefault(e.From)}</th><td>{ui.T("lineage.edge." + e.Type)}</td><td>{names.GetValueOrDefault(e.To)}</td></tr>
            """));
        var revisions = lineage.Nodes.Where(n => n.Kind == "revision").Select(n => H($"<li><a href=\"{Href(view.Id, n)}\">{Label(ui, n, details)}</a></li>"));
        return H($"""
            <ul>{revisions}</ul>
            <div class="table-wrap"><table>
            <caption>{ui.T("lineage.relations")}</caption>
            <thead><tr><th scope="col">{ui.T("lineage.node")}</th><th scope="col">{ui.T("lineage.relation")}</th><th scope="col">{ui.T("lineage.target")}</th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            """);
    }
}
