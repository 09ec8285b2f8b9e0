using System.Globalization;
using System.Text;
using SkiaSharp;

namespace Provenance.Api.Reports;

/// <summary>
/// The report a compliance reviewer files (<c>application/pdf</c>): a first page that summarises the document, its verdicts, its
/// translations, the checkpoint and how to verify; then the timeline as a table (human event names, the stored type beside them),
/// revisions, translations, verdicts with evidence, and every proof hash; "page N of M". Headings keep with what follows, table rows
/// never split. Fonts and text layer: <see cref="PdfFonts"/>. Metadata: title, author (the ledger's origin), subject, keywords and
/// <c>/Lang</c> (the document's language).
/// </summary>
public static class PdfReport
{
    public const string MediaType = "application/pdf";

    const float Width = 595, Height = 842, Margin = 50, Top = 50, Bottom = Height - 60, Content = Width - 2 * Margin;
    static readonly SKColor Ink = SKColors.Black, Accent = new(0x1f, 0x3a, 0x5f), Muted = new(0x55, 0x55, 0x55), Faint = new(0x80, 0x80, 0x80),
        RuleColor = new(0xc8, 0xc8, 0xc8), HeaderFill = new(0xe8, 0xee, 0xf5);

    abstract record Item;
    sealed record TextItem(string Text, float X, float Y, bool Bold, float Size, SKColor Color) : Item;
    sealed record RuleItem(float X1, float Y1, float X2, float Y2, SKColor Color) : Item;
    sealed record FillItem(SKRect Rect, SKColor Color) : Item;

    /// <summary>One line of a block, wrapped already: its offset from the block's left edge and its own height.</summary>
    sealed record Line(string Text, float Dx, float Size, bool Bold, SKColor Color, bool Heading = false)
    {
        public float Height => Size * 1.4f;
    }

    /// <summary>One cell of a table row: lines stacked at a column.</summary>
    sealed record Cell(float X, float Width, List<Line> Lines);

    /// <summary>Lays the report out into pages first, so every footer knows the page count.</summary>
    sealed class Layout(Typesetter type)
    {
        public readonly List<List<Item>> Pages = [[]];
        public readonly Typesetter Type = type;
        float y = Top;
        List<Line>? pendingHeading;
        Func<float>? repeatHeader;

        public void NewPage()
        {
            Pages.Add([]);
            y = Top;
            if (repeatHeader is not null) y += repeatHeader();
        }

        public void Space(float points) => y += points;

        public List<Line> Wrap(string text, float size = 10, bool bold = false, float width = Content, float dx = 0, SKColor? color = null) =>
            Type.Wrap(text, size, bold, width).Select(l => new Line(l, dx, size, bold, color ?? Ink)).ToList();

        /// <summary>A section heading: drawn with the next block, never alone at the foot of a page.</summary>
        public void Heading(string text, float size = 14)
        {
            var lines = Wrap(text, size, bold: true, color: Accent).Select(l => l with { Heading = true }).ToList();
            pendingHeading = [new Line("", 0, 6, false, Ink), .. lines, new Line("", 0, 2, false, Ink)];
        }

        float HeadingHeight => pendingHeading?.Sum(l => l.Height) ?? 0;

        void FlushHeading()
        {
            if (pendingHeading is null) return;
            foreach (var line in pendingHeading) Put(line, Margin);
            pendingHeading = null;
        }

        void Put(Line line, float x)
        {
            y += line.Height;
            if (line.Text.Length > 0) Pages[^1].Add(new TextItem(line.Text, x + line.Dx, y - line.Size * 0.3f, line.Bold, line.Size, line.Color));
        }

        bool PageIsEmpty => y <= Top + (repeatHeader is null ? 0 : 40) && Pages[^1].Count == 0;

        /// <summary>Lines kept together on one page (with a pending heading) unless they are taller than a page.</summary>
        public void Block(List<Line> lines, float spaceAfter = 4)
        {
            var height = lines.Sum(l => l.Height);
            if (y + HeadingHeight + height > Bottom && !PageIsEmpty) NewPage();
            FlushHeading();
            foreach (var line in lines)
            {
                if (y + line.Height > Bottom) NewPage();
                Put(line, Margin);
            }
            y += spaceAfter;
        }

        public void Text(string text, float size = 10, bool bold = false, SKColor? color = null, float spaceAfter = 0) =>
            Block(Wrap(text, size, bold, color: color), spaceAfter);

        /// <summary>A table row: cells side by side, never split across pages; a row taller than a page is cut to fit.</summary>
        public void Row(IReadOnlyList<Cell> cells, bool rule = true, float padding = 3)
        {
            var height = cells.Max(c => c.Lines.Sum(l => l.Height)) + 2 * padding;
            if (y + HeadingHeight + height > Bottom && !PageIsEmpty) NewPage();
            FlushHeading();
            var top = y;
            var bottom = Math.Min(top + height, Bottom);
            foreach (var cell in cells)
            {
                var cy = top + padding;
                foreach (var line in cell.Lines)
                {
                    if (cy + line.Height > bottom) break;
                    cy += line.Height;
                    if (line.Text.Length > 0) Pages[^1].Add(new TextItem(line.Text, cell.X + line.Dx, cy - line.Size * 0.3f, line.Bold, line.Size, line.Color));
                }
            }
            y = bottom;
            if (rule) Pages[^1].Add(new RuleItem(Margin, y, Width - Margin, y, RuleColor));
        }

        /// <summary>A table: its header row is drawn with the first row and again at the top of every page the table continues on.</summary>
        public void Table(IReadOnlyList<(string Name, float Width)> columns, IEnumerable<IReadOnlyList<List<Line>>> rows)
        {
            var xs = new List<float>();
            var x = Margin;
            foreach (var (_, w) in columns) { xs.Add(x); x += w; }
            List<Cell> Cells(IReadOnlyList<List<Line>> contents) => contents.Select((lines, i) => new Cell(xs[i] + 3, columns[i].Width - 6, lines)).ToList();
            var header = Cells(columns.Select(c => new List<Line> { new(c.Name, 0, 8.5f, true, Accent) }).ToList());
            var headerHeight = header.Max(c => c.Lines.Sum(l => l.Height)) + 6;
            float DrawHeader()
            {
                Pages[^1].Add(new FillItem(new SKRect(Margin, y, Width - Margin, y + headerHeight), HeaderFill));
                var at = y;
                foreach (var cell in header)
                    Pages[^1].Add(new TextItem(cell.Lines[0].Text, cell.X, at + 3 + cell.Lines[0].Height - cell.Lines[0].Size * 0.3f, true, 8.5f, Accent));
                return headerHeight;
            }
            var first = true;
            foreach (var row in rows)
            {
                var cells = Cells(row);
                if (first)
                {
                    // The heading, the header row and the first row move to a new page together.
                    var height = cells.Max(c => c.Lines.Sum(l => l.Height)) + 6;
                    if (y + HeadingHeight + headerHeight + height > Bottom && !PageIsEmpty) NewPage();
                    FlushHeading();
                    y += DrawHeader();
                    repeatHeader = () => DrawHeader();
                    first = false;
                }
                Row(cells);
            }
            repeatHeader = null;
            y += 6;
        }
    }

    public static byte[] Render(ProvenanceReport report)
    {
        var d = report.Document;
        var type = new Typesetter(d.Language);
        var layout = new Layout(type);
        FirstPage(layout, report);
        layout.NewPage();
        Timeline(layout, report);
        Details(layout, report);
        return WithLanguage(Draw(layout, report), d.Language);
    }

    const float Label = 100;
    const float Code = 8;

    static void Field(Layout layout, string name, string? value, float size = 9.5f)
    {
        if (value is null) return;
        layout.Row([
            new Cell(Margin, Label, layout.Wrap(name, size, color: Muted, width: Label - 6)),
            new Cell(Margin + Label, Content - Label, layout.Wrap(value, size, width: Content - Label)),
        ], rule: false, padding: 0.5f);
    }

    static void FirstPage(Layout layout, ProvenanceReport report)
    {
        var d = report.Document;
        var i = report.Integrity;
        layout.Text("Provenance report", 24, bold: true, color: Accent, spaceAfter: 4);
        layout.Text(d.Title, 15, bold: true, spaceAfter: 2);
        layout.Text($"Generated {Time(report.GeneratedAt)} and signed by the ledger's key (Provenance-Signature).", 8.5f, color: Muted, spaceAfter: 6);
        Field(layout, "Document", d.Id.ToString());
        Field(layout, "Language", d.Language);
        Field(layout, "Publisher", d.Publisher);
        Field(layout, "Published", d.PublishedAt is { } published ? Time(published) : null);
        Field(layout, "Source", d.SourceUri);
        Field(layout, "Channel", d.Channel);
        Field(layout, "Current revision", $"{d.CurrentRevision} ({d.MediaType}, {Bytes(d.Size)})");
        Field(layout, "Content digest", d.ContentDigest, Code);
        Field(layout, "Ingested", $"{Time(d.CreatedAt)} by {d.CreatedBy}");
        Field(layout, "Last change", $"{Time(d.UpdatedAt)} by {d.UpdatedBy}");

        layout.Heading("Verdicts", 12);
        if (report.Verifications.Count == 0) layout.Text("No verdict has been recorded.", 9.5f);
        else
        {
            var counts = report.Verifications.GroupBy(v => v.Verdict, StringComparer.OrdinalIgnoreCase).Select(g => $"{g.Count()} {g.Key}");
            layout.Text($"{Count(report.Verifications.Count, "verdict")}: {string.Join(", ", counts)}.", 9.5f, spaceAfter: 2);
            const int shown = 8;
            foreach (var v in report.Verifications.Take(shown))
                layout.Block(layout.Wrap($"• {v.Verdict.ToUpperInvariant()} by {v.Method}, revision {v.Revision}{(v.Language is null ? "" : $" ({v.Language})")}"
                                         + (v.Claim is null ? "" : $": “{Shorten(v.Claim.Quote, 90)}”") + $" — {report.Label(v.Actor)}", 9, dx: 8, width: Content - 8), 1);
            if (report.Verifications.Count > shown) layout.Text($"and {report.Verifications.Count - shown} more (see Verifications).", 9, color: Muted);
        }

        layout.Heading("Translations", 12);
        if (report.Translations.Count == 0) layout.Text("No translation has been recorded.", 9.5f);
        foreach (var t in report.Translations)
        {
            var state = t.Superseded ? "superseded by a later translation" : t.Outdated ? $"OUTDATED: the current revision is {d.CurrentRevision}" : "current";
            layout.Block(layout.Wrap($"• {t.Language} from revision {t.SourceRevision}, by {t.Translator} ({MethodName(t.Method)}) — {state}", 9, dx: 8,
                width: Content - 8), 1);
        }

        layout.Heading("Checkpoint", 12);
        Field(layout, "Log", i.Origin);
        Field(layout, "Tree size", i.TreeSize.ToString("N0", CultureInfo.InvariantCulture));
        Field(layout, "Root hash", Convert.ToBase64String(i.RootHash));
        Field(layout, "Root hash (hex)", Convert.ToHexStringLower(i.RootHash), Code);
        Field(layout, "Signed", Time(i.CheckpointCreatedAt));
        Field(layout, "Verifier key", i.VerifierKey, Code);
        var cosigners = Cosigners(i.Checkpoint, i.Origin);
        Field(layout, "Cosigned by", cosigners.Count == 0 ? "no witness: signed by the log alone" : string.Join(", ", cosigners));
        var covered = report.Events.Count - i.PendingEvents;
        Field(layout, "Events", covered == report.Events.Count
            ? $"{Count(report.Events.Count, "event")}, all covered by this checkpoint"
            : $"{Count(report.Events.Count, "event")}, {covered} covered by this checkpoint ({i.PendingEvents} newer)");

        layout.Heading("How to verify", 12);
        var steps = new[]
        {
            $"Export the signed JSON report: provenance export {d.Id} --format json --out report.json (writes report.json.sig too).",
            "Check it offline: provenance verify-report report.json --key <verifier key>. It recomputes every leaf hash from the event data and checks " +
            "every inclusion proof against the root above.",
            "Check this PDF's signature (its .sig from provenance export --format pdf): provenance verify-signature report.pdf --key <verifier key>.",
        };
        for (var n = 0; n < steps.Length; n++) layout.Block(layout.Wrap($"{n + 1}. {steps[n]}", 9, dx: 8, width: Content - 8), 2);
    }

    static void Timeline(Layout layout, ProvenanceReport report)
    {
        var revisions = report.Revisions.ToDictionary(r => r.Sequence);
        var translations = report.Translations.ToDictionary(t => t.Sequence);
        var verdicts = report.Verifications.ToDictionary(v => v.Sequence);
        layout.Heading("Timeline");
        (string, float)[] columns = [("Time (UTC)", 68), ("Event", 100), ("By", 100), ("What", Content - 268)];
        layout.Table(columns, report.Events.Select(e =>
        {
            var what = Describe(e, revisions, translations, verdicts);
            var whatLines = layout.Wrap(what, 8.5f, width: columns[3].Item2 - 6);
            if (e.Reason is not null) whatLines.AddRange(layout.Wrap($"Reason: {e.Reason}", 8, width: columns[3].Item2 - 6, color: Muted));
            return (IReadOnlyList<List<Line>>)
            [
                [new(e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), 0, 8.5f, false, Ink),
                    new(e.Timestamp.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture), 0, 8.5f, false, Ink)],
                [.. layout.Wrap(EventName(e.Kind), 8.5f, bold: true, width: columns[1].Item2 - 6),
                    .. layout.Wrap(e.EventType, 7, width: columns[1].Item2 - 6, color: Faint),
                    .. layout.Wrap($"seq {e.Sequence}, v{e.Version}", 7, width: columns[1].Item2 - 6, color: Faint)],
                layout.Wrap(report.Label(e.Actor), 8.5f, width: columns[2].Item2 - 6),
                whatLines,
            ];
        }));
    }

    static string Describe(ReportEvent e, Dictionary<long, ReportRevision> revisions, Dictionary<long, ReportTranslation> translations,
        Dictionary<long, ReportVerdict> verdicts)
    {
        if (revisions.TryGetValue(e.Sequence, out var r))
            return r.BaseRevision is null
                ? $"{e.Summary}."
                : $"Revision {r.Revision} from revision {r.BaseRevision}: {Diff(r)}; {r.MediaType}, {Bytes(r.Size)}.";
        if (translations.TryGetValue(e.Sequence, out var t))
            return $"Translation into {t.Language} of revision {t.SourceRevision}, by {t.Translator} ({MethodName(t.Method)}).";
        if (verdicts.TryGetValue(e.Sequence, out var v))
            return $"{Capitalize(v.Verdict)} by {v.Method}: revision {v.Revision}{(v.Language is null ? "" : $" ({v.Language})")}"
                   + (v.Claim is null ? "" : $", claim “{Shorten(v.Claim.Quote, 140)}”") + (v.Evidence.Count == 0 ? "." : $"; {Count(v.Evidence.Count, "source")} of evidence.");
        return e.Summary;
    }

    static void Details(Layout layout, ProvenanceReport report)
    {
        layout.Heading("Revisions");
        foreach (var r in report.Revisions)
        {
            var lines = layout.Wrap($"Revision {r.Revision} — {(r.BaseRevision is null ? "original" : $"from revision {r.BaseRevision}: {Diff(r)}")}", 10, bold: true);
            lines.AddRange(layout.Wrap($"{Time(r.RecordedAt)} by {report.Label(r.Actor)}; {r.MediaType}, {Bytes(r.Size)}", 9, dx: 12, width: Content - 12));
            lines.AddRange(layout.Wrap(r.ContentDigest, 8, dx: 12, width: Content - 12, color: Muted));
            layout.Block(lines);
        }

        layout.Heading("Translations");
        if (report.Translations.Count == 0) layout.Text("None.");
        foreach (var t in report.Translations)
        {
            var flags = (t.Outdated ? " — OUTDATED: its source is older than the current revision" : "") + (t.Superseded ? " — superseded" : "");
            var lines = layout.Wrap($"{t.Language} from revision {t.SourceRevision} by {t.Translator} ({MethodName(t.Method)}){flags}", 10, bold: true);
            lines.AddRange(layout.Wrap($"{Time(t.RecordedAt)} recorded by {report.Label(t.Actor)}; {t.MediaType}, {Bytes(t.Size)}", 9, dx: 12, width: Content - 12));
            lines.AddRange(layout.Wrap(t.ContentDigest, 8, dx: 12, width: Content - 12, color: Muted));
            if (t.Reason is not null) lines.AddRange(layout.Wrap(t.Reason, 9, dx: 12, width: Content - 12, color: Muted));
            layout.Block(lines);
        }

        layout.Heading("Verifications");
        if (report.Verifications.Count == 0) layout.Text("None.");
        foreach (var v in report.Verifications)
        {
            var lines = layout.Wrap($"{v.Verdict.ToUpperInvariant()} — {v.Method} — revision {v.Revision}{(v.Language is null ? "" : $" ({v.Language})")}", 10, bold: true);
            if (v.Claim is not null) lines.AddRange(layout.Wrap($"Claim: “{v.Claim.Quote}”", 9, dx: 12, width: Content - 12));
            foreach (var evidence in v.Evidence) lines.AddRange(layout.Wrap($"Evidence: {evidence}", 9, dx: 12, width: Content - 12));
            if (v.Notes is not null) lines.AddRange(layout.Wrap($"Notes: {v.Notes}", 9, dx: 12, width: Content - 12, color: Muted));
            lines.AddRange(layout.Wrap($"{Time(v.VerifiedAt)} by {report.Label(v.Actor)}", 8, dx: 12, width: Content - 12, color: Faint));
            layout.Block(lines);
        }

        if (report.FixityChecks.Count > 0)
        {
            layout.Heading("Fixity checks");
            foreach (var f in report.FixityChecks)
                layout.Block(layout.Wrap($"{Time(f.CheckedAt)}  {f.Outcome}  {f.ContentDigest}{(f.Detail is null ? "" : $" — {f.Detail}")}", 9), 1);
        }

        var i = report.Integrity;
        layout.Heading("Integrity");
        layout.Block([.. layout.Wrap("Signed checkpoint note:", 10, bold: true), .. layout.Wrap(i.Checkpoint.TrimEnd('\n'), 8, dx: 12, width: Content - 12)], 6);
        foreach (var p in i.Events)
        {
            var lines = layout.Wrap($"Event {p.Sequence} (version {p.Version}), leaf {p.LeafIndex}", 9, bold: true);
            lines.AddRange(layout.Wrap($"leaf hash {Convert.ToHexStringLower(p.LeafHash)}", 8, dx: 12, width: Content - 12));
            if (p.AuditPath is null) lines.AddRange(layout.Wrap("newer than the checkpoint: no inclusion proof yet", 8, dx: 12, width: Content - 12, color: Muted));
            else foreach (var h in p.AuditPath) lines.AddRange(layout.Wrap($"path {Convert.ToHexStringLower(h)}", 8, dx: 12, width: Content - 12, color: Muted));
            layout.Block(lines, 2);
        }
    }

    /// <summary>The names of the note's signatures other than the log's own: its witnesses' cosignatures.</summary>
    static List<string> Cosigners(string note, string origin) =>
        note.Split('\n').Where(l => l.StartsWith("— ", StringComparison.Ordinal)).Select(l => l[2..].Split(' ')[0])
            .Where(name => name != origin).Distinct().ToList();

    /// <summary>"Ingested", "Edited", ...: the event record's name without "Document", in words.</summary>
    public static string EventName(string kind) => kind switch
    {
        "DocumentIngested" => "Ingested",
        "DocumentEdited" => "Edited",
        "DocumentTranslated" => "Translated",
        "DocumentVerified" => "Verdict recorded",
        "FixityChecked" => "Fixity checked",
        _ => Words(kind.StartsWith("Document", StringComparison.Ordinal) && kind.Length > 8 ? kind[8..] : kind),
    };

    static string Words(string pascal)
    {
        var words = new StringBuilder();
        foreach (var c in pascal.Replace('_', ' '))
        {
            if (char.IsUpper(c) && words.Length > 0 && words[^1] != ' ') words.Append(' ');
            words.Append(words.Length == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
        }
        return words.ToString();
    }

    static string MethodName(string method) => method switch
    {
        "machine+post-edit" => "machine, post-edited",
        _ => method,
    };

    static string Diff(ReportRevision r) => $"{Count(r.LinesAdded ?? 0, "line")} added, {r.LinesRemoved ?? 0} removed";

    /// <summary>"1 line", "2 lines", "0 lines".</summary>
    public static string Count(long n, string noun) => string.Create(CultureInfo.InvariantCulture, $"{n:N0} {(n == 1 ? noun : noun + "s")}");

    static string Bytes(long size) => Count(size, "byte");

    static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    /// <summary>At most <paramref name="max"/> characters, cut at a word and marked with an ellipsis.</summary>
    static string Shorten(string text, int max)
    {
        if (text.Length <= max) return text;
        var cut = text.LastIndexOf(' ', max - 1);
        return text[..(cut > max / 2 ? cut : max - 1)].TrimEnd(',', ';', ':', ' ') + "…";
    }

    static byte[] Draw(Layout layout, ProvenanceReport report)
    {
        var d = report.Document;
        var total = layout.Pages.Count;
        var footer = new List<List<TextItem>>();
        for (var n = 0; n < total; n++)
        {
            var page = $"Page {n + 1} of {total}";
            footer.Add([
                new TextItem(d.Id.ToString(), Margin, Height - 30, false, 8, Faint),
                new TextItem(page, Width - Margin - layout.Type.Measure(page, 8, false), Height - 30, false, 8, Faint),
            ]);
        }
        var texts = layout.Pages.SelectMany(p => p.OfType<TextItem>()).Concat(footer.SelectMany(f => f)).ToList();
        using var faces = layout.Type.Embed(texts.Select(t => (t.Text, t.Bold)));

        using var stream = new MemoryStream();
        var metadata = new SKDocumentPdfMetadata
        {
            Title = $"Provenance report: {d.Title}",
            Author = report.Integrity.Origin,
            Subject = $"Provenance of document {d.Id} ({d.Language}), revision {d.CurrentRevision}, proved against checkpoint {report.Integrity.TreeSize} of {report.Integrity.Origin}",
            Keywords = "provenance, audit trail, Merkle tree, checkpoint",
            Creator = "Provenance",
            Producer = "Provenance",
            Creation = report.GeneratedAt.UtcDateTime,
            Modified = report.GeneratedAt.UtcDateTime,
        };
        using (var document = SKDocument.CreatePdf(stream, metadata))
        {
            var paints = new Dictionary<SKColor, SKPaint>();
            SKPaint Paint(SKColor color, SKPaintStyle style = SKPaintStyle.Fill)
            {
                if (!paints.TryGetValue(color, out var paint)) paints[color] = paint = new SKPaint { Color = color, IsAntialias = true, StrokeWidth = 0.5f };
                paint.Style = style;
                return paint;
            }
            for (var n = 0; n < total; n++)
            {
                var canvas = document.BeginPage(Width, Height);
                foreach (var item in layout.Pages[n])
                {
                    switch (item)
                    {
                        case FillItem f: canvas.DrawRect(f.Rect, Paint(f.Color)); break;
                        case RuleItem r: canvas.DrawLine(r.X1, r.Y1, r.X2, r.Y2, Paint(r.Color, SKPaintStyle.Stroke)); break;
                    }
                }
                foreach (var text in layout.Pages[n].OfType<TextItem>().Concat(footer[n]))
                {
                    using var blob = faces.Blob(text.Text, text.Bold, text.Size);
                    if (blob is not null) canvas.DrawText(blob, text.X, text.Y, Paint(text.Color));
                }
                document.EndPage();
            }
            document.Close();
            foreach (var paint in paints.Values) paint.Dispose();
        }
        return stream.ToArray();
    }

    /// <summary>
    /// Adds <c>/Lang</c> to the catalog (Skia's metadata has no field for it) as a PDF incremental update: the catalog object again with the
    /// entry, an xref section for it and a trailer pointing back (<c>/Prev</c>) to Skia's. A language tag that is not plain ASCII is left out.
    /// </summary>
    static byte[] WithLanguage(byte[] pdf, string language)
    {
        if (language.Length == 0 || language.Any(c => c > 0x7e || c < 0x20 || c is '(' or ')' or '\\')) return pdf;
        var text = Encoding.Latin1.GetString(pdf);
        var catalog = text.IndexOf("/Type /Catalog", StringComparison.Ordinal);
        var trailer = text.LastIndexOf("trailer", StringComparison.Ordinal);
        var startxref = text.LastIndexOf("startxref", StringComparison.Ordinal);
        if (catalog < 0 || trailer < 0 || startxref < trailer) return pdf;
        var objStart = text.LastIndexOf(" 0 obj", catalog, StringComparison.Ordinal);
        var lineStart = text.LastIndexOf('\n', objStart) + 1;
        var number = int.Parse(text[lineStart..objStart], CultureInfo.InvariantCulture);
        var dictStart = text.IndexOf("<<", objStart, StringComparison.Ordinal);
        var dictEnd = text.IndexOf("endobj", catalog, StringComparison.Ordinal);
        var dictionary = text[(dictStart + 2)..text.LastIndexOf(">>", dictEnd, StringComparison.Ordinal)];
        var trailerDictionary = text[(text.IndexOf("<<", trailer, StringComparison.Ordinal) + 2)..text.LastIndexOf(">>", startxref, StringComparison.Ordinal)];
        var previous = long.Parse(text[(startxref + 9)..].Trim().Split('\n')[0].Trim(), CultureInfo.InvariantCulture);

        var update = new StringBuilder();
        var objectOffset = pdf.Length + 1;
        update.Append('\n').Append(CultureInfo.InvariantCulture, $"{number} 0 obj\n<<{dictionary}\n/Lang ({language})>>\nendobj\n");
        var xref = objectOffset + update.Length - 1;
        update.Append(CultureInfo.InvariantCulture, $"xref\n{number} 1\n{objectOffset:D10} 00000 n \n");
        update.Append(CultureInfo.InvariantCulture, $"trailer\n<<{trailerDictionary}\n/Prev {previous}>>\nstartxref\n{xref}\n%%EOF\n");
        return [.. pdf, .. Encoding.Latin1.GetBytes(update.ToString())];
    }

    static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
