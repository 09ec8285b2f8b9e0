using System.Globalization;
using SkiaSharp;
using SkiaSharp.HarfBuzz;

namespace Provenance.Api.Reports;

/// <summary>
/// The report a person reads (<c>application/pdf</c>): title page with the document and the checkpoint, timeline, revisions,
/// translations, verdicts with evidence, the integrity section with every proof hash, and "page N of M". Text is shaped with
/// HarfBuzz in DejaVu Sans (Latin with accents and Armenian) and stays extractable.
/// </summary>
public static class PdfReport
{
    public const string MediaType = "application/pdf";

    /// <summary>Where the DejaVu fonts are (Debian <c>fonts-dejavu-core</c>); <c>PROVENANCE_FONT_DIR</c> overrides it.</summary>
    public static string FontDirectory => Environment.GetEnvironmentVariable("PROVENANCE_FONT_DIR") ?? "/usr/share/fonts/truetype/dejavu";

    const float Width = 595, Height = 842, Margin = 50, Bottom = Height - 60;

    static readonly Lazy<(SKTypeface Regular, SKTypeface Bold)> Faces = new(() =>
    {
        SKTypeface Load(string file)
        {
            var path = Path.Combine(FontDirectory, file);
            return File.Exists(path)
                ? SKTypeface.FromFile(path)
                : throw new InvalidOperationException($"PDF reports need {path}: install fonts-dejavu-core or set PROVENANCE_FONT_DIR.");
        }
        return (Load("DejaVuSans.ttf"), Load("DejaVuSans-Bold.ttf"));
    });

    sealed record Run(string Text, float X, float Y, bool Bold, float Size, SKColor Color);

    /// <summary>Lays text out into pages first, so every footer knows the page count.</summary>
    sealed class Layout : IDisposable
    {
        public void Dispose()
        {
            foreach (var font in fonts.Values) font.Dispose();
        }

        public readonly List<List<Run>> Pages = [[]];
        readonly Dictionary<(bool, float), SKFont> fonts = [];
        float y = Margin;

        public void NewPage()
        {
            Pages.Add([]);
            y = Margin;
        }

        public void Space(float points) => y += points;

        public void Text(string text, float size = 10, bool bold = false, float indent = 0, SKColor? color = null)
        {
            if (!fonts.TryGetValue((bold, size), out var font)) fonts[(bold, size)] = font = new SKFont(bold ? Faces.Value.Bold : Faces.Value.Regular, size);
            foreach (var line in Wrap(text, font, Width - 2 * Margin - indent))
            {
                if (y + size * 1.4f > Bottom) NewPage();
                y += size * 1.4f;
                Pages[^1].Add(new Run(line, Margin + indent, y, bold, size, color ?? SKColors.Black));
            }
        }

        public void Heading(string text)
        {
            if (y > Bottom - 80) NewPage();
            Space(10);
            Text(text, 15, bold: true, color: new SKColor(0x1f, 0x3a, 0x5f));
            Space(4);
        }

        public void Field(string name, string? value)
        {
            if (value is null) return;
            Text($"{name}: {value}", 10, indent: 0);
        }

        // Each word is measured once per font: re-measuring the growing line made 1,000 events take seconds.
        readonly Dictionary<SKFont, Dictionary<string, float>> widths = [];

        float Measure(SKFont font, string word)
        {
            if (!widths.TryGetValue(font, out var cache)) widths[font] = cache = new Dictionary<string, float>(StringComparer.Ordinal);
            if (!cache.TryGetValue(word, out var width)) cache[word] = width = font.MeasureText(word);
            return width;
        }

        IEnumerable<string> Wrap(string text, SKFont font, float width)
        {
            var space = Measure(font, " ");
            foreach (var paragraph in text.Split('\n'))
            {
                var line = new System.Text.StringBuilder();
                var lineWidth = 0f;
                foreach (var word in paragraph.Split(' '))
                {
                    var wordWidth = Measure(font, word);
                    var candidate = line.Length == 0 ? wordWidth : lineWidth + space + wordWidth;
                    if (candidate <= width)
                    {
                        if (line.Length > 0) line.Append(' ');
                        line.Append(word);
                        lineWidth = candidate;
                        continue;
                    }
                    if (line.Length > 0) yield return line.ToString();
                    line.Clear();
                    var rest = word;
                    // A single word wider than the line (a URL, a hash) is cut where it overflows, measured in one pass over its glyphs.
                    while (rest.Length > 1 && Measure(font, rest) > width)
                    {
                        var cut = FittingPrefix(font, rest, width);
                        yield return rest[..cut];
                        rest = rest[cut..];
                    }
                    line.Append(rest);
                    lineWidth = Measure(font, rest);
                }
                yield return line.ToString();
            }
        }

        /// <summary>The longest prefix (at least one character) of <paramref name="word"/> that fits in <paramref name="width"/>.</summary>
        static int FittingPrefix(SKFont font, string word, float width)
        {
            var glyphs = font.GetGlyphs(word);
            var advances = font.GetGlyphWidths(glyphs);
            // Glyphs map to UTF-16 units one to one except for surrogate pairs, which count twice in the string.
            float total = 0;
            int units = 0;
            for (var g = 0; g < advances.Length; g++)
            {
                var size = char.IsHighSurrogate(word[units]) && units + 1 < word.Length ? 2 : 1;
                if (total + advances[g] > width && units > 0) return units;
                total += advances[g];
                units += size;
            }
            return Math.Max(1, Math.Min(units, word.Length - 1));
        }
    }

    public static byte[] Render(ProvenanceReport report)
    {
        using var layout = new Layout();
        var d = report.Document;
        var i = report.Integrity;

        layout.Space(120);
        layout.Text("Provenance report", 26, bold: true, color: new SKColor(0x1f, 0x3a, 0x5f));
        layout.Space(10);
        layout.Text(d.Title, 16, bold: true);
        layout.Space(10);
        layout.Field("Document", d.Id.ToString());
        layout.Field("Language", d.Language);
        layout.Field("Publisher", d.Publisher);
        layout.Field("Published", d.PublishedAt is { } published ? Time(published) : null);
        layout.Field("Source", d.SourceUri);
        layout.Field("Channel", d.Channel);
        layout.Field("Current revision", $"{d.CurrentRevision} ({d.MediaType}, {d.Size} bytes)");
        layout.Field("Content digest", d.ContentDigest);
        layout.Field("Ingested", $"{Time(d.CreatedAt)} by {d.CreatedBy}");
        layout.Field("Last change", $"{Time(d.UpdatedAt)} by {d.UpdatedBy}");
        layout.Space(16);
        layout.Text("Verified against checkpoint", 13, bold: true);
        layout.Field("Log", i.Origin);
        layout.Field("Tree size", i.TreeSize.ToString(CultureInfo.InvariantCulture));
        layout.Field("Root hash", Convert.ToBase64String(i.RootHash));
        layout.Field("Signed", Time(i.CheckpointCreatedAt));
        layout.Field("Verifier key", i.VerifierKey);
        layout.Field("Events", $"{report.Events.Count} ({report.Events.Count - i.PendingEvents} covered by the checkpoint)");
        layout.Space(16);
        layout.Text($"Generated {Time(report.GeneratedAt)}. This file carries a detached Ed25519 signature (Provenance-Signature); " +
                    "check the JSON report offline with `provenance verify-report`.", 9, color: SKColors.DimGray);

        layout.NewPage();
        layout.Heading("Timeline");
        foreach (var e in report.Events)
        {
            layout.Text($"{Time(e.Timestamp)}  ·  {e.Kind}  ·  {e.Actor}", 10, bold: true);
            layout.Text(e.Summary, 10, indent: 12);
            if (e.Reason is not null) layout.Text($"Reason: {e.Reason}", 9, indent: 12, color: SKColors.DimGray);
            if (e.CorrelationId is not null) layout.Text($"Correlation id: {e.CorrelationId}", 8, indent: 12, color: SKColors.Gray);
            layout.Space(4);
        }

        layout.Heading("Revisions");
        foreach (var r in report.Revisions)
        {
            var diff = r.LinesAdded is null ? "original" : $"from revision {r.BaseRevision}: {r.LinesAdded} lines added, {r.LinesRemoved} removed";
            layout.Text($"Revision {r.Revision} — {diff}", 10, bold: true);
            layout.Text($"{Time(r.RecordedAt)} by {r.Actor}; {r.MediaType}, {r.Size} bytes", 9, indent: 12);
            layout.Text(r.ContentDigest, 8, indent: 12, color: SKColors.DimGray);
            layout.Space(4);
        }

        layout.Heading("Translations");
        if (report.Translations.Count == 0) layout.Text("None.");
        foreach (var t in report.Translations)
        {
            var flags = (t.Outdated ? " — OUTDATED: its source is older than the current revision" : "") + (t.Superseded ? " — superseded" : "");
            layout.Text($"{t.Language} from revision {t.SourceRevision} by {t.Translator} ({t.Method}){flags}", 10, bold: true);
            layout.Text($"{Time(t.RecordedAt)} recorded by {t.Actor}; {t.ContentDigest}", 9, indent: 12);
            if (t.Reason is not null) layout.Text(t.Reason, 9, indent: 12, color: SKColors.DimGray);
            layout.Space(4);
        }

        layout.Heading("Verifications");
        if (report.Verifications.Count == 0) layout.Text("None.");
        foreach (var v in report.Verifications)
        {
            layout.Text($"{v.Verdict.ToUpperInvariant()} — {v.Method} — revision {v.Revision}{(v.Language is null ? "" : $" ({v.Language})")}", 10, bold: true);
            if (v.Claim is not null) layout.Text($"Claim: “{v.Claim.Quote}”", 9, indent: 12);
            foreach (var evidence in v.Evidence) layout.Text($"Evidence: {evidence}", 9, indent: 12);
            if (v.Notes is not null) layout.Text($"Notes: {v.Notes}", 9, indent: 12, color: SKColors.DimGray);
            layout.Text($"{Time(v.VerifiedAt)} by {v.Actor}", 8, indent: 12, color: SKColors.Gray);
            layout.Space(4);
        }

        if (report.FixityChecks.Count > 0)
        {
            layout.Heading("Fixity checks");
            foreach (var f in report.FixityChecks) layout.Text($"{Time(f.CheckedAt)}  {f.Outcome}  {f.ContentDigest}", 9);
        }

        layout.Heading("Integrity");
        layout.Text("Signed checkpoint note:", 10, bold: true);
        layout.Text(i.Checkpoint.TrimEnd('\n'), 8, indent: 12);
        layout.Space(6);
        foreach (var p in i.Events)
        {
            layout.Text($"Event {p.Sequence} (version {p.Version}), leaf {p.LeafIndex}", 9, bold: true);
            layout.Text($"leaf hash {Convert.ToHexStringLower(p.LeafHash)}", 8, indent: 12);
            if (p.AuditPath is null) layout.Text("newer than the checkpoint: no inclusion proof yet", 8, indent: 12, color: SKColors.DimGray);
            else foreach (var h in p.AuditPath) layout.Text($"path {Convert.ToHexStringLower(h)}", 8, indent: 12, color: SKColors.DimGray);
        }

        return Draw(layout, report);
    }

    static byte[] Draw(Layout layout, ProvenanceReport report)
    {
        using var stream = new MemoryStream();
        var metadata = new SKDocumentPdfMetadata
        {
            Title = $"Provenance report: {report.Document.Title}",
            Creator = "Provenance",
            Producer = "Provenance",
            Creation = report.GeneratedAt.UtcDateTime,
            Modified = report.GeneratedAt.UtcDateTime,
        };
        using (var document = SKDocument.CreatePdf(stream, metadata))
        {
            using var regular = new SKShaper(Faces.Value.Regular);
            using var bold = new SKShaper(Faces.Value.Bold);
            var fonts = new Dictionary<(bool, float), SKFont>();
            var paints = new Dictionary<SKColor, SKPaint>();
            var total = layout.Pages.Count;
            for (var n = 0; n < total; n++)
            {
                var canvas = document.BeginPage(Width, Height);
                foreach (var run in layout.Pages[n])
                {
                    if (!fonts.TryGetValue((run.Bold, run.Size), out var font))
                        fonts[(run.Bold, run.Size)] = font = new SKFont(run.Bold ? Faces.Value.Bold : Faces.Value.Regular, run.Size);
                    if (!paints.TryGetValue(run.Color, out var paint)) paints[run.Color] = paint = new SKPaint { Color = run.Color, IsAntialias = true };
                    canvas.DrawShapedText(run.Bold ? bold : regular, run.Text, run.X, run.Y, SKTextAlign.Left, font, paint);
                }
                using (var font = new SKFont(Faces.Value.Regular, 8))
                using (var paint = new SKPaint { Color = SKColors.Gray, IsAntialias = true })
                {
                    canvas.DrawShapedText(regular, $"Page {n + 1} of {total}", Width / 2, Height - 30, SKTextAlign.Center, font, paint);
                    canvas.DrawShapedText(regular, report.Document.Id.ToString(), Margin, Height - 30, SKTextAlign.Left, font, paint);
                }
                document.EndPage();
            }
            document.Close();
            foreach (var font in fonts.Values) font.Dispose();
            foreach (var paint in paints.Values) paint.Dispose();
        }
        return stream.ToArray();
    }

    static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
