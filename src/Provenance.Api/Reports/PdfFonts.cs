using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using HarfBuzzSharp;
using SkiaSharp;
using HbBuffer = HarfBuzzSharp.Buffer;
using HbFont = HarfBuzzSharp.Font;

namespace Provenance.Api.Reports;

/// <summary>
/// The PDF report's fonts: DejaVu Sans first, then Noto Sans CJK (Debian <c>fonts-noto-cjk</c>) for what DejaVu lacks, so no accepted
/// character is dropped. Text is shaped by HarfBuzz with ligatures off (a digest must copy out of the PDF as the ASCII it is), and each
/// face is embedded as a subset of the glyphs the report uses (HarfBuzz's hb-subset, keeping glyph ids).
/// </summary>
public static class PdfFonts
{
    /// <summary>Where the DejaVu fonts are (Debian <c>fonts-dejavu-core</c>); <c>PROVENANCE_FONT_DIR</c> overrides it.</summary>
    public static string FontDirectory => Environment.GetEnvironmentVariable("PROVENANCE_FONT_DIR") ?? "/usr/share/fonts/truetype/dejavu";

    /// <summary>Where Noto Sans CJK is (Debian <c>fonts-noto-cjk</c>); <c>PROVENANCE_CJK_FONT_DIR</c> overrides it. Optional: without it CJK shows as boxes.</summary>
    public static string CjkFontDirectory => Environment.GetEnvironmentVariable("PROVENANCE_CJK_FONT_DIR") ?? "/usr/share/fonts/opentype/noto";

    static readonly object Gate = new();
    static readonly Dictionary<(string Path, int Index), PdfFace> Loaded = [];

    /// <summary>The faces tried in order for one weight, the CJK one picked by the document's language (Japanese, Korean, Simplified or Traditional Chinese forms).</summary>
    public static IReadOnlyList<PdfFace> Chain(bool bold, string language)
    {
        var primary = Path.Combine(FontDirectory, bold ? "DejaVuSans-Bold.ttf" : "DejaVuSans.ttf");
        if (!File.Exists(primary)) throw new InvalidOperationException($"PDF reports need {primary}: install fonts-dejavu-core or set PROVENANCE_FONT_DIR.");
        var chain = new List<PdfFace> { Load(primary, 0) };
        var cjk = Path.Combine(CjkFontDirectory, bold ? "NotoSansCJK-Bold.ttc" : "NotoSansCJK-Regular.ttc");
        if (File.Exists(cjk)) chain.Add(Load(cjk, CjkIndex(language)));
        return chain;
    }

    /// <summary>The face of NotoSansCJK-*.ttc for a language: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK.</summary>
    static int CjkIndex(string language)
    {
        var tag = language.ToLowerInvariant();
        if (tag.StartsWith("ko", StringComparison.Ordinal)) return 1;
        if (tag.StartsWith("zh", StringComparison.Ordinal))
            return tag.Contains("hk") || tag.Contains("mo") ? 4 : tag.Contains("hant") || tag.Contains("tw") ? 3 : 2;
        return 0;
    }

    static PdfFace Load(string path, int index)
    {
        lock (Gate)
        {
            if (!Loaded.TryGetValue((path, index), out var face)) Loaded[(path, index)] = face = new PdfFace(path, index);
            return face;
        }
    }
}

/// <summary>
/// Measures, wraps and shapes the report's text for one document (its language picks the CJK forms): each piece of text is split into
/// runs by the first face of the chain that has its characters (marks and spaces stay with the run they are in), shaped once and cached.
/// </summary>
public sealed class Typesetter(string language)
{
    readonly IReadOnlyList<PdfFace> regular = PdfFonts.Chain(false, language), bold = PdfFonts.Chain(true, language);

    /// <summary>A run of glyphs of one face, advances and offsets in em.</summary>
    public sealed record Segment(int Face, ushort[] Glyphs, float[] Advances, float[] OffsetsX, float[] OffsetsY, int[] Codepoints);

    public sealed record Shaped(IReadOnlyList<Segment> Segments, float Width);

    readonly Dictionary<(bool, string), Shaped> shaped = [];

    public IReadOnlyList<PdfFace> Faces(bool isBold) => isBold ? bold : regular;

    public Shaped Shape(string text, bool isBold)
    {
        if (shaped.TryGetValue((isBold, text), out var done)) return done;
        var chain = Faces(isBold);
        var segments = new List<Segment>();
        float width = 0;
        foreach (var (face, start, length) in Runs(text, chain))
        {
            var piece = text.Substring(start, length);
            var (glyphs, advances, dx, dy) = chain[face].Shape(piece);
            var codepoints = new List<int>();
            for (var i = 0; i < piece.Length; i += char.IsSurrogatePair(piece, i) ? 2 : 1) codepoints.Add(char.ConvertToUtf32(piece, i));
            segments.Add(new Segment(face, glyphs, advances, dx, dy, [.. codepoints]));
            width += advances.Sum();
        }
        return shaped[(isBold, text)] = new Shaped(segments, width);
    }

    static IEnumerable<(int Face, int Start, int Length)> Runs(string text, IReadOnlyList<PdfFace> chain)
    {
        int current = -1, start = 0;
        for (var i = 0; i < text.Length;)
        {
            int codepoint;
            if (char.IsSurrogatePair(text, i)) codepoint = char.ConvertToUtf32(text, i);
            else codepoint = char.IsSurrogate(text[i]) ? 0xFFFD : text[i];
            var width = codepoint > 0xFFFF ? 2 : 1;
            var category = CharUnicodeInfo.GetUnicodeCategory(codepoint);
            var sticks = current >= 0 && (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.SpacingCombiningMark
                                           or UnicodeCategory.Format or UnicodeCategory.SpaceSeparator || codepoint is >= 0xFE00 and <= 0xFE0F);
            var face = sticks ? current : Pick(codepoint, chain);
            if (face != current)
            {
                if (current >= 0 && i > start) yield return (current, start, i - start);
                (current, start) = (face, i);
            }
            i += width;
        }
        if (current >= 0 && text.Length > start) yield return (current, start, text.Length - start);
    }

    static int Pick(int codepoint, IReadOnlyList<PdfFace> chain)
    {
        for (var f = 0; f < chain.Count; f++) if (chain[f].Covers(codepoint)) return f;
        return 0;
    }

    public float Measure(string text, float size, bool isBold) => Shape(text, isBold).Width * size;

    /// <summary>Lines no wider than <paramref name="width"/>, broken at spaces; a word wider than the line (a URL, a hash) is cut where it overflows.</summary>
    public IEnumerable<string> Wrap(string text, float size, bool isBold, float width)
    {
        var space = Measure(" ", size, isBold);
        foreach (var paragraph in text.Split('\n'))
        {
            var line = new StringBuilder();
            var lineWidth = 0f;
            foreach (var word in paragraph.Split(' '))
            {
                var wordWidth = Measure(word, size, isBold);
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
                while (rest.Length > 1 && Measure(rest, size, isBold) > width)
                {
                    var cut = FittingPrefix(rest, size, isBold, width);
                    yield return rest[..cut];
                    rest = rest[cut..];
                }
                line.Append(rest);
                lineWidth = Measure(rest, size, isBold);
            }
            yield return line.ToString();
        }
    }

    /// <summary>The longest prefix (at least one character, never half a surrogate pair) of <paramref name="word"/> that fits.</summary>
    int FittingPrefix(string word, float size, bool isBold, float width)
    {
        float total = 0;
        var units = 0;
        while (units < word.Length)
        {
            var step = char.IsSurrogatePair(word, units) ? 2 : 1;
            var w = Measure(word.Substring(units, step), size, isBold);
            if (total + w > width && units > 0) return units;
            total += w;
            units += step;
        }
        return Math.Max(1, word.Length - 1);
    }

    /// <summary>Subsets every face the given texts use and returns what draws them.</summary>
    public EmbeddedFaces Embed(IEnumerable<(string Text, bool Bold)> texts)
    {
        var used = new Dictionary<(bool, int), (HashSet<ushort> Glyphs, HashSet<int> Codepoints)>();
        foreach (var (text, isBold) in texts)
        foreach (var s in Shape(text, isBold).Segments)
        {
            if (!used.TryGetValue((isBold, s.Face), out var set)) used[(isBold, s.Face)] = set = ([0], []);
            set.Glyphs.UnionWith(s.Glyphs);
            set.Codepoints.UnionWith(s.Codepoints);
        }
        var typefaces = new Dictionary<(bool, int), SKTypeface>();
        foreach (var ((isBold, face), (glyphs, codepoints)) in used)
        {
            var pdfFace = Faces(isBold)[face];
            var subset = pdfFace.Subset(glyphs, codepoints);
            typefaces[(isBold, face)] = (subset is null ? null : SKTypeface.FromData(SKData.CreateCopy(subset))) ?? pdfFace.Whole();
        }
        return new EmbeddedFaces(this, typefaces);
    }
}

/// <summary>The subset typefaces of one report and the Skia fonts made of them; draws shaped text as positioned glyph runs.</summary>
public sealed class EmbeddedFaces(Typesetter type, Dictionary<(bool, int), SKTypeface> typefaces) : IDisposable
{
    readonly Dictionary<(bool, int, float), SKFont> fonts = [];

    public SKTextBlob? Blob(string text, bool bold, float size)
    {
        var shaped = type.Shape(text, bold);
        if (shaped.Segments.Count == 0) return null;
        using var builder = new SKTextBlobBuilder();
        float x = 0;
        foreach (var s in shaped.Segments)
        {
            if (!fonts.TryGetValue((bold, s.Face, size), out var font))
                fonts[(bold, s.Face, size)] = font = new SKFont(typefaces[(bold, s.Face)], size) { Subpixel = true, LinearMetrics = true };
            var points = new SKPoint[s.Glyphs.Length];
            for (var g = 0; g < s.Glyphs.Length; g++)
            {
                points[g] = new SKPoint(x + s.OffsetsX[g] * size, s.OffsetsY[g] * size);
                x += s.Advances[g] * size;
            }
            builder.AddPositionedRun(s.Glyphs, font, points);
        }
        return builder.Build();
    }

    public void Dispose()
    {
        foreach (var font in fonts.Values) font.Dispose();
        foreach (var typeface in typefaces.Values) typeface.Dispose();
    }
}

/// <summary>One face of a font file: HarfBuzz shapes with it and subsets it; it lives as long as the process (fonts are shared by every report).</summary>
public sealed class PdfFace
{
    readonly Face face;
    readonly HbFont font;
    readonly object gate = new();
    public string File { get; }
    public int Index { get; }
    public int UnitsPerEm { get; }

    internal PdfFace(string file, int index)
    {
        (File, Index) = (file, index);
        var blob = Blob.FromFile(file);
        face = new Face(blob, index);
        font = new HbFont(face);
        font.SetFunctionsOpenType();
        UnitsPerEm = face.UnitsPerEm;
    }

    public bool Covers(int codepoint)
    {
        lock (gate) return font.TryGetGlyph(codepoint, out _);
    }

    static readonly Feature[] NoLigatures =
        [new(Tag.Parse("liga"), 0), new(Tag.Parse("clig"), 0), new(Tag.Parse("dlig"), 0), new(Tag.Parse("hlig"), 0)];

    /// <summary>Glyph ids and advances (in em) of a run of text in this face.</summary>
    public (ushort[] Glyphs, float[] Advances, float[] OffsetsX, float[] OffsetsY) Shape(string text)
    {
        using var buffer = new HbBuffer();
        buffer.AddUtf16(text);
        buffer.GuessSegmentProperties();
        lock (gate) font.Shape(buffer, NoLigatures);
        var infos = buffer.GetGlyphInfoSpan();
        var positions = buffer.GetGlyphPositionSpan();
        var glyphs = new ushort[infos.Length];
        var advances = new float[infos.Length];
        var dx = new float[infos.Length];
        var dy = new float[infos.Length];
        float em = UnitsPerEm;
        for (var i = 0; i < infos.Length; i++)
        {
            glyphs[i] = (ushort)infos[i].Codepoint;
            advances[i] = positions[i].XAdvance / em;
            dx[i] = positions[i].XOffset / em;
            dy[i] = -positions[i].YOffset / em;
        }
        return (glyphs, advances, dx, dy);
    }

    /// <summary>This face cut down to the given glyphs (ids kept) and the cmap of the given characters, as a font file; null if HarfBuzz cannot.</summary>
    public byte[]? Subset(IEnumerable<ushort> glyphs, IEnumerable<int> codepoints)
    {
        var input = HbSubset.hb_subset_input_create_or_fail();
        if (input == IntPtr.Zero) return null;
        try
        {
            var glyphSet = HbSubset.hb_subset_input_glyph_set(input);
            foreach (var g in glyphs) HbSubset.hb_set_add(glyphSet, g);
            var unicodeSet = HbSubset.hb_subset_input_unicode_set(input);
            foreach (var c in codepoints) HbSubset.hb_set_add(unicodeSet, (uint)c);
            HbSubset.hb_subset_input_set_flags(input, HbSubset.RetainGids);
            IntPtr subset;
            lock (gate) subset = HbSubset.hb_subset_or_fail(face.Handle, input);
            if (subset == IntPtr.Zero) return null;
            try
            {
                var blob = HbSubset.hb_face_reference_blob(subset);
                try
                {
                    var data = HbSubset.hb_blob_get_data(blob, out var length);
                    if (data == IntPtr.Zero || length == 0) return null;
                    var bytes = new byte[length];
                    Marshal.Copy(data, bytes, 0, (int)length);
                    return bytes;
                }
                finally { HbSubset.hb_blob_destroy(blob); }
            }
            finally { HbSubset.hb_face_destroy(subset); }
        }
        finally { HbSubset.hb_subset_input_destroy(input); }
    }

    /// <summary>The whole face for Skia, when subsetting fails.</summary>
    public SKTypeface Whole() => SKTypeface.FromFile(File, Index);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(File)}#{Index}");
}

/// <summary>hb-subset, which the HarfBuzzSharp native library exports but its managed API does not wrap.</summary>
static class HbSubset
{
    const string Library = "libHarfBuzzSharp";

    /// <summary>HB_SUBSET_FLAGS_RETAIN_GIDS: glyph ids stay as shaped, so text shaped with the whole face draws with the subset.</summary>
    public const uint RetainGids = 0x2;

    [DllImport(Library)] public static extern IntPtr hb_subset_input_create_or_fail();
    [DllImport(Library)] public static extern void hb_subset_input_destroy(IntPtr input);
    [DllImport(Library)] public static extern IntPtr hb_subset_input_glyph_set(IntPtr input);
    [DllImport(Library)] public static extern IntPtr hb_subset_input_unicode_set(IntPtr input);
    [DllImport(Library)] public static extern void hb_subset_input_set_flags(IntPtr input, uint flags);
    [DllImport(Library)] public static extern void hb_set_add(IntPtr set, uint codepoint);
    [DllImport(Library)] public static extern IntPtr hb_subset_or_fail(IntPtr face, IntPtr input);
    [DllImport(Library)] public static extern void hb_face_destroy(IntPtr face);
    [DllImport(Library)] public static extern IntPtr hb_face_reference_blob(IntPtr face);
    [DllImport(Library)] public static extern IntPtr hb_blob_get_data(IntPtr blob, out uint length);
    [DllImport(Library)] public static extern void hb_blob_destroy(IntPtr blob);
}
