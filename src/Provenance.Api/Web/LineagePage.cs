using System.Globalization;
using Marten;
using Provenance.Api.Documents;
using static Provenance.Api.Web.Html;

namespace Provenance.Api.Web;

/// <summary>The derivation graph drawn as SVG on the server: revisions in a row, translations under their source, verdicts above.</summary>
public static class LineagePage
{
    private const int ColumnWidth = 250, NodeWidth = 210, NodeHeight = 58, RowHeight = 92, Margin = 20;

    public static async Task<IResult> Get(Guid id, HttpContext http, IQuerySession session)
    {
        var ui = UiContext.For(http);
        var view = await session.LoadAsync<DocumentView>(id, http.RequestAborted);
        if (view is null) return WebErrors.NotFound(ui, ui.T("doc.not-found", id));
        var lineage = await LineageEndpoint.LoadAsync(http.RequestServices.GetRequiredService<DocumentRecords>(), view, http.RequestAborted);
        var body = H($"""
            <p class="meta"><a href="/documents/{id}">{view.Title}</a></p>
            <h1>{ui.T("lineage.title")}</h1>
            <p>{ui.T("lineage.intro")}</p>
            <figure>
            <div class="graph">{Svg(ui, view, lineage)}</div>
            <figcaption class="hint">{ui.T("lineage.legend")}</figcaption>
            </figure>
            <h2>{ui.T("lineage.as-list")}</h2>
            {List(ui, view, lineage)}
            """);
        return Layout.Page(ui, $"{ui.T("lineage.title")} · {view.Title}", body);
    }

    public sealed record Placed(LineageNode Node, int X, int Y);

    /// <summary>Positions: one column per revision; translations stacked below it, verifications stacked above.</summary>
    public static IReadOnlyList<Placed> Place(Lineage lineage)
    {
        var revisions = lineage.Nodes.Where(n => n.Kind == "revision").OrderBy(n => n.Revision).ToList();
        var column = revisions.Select((n, i) => (n.Revision, i)).ToDictionary(p => p.Revision, p => p.i);
        // Verdicts on a revision stack above it; verdicts on a translation stack below, after the translations, nearer what they verify.
        var target = lineage.Edges.Where(e => e.Type == LineageEndpoint.Verifies).ToDictionary(e => e.From, e => e.To);
        bool OnTranslation(LineageNode n) => target.TryGetValue(n.Id, out var t) && t.StartsWith("translation:", StringComparison.Ordinal);
        var above = lineage.Nodes.Where(n => n.Kind == "verification" && !OnTranslation(n)).GroupBy(n => n.Revision).ToDictionary(g => g.Key, g => g.ToList());
        var below = lineage.Nodes.Where(n => n.Kind == "translation" || (n.Kind == "verification" && OnTranslation(n)))
            .OrderBy(n => n.Kind == "verification").GroupBy(n => n.Revision).ToDictionary(g => g.Key, g => g.ToList());
        var rowsAbove = above.Count == 0 ? 0 : above.Values.Max(v => v.Count);
        var revisionY = Margin + rowsAbove * RowHeight;
        var placed = new List<Placed>();
        int X(int revision) => Margin + (column.TryGetValue(revision, out var c) ? c : 0) * ColumnWidth;
        foreach (var r in revisions) placed.Add(new Placed(r, X(r.Revision), revisionY));
        foreach (var (revision, nodes) in above)
            placed.AddRange(nodes.Select((n, k) => new Placed(n, X(revision), revisionY - (k + 1) * RowHeight)));
        foreach (var (revision, nodes) in below)
            placed.AddRange(nodes.Select((n, k) => new Placed(n, X(revision), revisionY + (k + 1) * RowHeight)));
        return placed;
    }

    /// <summary>A translation node leads to its bytes as a download (the content endpoint serves anything active as an attachment).</summary>
    private static string Href(Guid id, LineageNode n) => n.Kind switch
    {
        "revision" => $"/documents/{id}?revision={n.Revision}#text",
        "translation" => DocumentPage.ContentLink(id, n.Revision, n.Language),
        _ => $"/documents/{id}#verifications",
    };

    private static string Label(UiContext ui, LineageNode n) => n.Kind switch
    {
        "revision" => ui.T("doc.revision-n", n.Revision),
        "translation" => ui.T("lineage.translation", n.Language ?? "", n.Revision),
        _ => $"{ui.T("verdict." + n.Verdict)} · r{n.Revision}{(n.Language is null ? "" : " " + n.Language)}",
    };

    public static Markup Svg(UiContext ui, DocumentView view, Lineage lineage)
    {
        var placed = Place(lineage);
        var byId = placed.ToDictionary(p => p.Node.Id);
        var width = placed.Max(p => p.X) + NodeWidth + Margin + 24;
        var height = placed.Max(p => p.Y) + NodeHeight + Margin;
        var edges = lineage.Edges.Where(e => byId.ContainsKey(e.From) && byId.ContainsKey(e.To)).Select(e =>
        {
            var (a, b) = (byId[e.From], byId[e.To]);
            var dash = e.Type == LineageEndpoint.TranslationOf ? new Markup(" stroke-dasharray=\"6 4\"") : Markup.Empty;
            string d;
            if (a.Y == b.Y) d = $"M {a.X} {a.Y + NodeHeight / 2} H {b.X + NodeWidth}";
            else if (Math.Abs(a.Y - b.Y) == RowHeight && a.X == b.X)
                d = a.Y > b.Y ? $"M {a.X + NodeWidth / 2} {a.Y} V {b.Y + NodeHeight}" : $"M {a.X + NodeWidth / 2} {a.Y + NodeHeight} V {b.Y}";
            else
            {
                // Not adjacent: run down the gutter to the right of the column, so the line never crosses the nodes in between.
                var gutter = a.X + NodeWidth + 8 + (Math.Abs(a.Y - b.Y) / RowHeight) * 4;
                d = $"M {a.X + NodeWidth} {a.Y + NodeHeight / 2} H {gutter} V {b.Y + NodeHeight / 2 + (a.Y > b.Y ? 8 : -8)} H {b.X + NodeWidth}";
            }
            return H($"<path class=\"edge {e.Type}\" d=\"{d}\" fill=\"none\" stroke=\"{EdgeColour(e.Type)}\" stroke-width=\"2\"{dash} marker-end=\"url(#arrow)\"/>");
        });
        var nodes = placed.Select(p =>
        {
            var n = p.Node;
            var (fill, stroke) = Colours(n);
            var label = Label(ui, n);
            var second = $"{n.Actor} · {n.At.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
            var badge = n.Outdated == true ? ui.T("doc.outdated") : null;
            return H($"""
                <a href="{Href(view.Id, n)}"{(n.Kind == "translation" ? new Markup(" download") : Markup.Empty)} aria-label="{label}, {second}{(badge is null ? "" : ", " + badge)}">
                <rect x="{p.X}" y="{p.Y}" width="{NodeWidth}" height="{NodeHeight}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="2"{(n.Kind == "translation" && n.Latest != true ? new Markup(" stroke-dasharray=\"4 3\"") : Markup.Empty)}/>
                <text x="{p.X + 10}" y="{p.Y + 22}" font-size="14" font-weight="600" fill="#1b1f24">{label}{(badge is null ? Markup.Empty : H($" ⚠"))}</text>
                <text x="{p.X + 10}" y="{p.Y + 42}" font-size="12" fill="#4a5360">{Truncate(second, 32)}</text>
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

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static Markup List(UiContext ui, DocumentView view, Lineage lineage)
    {
        var names = lineage.Nodes.ToDictionary(n => n.Id, n => Label(ui, n));
        var rows = lineage.Edges.Select(e => H($"""
            <tr><th scope="row">{names.GetValueOrDefault(e.From)}</th><td>{ui.T("lineage.edge." + e.Type)}</td><td>{names.GetValueOrDefault(e.To)}</td></tr>
            """));
        var revisions = lineage.Nodes.Where(n => n.Kind == "revision").Select(n => H($"<li><a href=\"{Href(view.Id, n)}\">{Label(ui, n)}</a> · {n.Actor}</li>"));
        return H($"""
            <ul>{revisions}</ul>
            <div class="table-wrap"><table>
            <caption>{ui.T("lineage.relations")}</caption>
            <thead><tr><th scope="col">{ui.T("lineage.node")}</th><th scope="col">{ui.T("lineage.relation")}</th><th scope="col">{ui.T("lineage.target")}</th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            """);
    }
}
