using System.Diagnostics;
using System.Text.Json;
using Provenance.Api.Documents;
using Provenance.Api.Ledger;
using Provenance.Api.Reports;
using Shouldly;
using UglyToad.PdfPig;
using UglyToad.PdfPig.Tokens;
using Xunit.Abstractions;

namespace Provenance.Tests.Reports;

/// <summary>The PDF as a compliance reviewer files it, rendered from a report built in memory (no database): text layer, fonts, metadata, layout.</summary>
public sealed class Pdf_report(ITestOutputHelper output)
{
    const string Digest = "sha256:ffaffe0ff1ff2ff3ff4ff5ff6ff7ff8ff9ffaffbffcffdffeffff00112233445566";
    const string CjkTitle = "東京の記録：來歷と翻訳 — 한국어 제목";

    static readonly DateTimeOffset Start = new(2026, 1, 15, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A document with one ingest, <paramref name="edits"/> edits (one line each), a translation and a verdict, proved against a checkpoint.</summary>
    public static ProvenanceReport Sample(string title = "Official office figures, verified", string language = "en-CA", int edits = 1, string reason = "Typo.")
    {
        using var empty = JsonDocument.Parse("{}");
        var data = empty.RootElement.Clone();
        var events = new List<ReportEvent>();
        var revisions = new List<ReportRevision>();
        long seq = 1001;
        ReportEvent Event(string kind, string summary, string actor) =>
            new(seq, seq - 1000, kind, JsonNamingPolicy.SnakeCaseLower.ConvertName(kind), Start.AddMinutes(seq - 1001), actor, reason, null, null, summary, data);

        events.Add(Event(nameof(DocumentIngested), $"Ingested \"{title}\" ({language}) as revision 1 via web-capture", "archivist.dubois"));
        revisions.Add(new ReportRevision(1, null, "text/plain; charset=utf-8", Digest, 6855, null, null, "archivist.dubois", reason, Start, seq++));
        for (var r = 2; r <= edits + 1; r++)
        {
            events.Add(Event(nameof(DocumentEdited), $"Revision {r} from revision {r - 1}: +1 −1 lines", "editor.lavoie"));
            revisions.Add(new ReportRevision(r, r - 1, "text/plain; charset=utf-8", Digest, 6855 + r, 1, 1, "editor.lavoie", reason, Start.AddMinutes(seq - 1001), seq++));
        }
        events.Add(Event(nameof(DocumentTranslated), "Translated revision 1 into fr-CA", "translator.gagnon"));
        var translation = new ReportTranslation("fr-CA", 1, "text/plain; charset=utf-8", Digest, 7000, "Isabelle Gagnon", "human", "translator.gagnon", reason,
            Start.AddMinutes(seq - 1001), seq++, edits > 0, false);
        events.Add(Event(nameof(DocumentVerified), "verified by source-comparison", "factchecker.morin"));
        var verdict = new ReportVerdict(edits + 1, null, new VerifiedClaim("around 28,000 people have fled across the border", 10, 58), "source-comparison", "verified",
            ["https://example.org/wire"], null, "factchecker.morin", reason, Start.AddMinutes(seq - 1001), seq++, "revision/2");
        var root = Convert.FromHexString("ff" + new string('a', 62));
        var proofs = events.Select((e, i) => new DocumentEventProof(e.Sequence, e.Version, i, Convert.FromHexString(new string('f', 64)), new byte[32], true,
            [Convert.FromHexString("ffe" + new string('0', 61))])).ToList();
        var integrity = new ReportIntegrity("provenance.local/ledger", 12, root,
            "provenance.local/ledger\n12\n" + Convert.ToBase64String(root) + "\n\n— provenance.local/ledger AUviJTcMO/pR0As3HUasHc\n",
            "provenance.local/ledger+8f9acce8+AUviJTcMO/pR0As3HUasHc/21PsBjyjTfRmd8pMHP9TO", Start, 0, proofs);
        var document = new ReportDocument(Guid.Parse("f334633b-6e12-8724-8660-ab80b18ec992"), title, language, "text/plain; charset=utf-8", edits + 1, Digest,
            6855, null, "https://example.org/article", "CTV News", Start, "web-capture", Start, "archivist.dubois", Start, "factchecker.morin");
        return new ProvenanceReport("provenance-report/1", Start, document, events, revisions, [translation], [verdict], [],
            new ReportLineage([], []), integrity);
    }

    /// <summary>poppler's pdftotext, the tool a reviewer copies text with (Debian poppler-utils, installed by .ci/run).</summary>
    static string PdfToText(byte[] pdf)
    {
        var file = Path.Combine(Path.GetTempPath(), $"provenance-{Guid.NewGuid():N}.pdf");
        File.WriteAllBytes(file, pdf);
        try
        {
            using var process = Process.Start(new ProcessStartInfo("pdftotext", [file, "-"]) { RedirectStandardOutput = true, RedirectStandardError = true })
                                ?? throw new InvalidOperationException("pdftotext did not start: install poppler-utils.");
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            process.ExitCode.ShouldBe(0, process.StandardError.ReadToEnd());
            return text;
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void Digests_copy_out_as_the_ASCII_they_are_and_no_ligature_reaches_the_text_layer()
    {
        var text = PdfToText(PdfReport.Render(Sample()));
        text.ShouldContain(Digest);
        text.ShouldContain("Official office figures, verified");
        text.ShouldContain(Convert.ToHexStringLower(Convert.FromHexString("ff" + new string('a', 62))));
        text.Where(c => c is >= '\uFB00' and <= '\uFB06').ShouldBeEmpty("ligature code points in the text layer");
    }

    [Fact]
    public void A_CJK_title_is_drawn_and_extracted_not_dropped()
    {
        var pdf = PdfReport.Render(Sample(CjkTitle, "ja"));
        var text = PdfToText(pdf);
        text.ShouldContain(CjkTitle);
        using var document = PdfDocument.Open(pdf);
        document.Information.Title.ShouldBe($"Provenance report: {CjkTitle}");
        // Both the Latin face and the CJK fallback are embedded, as subsets.
        var raw = System.Text.Encoding.Latin1.GetString(pdf);
        raw.ShouldContain("DejaVuSans");
        raw.ShouldContain("NotoSansCJK");
        pdf.Length.ShouldBeLessThan(200_000);
    }

    [Fact]
    public void A_four_page_report_is_under_200_KB_and_carries_title_author_subject_and_language()
    {
        var report = Sample(edits: 20, reason: string.Join(' ', Enumerable.Repeat("Checked against the publisher's corrected page.", 6)));
        var pdf = PdfReport.Render(report);
        using var document = PdfDocument.Open(pdf);
        output.WriteLine($"{document.NumberOfPages} pages, {pdf.Length:N0} bytes");
        document.NumberOfPages.ShouldBeGreaterThanOrEqualTo(4);
        pdf.Length.ShouldBeLessThan(200_000);
        document.Information.Title.ShouldBe("Provenance report: Official office figures, verified");
        document.Information.Author.ShouldBe("provenance.local/ledger");
        document.Information.Subject!.ShouldContain(report.Document.Id.ToString());
        document.Structure.Catalog.CatalogDictionary.TryGet(NameToken.Create("Lang"), out var lang).ShouldBeTrue();
        lang.ShouldBeOfType<StringToken>().Data.ShouldBe("en-CA");
    }

    [Fact]
    public void The_first_page_summarises_and_the_timeline_names_events_for_people_with_correct_plurals()
    {
        var report = Sample();
        using var document = PdfDocument.Open(PdfReport.Render(report));
        var pages = document.GetPages().Select(p => string.Join(" ", p.GetWords().Select(w => w.Text))).ToList();
        foreach (var expected in new[] { "Verdicts", "1 verdict: 1 verified", "Translations", "fr-CA from revision 1", "OUTDATED", "Checkpoint", "Tree size 12",
                     Convert.ToBase64String(report.Integrity.RootHash), "How to verify", "provenance verify-report", "Cosigned by" })
            pages[0].ShouldContain(expected);
        pages[1].ShouldContain("Timeline");
        foreach (var name in new[] { "Ingested", "document_ingested", "Edited", "document_edited", "Translated", "Verdict recorded", "document_verified" })
            pages[1].ShouldContain(name);
        pages[1].ShouldContain("1 line added, 1 removed");
        string.Join(" ", pages).ShouldNotContain("1 lines");
        string.Join(" ", pages).ShouldContain("4 events, all covered by this checkpoint");
        pages[0].ShouldContain(Digest);
    }

    [Fact]
    public void No_heading_is_left_at_the_foot_of_a_page()
    {
        for (var edits = 0; edits < 40; edits += 3)
        {
            using var document = PdfDocument.Open(PdfReport.Render(Sample(edits: edits, reason: "A reason long enough to take two lines of the timeline's last column, " +
                                                                                            "which moves the headings about from one run to the next.")));
            foreach (var page in document.GetPages())
            {
                // Lines from top to bottom, without the footer (page number and document id, 30 points above the edge).
                var lines = page.Letters.Where(l => l.BoundingBox.Bottom > 40).GroupBy(l => Math.Round(l.StartBaseLine.Y))
                    .OrderBy(g => -g.Key).Select(g => (Size: g.Max(l => l.PointSize), Text: string.Concat(g.OrderBy(l => l.StartBaseLine.X).Select(l => l.Value)))).ToList();
                var last = lines[^1];
                last.Size.ShouldBeLessThan(12, $"{edits} edits, page {page.Number} ends with the heading \"{last.Text}\"");
            }
        }
    }

    [Fact]
    public void Event_names_read_as_words_with_unknown_types_made_readable()
    {
        PdfReport.EventName("DocumentIngested").ShouldBe("Ingested");
        PdfReport.EventName("DocumentEdited").ShouldBe("Edited");
        PdfReport.EventName("DocumentRedacted").ShouldBe("Redacted");
        PdfReport.EventName("document_withdrawal_lifted").ShouldBe("Document withdrawal lifted");
        PdfReport.Count(1, "line").ShouldBe("1 line");
        PdfReport.Count(0, "line").ShouldBe("0 lines");
        PdfReport.Count(6855, "byte").ShouldBe("6,855 bytes");
    }
}
