using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Provenance.Api.Access;
using Provenance.Api.Reports;
using Provenance.Ledger;
using Shouldly;
using UglyToad.PdfPig;
using Xunit.Abstractions;
using Provenance.Api.Tenancy;

namespace Provenance.Tests.Reports;

public sealed class Provenance_reports(AppFixture fixture, ITestOutputHelper output) : ReportsContext(fixture)
{
    [Fact]
    public async Task The_JSON_report_is_signed_complete_and_verifies_offline_until_one_byte_changes()
    {
        var corpus = await SeedAndCheckpointAsync();
        var id = corpus.Documents[Article];
        var (body, contentType, signature) = await GetReportAsync(id);
        contentType.ShouldStartWith("application/json");

        var report = JsonDocument.Parse(body).RootElement;
        report.GetProperty("document").GetProperty("title").GetString().ShouldStartWith("NDP pressures Liberals");
        report.GetProperty("events").GetArrayLength().ShouldBeGreaterThanOrEqualTo(6);
        var translation = report.GetProperty("translations").EnumerateArray().Single();
        (translation.GetProperty("language").GetString(), translation.GetProperty("sourceRevision").GetInt32(), translation.GetProperty("outdated").GetBoolean())
            .ShouldBe(("fr-CA", 1, true));
        var edges = report.GetProperty("lineage").GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("relation").GetString()).ToList();
        edges.ShouldContain("revisionOf");
        edges.ShouldContain("translationOf");
        edges.ShouldContain("verifies");
        // The seed loader runs outside any request, so its events carry no correlation id; the field is there all the same.
        report.GetProperty("events").EnumerateArray().Count(e => e.TryGetProperty("correlationId", out var c) && c.ValueKind is JsonValueKind.String or JsonValueKind.Null)
            .ShouldBe(report.GetProperty("events").GetArrayLength());

        var key = await LedgerKeyAsync();
        var verification = ReportVerifier.Verify(body, signature, key);
        verification.Passed.ShouldBeTrue(string.Join("\n", verification.Checks.Select(c => $"{c.Name}: {c.Passed} {c.Detail}")));
        verification.Checks.Select(c => c.Name).ShouldBe(["key", "signature", "checkpoint", "events", "completeness"]);

        // One byte of an actor's name changed: the signature fails, and so does the recomputed leaf.
        var at = body.AsSpan().IndexOf("\"actor\": \"editor.lavoie\""u8);
        at.ShouldBeGreaterThan(0);
        var tampered = (byte[])body.Clone();
        tampered[at + "\"actor\": \"e".Length] = (byte)'E';
        var rejected = ReportVerifier.Verify(tampered, signature, key);
        rejected.Passed.ShouldBeFalse();
        rejected.Checks.Single(c => c.Name == "signature").Passed.ShouldBeFalse();
        rejected.Checks.Single(c => c.Name == "events").Passed.ShouldBeFalse(string.Join("\n", rejected.Checks.Select(c => $"{c.Name}: {c.Passed} {c.Detail}")));

        // The same report with another key's signature, or none, does not pass either.
        ReportVerifier.Verify(body, null, key).Passed.ShouldBeFalse();
        ReportVerifier.Verify(body, PinnedSigner.SignDetached(body).ToString(), key).Passed.ShouldBeFalse();
    }

    public static TheoryData<string?, string?, string> Negotiations => new()
    {
        { null, "text/csv", "text/csv" },
        { null, "text/turtle", "text/turtle" },
        { null, "application/ld+json", "application/ld+json" },
        { null, "application/xml", "application/xml" },
        { null, "application/pdf", "application/pdf" },
        { null, $"application/json; profile=\"{ReportFormats.ProvJsonProfile}\"", "application/json; profile=" },
        { "prov-json", null, "application/json; profile=" },
        { "premis", "text/csv", "application/xml" },
        { null, "text/html, application/xml;q=0.9", "application/xml" },
    };

    [Theory, MemberData(nameof(Negotiations))]
    public async Task Every_format_is_negotiated_and_signed_over_its_exact_bytes(string? format, string? accept, string expected)
    {
        var corpus = await SeedAndCheckpointAsync();
        var (body, contentType, signature) = await GetReportAsync(corpus.Documents[Letter], format, accept);
        contentType.ShouldStartWith(expected);
        var key = await LedgerKeyAsync();
        DetachedSignature.Parse(signature).Verify(body, key).IsValid.ShouldBeTrue();
    }

    [Fact]
    public async Task Readers_may_not_export_and_unknown_formats_are_406()
    {
        var corpus = await SeedAndCheckpointAsync();
        var id = corpus.Documents[Article];
        (await As(Roles.Reader, s => s.Get.Url($"/api/documents/{id}/provenance"))).Context.Response.StatusCode.ShouldBe(403);
        (await As(Roles.Contributor, s => s.Get.Url($"/api/documents/{id}/provenance"))).Context.Response.StatusCode.ShouldBe(403);
        await ShouldBeProblemAsync(await As(Roles.Auditor, s => s.Get.Url($"/api/documents/{id}/provenance?format=docx")), 406, "not-acceptable");
        await ShouldBeProblemAsync(await As(Roles.Auditor, s =>
        {
            s.Get.Url($"/api/documents/{id}/provenance");
            s.WithRequestHeader("Accept", "text/html");
        }), 406, "not-acceptable");
        await ShouldBeProblemAsync(await As(Roles.Auditor, s => s.Get.Url($"/api/documents/{Guid.NewGuid()}/provenance")), 404, "not-found");
        (await As(Roles.Admin, s => s.Get.Url($"/api/documents/{id}/provenance?format=csv"))).Context.Response.StatusCode.ShouldBe(200);
    }

    [Fact]
    public async Task PREMIS_validates_against_the_official_schema()
    {
        var corpus = await SeedAndCheckpointAsync();
        var (body, _, _) = await GetReportAsync(corpus.Documents[Article], "premis");
        var xml = Encoding.UTF8.GetString(body);
        xml.ShouldContain("valueURI=\"http://id.loc.gov/vocabulary/preservation/eventType/ing\"");
        xml.ShouldContain("valueURI=\"http://id.loc.gov/vocabulary/preservation/eventType/mod\"");
        xml.ShouldContain("valueURI=\"http://id.loc.gov/vocabulary/preservation/eventType/val\"");
        xml.ShouldContain("<messageDigestAlgorithm");
        if (!XmllintAvailable())
        {
            Assert.Fail("xmllint is not installed (apt-get install libxml2-utils; .ci/run installs it): cannot validate PREMIS against the schema.");
        }
        var file = Path.Combine(Path.GetTempPath(), $"premis-{Guid.NewGuid():N}.xml");
        await File.WriteAllBytesAsync(file, body);
        try
        {
            var start = new ProcessStartInfo("xmllint", ["--noout", "--schema", Path.Combine(ReportsFolder, "Schemas", "premis-v3-0.xsd"), file])
            {
                RedirectStandardError = true, RedirectStandardOutput = true,
            };
            using var process = Process.Start(start)!;
            var errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            process.ExitCode.ShouldBe(0, errors);
            errors.ShouldContain("validates");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task PROV_JSON_and_Turtle_describe_revisions_translations_activities_and_agents()
    {
        var corpus = await SeedAndCheckpointAsync();
        var id = corpus.Documents[Article];
        var prov = JsonDocument.Parse((await GetReportAsync(id, "prov-json")).Body).RootElement;
        foreach (var section in new[] { "prefix", "entity", "activity", "agent", "wasGeneratedBy", "used", "wasAssociatedWith", "wasAttributedTo", "wasDerivedFrom" })
        {
            prov.TryGetProperty(section, out _).ShouldBeTrue(section);
        }
        var derivations = prov.GetProperty("wasDerivedFrom").EnumerateObject().Select(p => p.Value).ToList();
        derivations.ShouldContain(d => d.GetProperty("prov:type").GetProperty("$").GetString() == "prov:Revision"
                                       && d.GetProperty("prov:generatedEntity").GetString() == $"doc:{id}/revision-2");
        derivations.ShouldContain(d => d.GetProperty("prov:type").GetProperty("$").GetString() == "pv:Translation");
        prov.GetProperty("agent").EnumerateObject().ShouldContain(a => a.Value.GetProperty("prov:label").GetString() == "Isabelle Gagnon");
        prov.GetProperty("activity").EnumerateObject().ShouldAllBe(a => a.Value.GetProperty("prov:startTime").GetString()!.EndsWith('Z'));

        var turtle = Encoding.UTF8.GetString((await GetReportAsync(id, "turtle")).Body);
        var triples = TurtleCheck.Parse(turtle);
        triples.ShouldContain(t => t.Predicate == "prov:wasRevisionOf" && t.Subject == $"<urn:provenance:document:{id}/revision-2>"
                                   && t.Object == $"<urn:provenance:document:{id}/revision-1>");
        triples.ShouldContain(t => t.Predicate == "prov:wasDerivedFrom");
        triples.ShouldContain(t => t.Predicate == "prov:wasAssociatedWith");
        triples.ShouldContain(t => t.Predicate == "prov:wasAttributedTo");
        triples.Where(t => t.Predicate is "prov:startedAtTime" or "prov:generatedAtTime").ShouldAllBe(t => t.Object.EndsWith("^^xsd:dateTime"));

        var jsonLd = JsonDocument.Parse((await GetReportAsync(id, "jsonld")).Body).RootElement;
        jsonLd.GetProperty("@context").GetProperty("prov").GetString().ShouldBe("http://www.w3.org/ns/prov#");
        jsonLd.GetProperty("@graph").EnumerateArray().Count(n => n.TryGetProperty("prov:wasRevisionOf", out var _)).ShouldBe(1);
    }

    [Fact]
    public async Task The_CSV_is_one_RFC_4180_row_per_event()
    {
        var corpus = await SeedAndCheckpointAsync();
        var id = corpus.Documents[Letter];
        var csv = Encoding.UTF8.GetString((await GetReportAsync(id, "csv")).Body);
        csv.ShouldStartWith(string.Join(',', CsvReport.Header) + "\r\n");
        var events = JsonDocument.Parse((await GetReportAsync(id)).Body).RootElement.GetProperty("events").GetArrayLength();
        Rfc4180.Parse(csv).Count.ShouldBe(events + 1);
        Rfc4180.Parse(csv).ShouldAllBe(r => r.Length == CsvReport.Header.Length);
    }

    [Fact]
    public async Task The_PDF_shows_the_title_the_checkpoint_root_and_French_names()
    {
        var corpus = await SeedAndCheckpointAsync();
        var id = corpus.Documents[Article];
        var root = JsonDocument.Parse((await GetReportAsync(id)).Body).RootElement.GetProperty("integrity").GetProperty("rootHash").GetString()!;
        var (pdf, contentType, _) = await GetReportAsync(id, "pdf");
        contentType.ShouldBe("application/pdf");
        if (Environment.GetEnvironmentVariable("PROVENANCE_REPORT_DUMP") is { } dump) await File.WriteAllBytesAsync(Path.Combine(dump, "article.pdf"), pdf);
        using var document = PdfDocument.Open(pdf);
        var pages = document.GetPages().Select(p => string.Join(" ", p.GetWords().Select(w => w.Text))).ToList();
        var all = string.Join("\n", pages);
        pages[0].ShouldContain("Provenance report");
        pages[0].ShouldContain("Nagorno-Karabakh");
        pages[0].ShouldContain(root);
        all.ShouldContain("Mélanie");
        all.ShouldContain("OUTDATED");
        pages[^1].ShouldContain($"Page {pages.Count} of {pages.Count}");

        // Render time of the sample article's report, the model already built: the first render (fonts loaded, faces subset) and the median of five more.
        var pinned = await PinnedReportAsync(id);
        var clock = Stopwatch.StartNew();
        var rendered = PdfReport.Render(pinned);
        var first = clock.Elapsed;
        var warm = Enumerable.Range(0, 5).Select(_ => { clock.Restart(); PdfReport.Render(pinned); return clock.Elapsed; }).Order().ElementAt(2);
        output.WriteLine($"PDF of the sample article: {rendered.Length:N0} bytes, {document.NumberOfPages} pages; first render {first.TotalMilliseconds:0} ms, then median {warm.TotalMilliseconds:0} ms");
        rendered.Length.ShouldBeLessThan(200_000);
        warm.ShouldBeLessThan(TimeSpan.FromSeconds(1));
    }

    [Theory]
    [InlineData(Article, "json", "article.json")]
    [InlineData(Article, "csv", "article.csv")]
    [InlineData(Article, "prov-json", "article.prov.json")]
    [InlineData(Article, "turtle", "article.ttl")]
    [InlineData(Article, "jsonld", "article.jsonld")]
    [InlineData(Article, "premis", "article.premis.xml")]
    [InlineData(Letter, "json", "letter.json")]
    [InlineData(Letter, "premis", "letter.premis.xml")]
    public async Task Reports_of_the_sample_corpus_match_their_golden_files(string key, string format, string golden)
    {
        var corpus = await SeedAndCheckpointAsync();
        var report = await PinnedReportAsync(corpus.Documents[key]);
        var rendered = ReportFormats.All.Single(f => f.Name == format).Render(report);
        var path = Path.Combine(ReportsFolder, "Goldens", golden);
        if (Environment.GetEnvironmentVariable("PROVENANCE_UPDATE_GOLDENS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, rendered);
        }
        File.Exists(path).ShouldBeTrue($"{path} is missing: run once with PROVENANCE_UPDATE_GOLDENS=1 and review it.");
        Encoding.UTF8.GetString(rendered).ShouldBe(await File.ReadAllTextAsync(path));
        if (format == "json")
        {
            // The pinned report is a real one: it verifies offline against the pinned key.
            ReportVerifier.Verify(rendered, PinnedSigner.SignDetached(rendered).ToString(), PinnedSigner.Verifier).Passed.ShouldBeTrue();
        }
    }

    [Fact]
    public async Task A_document_with_1000_events_reports_in_every_format()
    {
        var id = (await IngestAsync("Line one.\nLine two.\n", "fr", "Rapport de performance")).Id;
        await using (var session = Store.LightweightSession(Tenants.Default))
        {
            for (var i = 0; i < 999; i++)
            {
                session.Events.Append(id, new Provenance.Api.Documents.DocumentVerified(id, 1, null, null, "expert-review",
                    i % 2 == 0 ? "verified" : "inconclusive", [$"https://example.org/evidence/{i}"], "Relu par l'équipe.", "auditor.bench", null));
            }
            await session.SaveChangesAsync();
        }
        await SignCheckpointAsync();

        var raw = Stopwatch.StartNew();
        await using (var query = Store.QuerySession(Tenants.Default))
        {
            (await query.Events.FetchStreamAsync(id)).Count.ShouldBe(1000);
        }
        raw.Stop();
        output.WriteLine($"raw event read: {raw.ElapsedMilliseconds} ms");
        foreach (var format in ReportFormats.All)
        {
            await GetReportAsync(id, format.Name);
            var watch = Stopwatch.StartNew();
            var (body, _, _) = await GetReportAsync(id, format.Name);
            watch.Stop();
            output.WriteLine($"{format.Name,-10} {watch.ElapsedMilliseconds,5} ms  {body.Length,9} bytes  ({watch.Elapsed / raw.Elapsed:0.0}× the raw read)");
            body.Length.ShouldBeGreaterThan(0);
        }
    }
}

/// <summary>
/// No RDF parser is served on this NuGet feed (dotNetRdf is absent), so this reads the subset of Turtle our writer emits — prefixes,
/// subject blocks with ';'-separated predicate-object lists and ','-separated objects — and fails on anything else.
/// </summary>
public static class TurtleCheck
{
    public sealed record Triple(string Subject, string Predicate, string Object);

    public static List<Triple> Parse(string turtle)
    {
        var tokens = Tokens(turtle).ToList();
        var triples = new List<Triple>();
        var prefixes = new HashSet<string>();
        var i = 0;
        while (i < tokens.Count)
        {
            if (tokens[i] == "@prefix")
            {
                tokens[i + 1].ShouldEndWith(":");
                tokens[i + 2].ShouldStartWith("<");
                tokens[i + 3].ShouldBe(".");
                prefixes.Add(tokens[i + 1].TrimEnd(':'));
                i += 4;
                continue;
            }
            var subject = tokens[i++];
            subject.ShouldStartWith("<");
            while (true)
            {
                var predicate = tokens[i++];
                (predicate == "a" || prefixes.Contains(predicate.Split(':')[0])).ShouldBeTrue($"undeclared prefix in {predicate}");
                while (true)
                {
                    var o = tokens[i++];
                    if (!o.StartsWith('<') && !o.StartsWith('"')) prefixes.ShouldContain(o.Split(':')[0]);
                    if (o.Contains("^^")) prefixes.ShouldContain(o[(o.IndexOf("^^", StringComparison.Ordinal) + 2)..].Split(':')[0]);
                    triples.Add(new Triple(subject, predicate, o));
                    if (tokens[i] != ",") break;
                    i++;
                }
                var separator = tokens[i++];
                if (separator == ".") break;
                separator.ShouldBe(";");
            }
        }
        return triples;
    }

    static IEnumerable<string> Tokens(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            var start = i;
            if (c == '<') { i = text.IndexOf('>', i) + 1; }
            else if (c == '"')
            {
                i++;
                while (text[i] != '"') i += text[i] == '\\' ? 2 : 1;
                i++;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not (';' or ',' )) i++;
            }
            else if (c is ';' or ',') i++;
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not (';' or ',')) i++;
                // A final '.' ends the statement unless it is inside a name.
                if (text[i - 1] == '.' && i - start > 1) { yield return text[start..(i - 1)]; yield return "."; continue; }
            }
            yield return text[start..i];
        }
    }
}
