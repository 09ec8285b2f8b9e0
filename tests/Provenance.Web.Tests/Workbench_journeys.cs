using System.IO.Compression;
using System.Text;
using Microsoft.Playwright;
using Shouldly;
using static Microsoft.Playwright.Assertions;

namespace Provenance.Web.Tests;

/// <summary>The archivist's and reviewer's workbench: the document header, its export menu, the verify page, and phone widths.</summary>
[Collection(WebCollection.Name)]
public sealed class Workbench_journeys(WebFixture fixture)
{
    [BrowserFact]
    public async Task The_document_header_gives_the_facts_first_and_every_action()
    {
        var page = await fixture.SignedInPageAsync("admin");
        await page.GotoAsync($"/documents/{fixture.Charter}");
        var header = page.Locator("header.doc-head");
        await Expect(header.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Charter of the river guilds");
        await Expect(header).ToContainTextAsync("3 (current)");
        await Expect(header.Locator("a.badge.verified")).ToContainTextAsync("verified · r3");
        await Expect(header.Locator("a.badge.outdated[lang='fr']")).ToContainTextAsync("outdated");
        await Expect(header.Locator("dd a.badge").Last).ToContainTextAsync(new System.Text.RegularExpressions.Regex("events (in a signed checkpoint|await the next checkpoint)"));
        foreach (var action in new[] { "Edit", "Translate", "Record a verdict", "Verify this document", "Compare revisions", "Lineage graph" })
        {
            await Expect(header.GetByRole(AriaRole.Link, new() { Name = action, Exact = true })).ToBeVisibleAsync();
        }
        // The forms wait behind their actions: the page no longer ends in three large forms.
        await Expect(page.GetByLabel("Reason for the change (required)")).ToBeHiddenAsync();
        foreach (var section in new[] { "Text", "Timeline", "Translations", "Verifications", "Integrity", "Metadata" })
        {
            await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Sections" }).GetByRole(AriaRole.Link, new() { Name = section })).ToBeVisibleAsync();
        }

        // View as of: the menu holds the form; a date before the document says so, a bad one is an error shown first.
        await header.Locator("summary", new() { HasText = "View as of" }).ClickAsync();
        await Expect(page.GetByLabel("View as of").And(page.Locator("input"))).ToBeVisibleAsync();
        await page.GotoAsync($"/documents/{fixture.Charter}?asOf=not-a-date");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("'asOf' must be a date and time");
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeFocusedAsync();
    }

    [BrowserFact]
    public async Task The_export_menu_downloads_every_report_format_and_a_signed_pair()
    {
        var page = await fixture.SignedInPageAsync("auditor");
        await page.GotoAsync($"/documents/{fixture.Charter}");
        var menu = page.Locator("header.doc-head details.menu", new() { HasText = "Export" });
        await menu.Locator("summary").ClickAsync();
        var items = menu.GetByRole(AriaRole.Link);
        await Expect(items).ToHaveCountAsync(9);
        var expected = new Dictionary<string, string>
        {
            ["Provenance report (JSON)"] = ".json", ["W3C PROV-JSON"] = ".prov.json", ["W3C PROV-O (Turtle)"] = ".ttl", ["W3C PROV-O (JSON-LD)"] = ".jsonld",
            ["PREMIS 3 (XML)"] = ".premis.xml", ["Timeline (CSV)"] = ".csv", ["Report for filing (PDF)"] = ".pdf",
        };
        foreach (var (name, extension) in expected)
        {
            var download = await page.RunAndWaitForDownloadAsync(() => menu.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync());
            download.SuggestedFilename.ShouldBe($"provenance-{fixture.Charter}{extension}");
            (await File.ReadAllBytesAsync((await download.PathAsync())!)).Length.ShouldBeGreaterThan(100);
        }
        var pdf = await page.RunAndWaitForDownloadAsync(() => menu.GetByRole(AriaRole.Link, new() { Name = "Report for filing (PDF)" }).ClickAsync());
        Encoding.ASCII.GetString(await File.ReadAllBytesAsync((await pdf.PathAsync())!), 0, 5).ShouldBe("%PDF-");

        var signed = await page.RunAndWaitForDownloadAsync(() => menu.GetByRole(AriaRole.Link, new() { Name = "Signed JSON report with its .sig" }).ClickAsync());
        signed.SuggestedFilename.ShouldBe($"provenance-{fixture.Charter}.signed.zip");
        using var zip = ZipFile.OpenRead((await signed.PathAsync())!);
        zip.Entries.Select(e => e.FullName).Order().ShouldBe([$"provenance-{fixture.Charter}.json", $"provenance-{fixture.Charter}.json.sig"]);

        // The preservation package: a signed BagIt bag of the content, every report and the proofs.
        var bag = await page.RunAndWaitForDownloadAsync(() => menu.GetByRole(AriaRole.Link, new() { Name = "Preservation package" }).ClickAsync());
        bag.SuggestedFilename.ShouldBe($"provenance-{fixture.Charter}.zip");
        using var bagZip = ZipFile.OpenRead((await bag.PathAsync())!);
        bagZip.Entries.Select(e => e.FullName).ShouldContain($"provenance-{fixture.Charter}/bagit.txt");
        bagZip.Entries.Select(e => e.FullName).ShouldContain($"provenance-{fixture.Charter}/provenance.sig");

        // A reader has no export menu: the reports are the auditors'.
        var reader = await fixture.SignedInPageAsync("reader");
        await reader.GotoAsync($"/documents/{fixture.Charter}");
        await Expect(reader.Locator("header.doc-head details.menu", new() { HasText = "Export" })).ToHaveCountAsync(0);
    }

    [BrowserFact]
    public async Task A_reviewer_drops_a_signed_report_on_the_verify_page_and_sees_each_event_checked()
    {
        var auditor = await fixture.SignedInPageAsync("auditor");
        await auditor.GotoAsync($"/documents/{fixture.Charter}");
        var menu = auditor.Locator("header.doc-head details.menu", new() { HasText = "Export" });
        await menu.Locator("summary").ClickAsync();
        var signed = await auditor.RunAndWaitForDownloadAsync(() => menu.GetByRole(AriaRole.Link, new() { Name = "Signed JSON report with its .sig" }).ClickAsync());
        var zipPath = (await signed.PathAsync())!;

        var page = await fixture.SignedInPageAsync("reader");
        await page.GetByRole(AriaRole.Link, new() { Name = "Verify a report" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Verify a report", Level = 1 })).ToBeVisibleAsync();
        await page.GetByLabel("Report", new() { Exact = false }).And(page.Locator("input[type=file]")).SetInputFilesAsync(zipPath);
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "is verified" })).ToBeVisibleAsync();
        var rows = page.Locator("table tbody tr");
        await Expect(rows).ToHaveCountAsync(5);
        await Expect(rows.Nth(0)).ToContainTextAsync("ingested");
        await Expect(page.Locator("table tbody .badge.bad")).ToHaveCountAsync(0);
        await Expect(page.Locator("ul.checks")).ToContainTextAsync("this ledger signed the same root");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 2, Name = "What was checked" })).ToBeFocusedAsync();

        // The same report with one committed fact changed, and its signature beside it: the signature and that event fail.
        using var zip = ZipFile.OpenRead(zipPath);
        var json = Encoding.UTF8.GetString(ReadAll(zip.Entries.Single(e => e.FullName.EndsWith(".json", StringComparison.Ordinal))));
        var sig = ReadAll(zip.Entries.Single(e => e.FullName.EndsWith(".sig", StringComparison.Ordinal)));
        var tampered = json.Replace("Season corrected against the 1620 copy", "Season corrected against the 1720 copy", StringComparison.Ordinal);
        tampered.ShouldNotBe(json);
        await page.GetByLabel("Report", new() { Exact = false }).And(page.Locator("input[type=file]")).SetInputFilesAsync(new FilePayload { Name = "report.json", MimeType = "application/json", Buffer = Encoding.UTF8.GetBytes(tampered) });
        await page.GetByLabel("Signature").And(page.Locator("input[type=file]")).SetInputFilesAsync(new FilePayload { Name = "report.json.sig", MimeType = "text/plain", Buffer = sig });
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "is NOT verified" })).ToBeVisibleAsync();
        await Expect(page.Locator("table tbody tr.failed")).ToHaveCountAsync(1);
        await Expect(page.Locator("table tbody tr.failed")).ToContainTextAsync("edited");

        // Not a report at all: one error, first, with the focus.
        await page.GetByLabel("Report", new() { Exact = false }).And(page.Locator("input[type=file]")).SetInputFilesAsync(new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = "hello"u8.ToArray() });
        var response = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Verify", Exact = true }).ClickAsync(),
            r => r.Url.EndsWith("/verify", StringComparison.Ordinal) && r.Request.Method == "POST");
        response.Status.ShouldBe(422);
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not a provenance report");
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeFocusedAsync();
    }

    static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    [BrowserFact]
    public async Task The_sample_post_edit_is_compared_with_its_machine_translation_and_told_apart_in_the_lineage()
    {
        var page = await fixture.SignedInPageAsync("reader");
        await page.GotoAsync($"/documents/{fixture.Letter}/lineage");
        var nodes = page.Locator("svg a[href*='language=fr-CA']");
        await Expect(nodes).ToHaveCountAsync(2);
        var labels = await nodes.EvaluateAllAsync<string[]>("ns => ns.map(n => n.querySelector('title').textContent)");
        labels.ShouldContain(l => l.Contains("fr-CA #1") && l.Contains("machine"));
        labels.ShouldContain(l => l.Contains("fr-CA #2") && l.Contains("machine + post-edit"));
        // Drawn labels are shortened at a word: every one is a prefix of words of the full label, or ends in an ellipsis after a whole word.
        var cutMidWord = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('svg a')].flatMap(a => [...a.querySelectorAll('text')].map(t => [a.querySelector('title').textContent, t.textContent.replace(/ ⚠$/, '')]))
              .filter(([label, text]) => text.endsWith('…'))
              .filter(([label, text]) => { const prefix = text.slice(0, -1); const at = label.indexOf(prefix); return at < 0 || /[\p{L}\p{N}]/u.test(label.charAt(at + prefix.length)); })
              .map(([label, text]) => text)
            """);
        cutMidWord.ShouldBeEmpty();
        await Expect(page.Locator("svg a[href*='#verifications'] title").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("evidence: \\d"));

        await page.GetByRole(AriaRole.Link, new() { Name = "Compare the last two fr-CA translations" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("fr-CA #1 (machine");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("fr-CA #2 (machine + post-edit");
        await Expect(page.Locator("table.diff.side ins").First).ToBeVisibleAsync();
    }

    [BrowserFact]
    public async Task An_auditor_checks_two_checkpoints_are_consistent_and_sees_when_the_next_is_due()
    {
        var contributor = fixture.Keys["contributor"];
        var doc = await fixture.Send(contributor, HttpMethod.Post, "/api/documents", new { title = "Tide table", language = "en", content = "High water 06:12.\n" });
        await fixture.SignCheckpointAsync();
        var page = await fixture.SignedInPageAsync("auditor");
        await page.GotoAsync("/integrity");
        var options = page.GetByLabel("Earlier checkpoint").Locator("option");
        (await options.CountAsync()).ShouldBeGreaterThanOrEqualTo(2);
        await page.GetByLabel("Earlier checkpoint").SelectOptionAsync(new SelectOptionValue { Index = 0 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Check consistency" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Consistent" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "is a prefix of the tree of" })).ToBeVisibleAsync();

        // A new event is not in a checkpoint yet: the page says when it will be.
        var id = doc.GetProperty("id").GetGuid();
        await fixture.Send(contributor, HttpMethod.Post, $"/api/documents/{id}/revisions", new { content = "High water 06:14.\n", reason = "Corrected" }, "\"1\"");
        await page.GotoAsync($"/documents/{id}");
        await Expect(page.Locator("header.doc-head")).ToContainTextAsync("await the next checkpoint");
        await fixture.WaitForLedgerAsync();
        await page.GotoAsync($"/documents/{id}/integrity");
        await Expect(page.Locator("table")).ToContainTextAsync("edited");
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "not yet in a checkpoint" })).ToContainTextAsync("The next checkpoint is due");
    }

    [BrowserFact]
    public async Task On_a_phone_the_header_is_short_compare_stacks_and_the_lineage_scrolls()
    {
        var page = await fixture.SignedInPageAsync("admin", width: 390, height: 844);
        await page.GotoAsync($"/documents/{fixture.Article}");
        (await page.Locator("header.site").BoundingBoxAsync())!.Height.ShouldBeLessThan(100);

        await page.GotoAsync($"/documents/{fixture.Charter}/compare?from=1&to=3");
        var changed = page.Locator("table.diff.side tr", new() { Has = page.Locator("td.changed") }).First;
        var (old, @new) = ((await changed.Locator("td.old").BoundingBoxAsync())!, (await changed.Locator("td.new").BoundingBoxAsync())!);
        @new.Y.ShouldBeGreaterThanOrEqualTo(old.Y + old.Height - 1, "the new line sits under the old one");
        @new.Width.ShouldBeGreaterThan(300);

        await page.GotoAsync($"/documents/{fixture.Letter}/lineage");
        var graph = page.Locator(".graph");
        (await graph.EvaluateAsync<bool>("g => g.scrollWidth > g.clientWidth && getComputedStyle(g).overflowX === 'auto'")).ShouldBeTrue();
        (await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth")).ShouldBeTrue("only the graph scrolls, not the page");
    }

    public static TheoryData<string, int, int, string> Variants => new()
    {
        { "desktop", 1280, 800, "en" },
        { "phone", 390, 844, "en" },
        { "french", 1280, 800, "fr" },
    };

    /// <summary>Every page, as people see it, into docs/screenshots/ (committed, so a change in looks shows in review).</summary>
    [BrowserTheory]
    [MemberData(nameof(Variants))]
    public async Task Screenshots_of_every_page(string variant, int width, int height, string language)
    {
        var folder = Path.Combine(WebFixture.RepositoryRoot, "docs", "screenshots");
        Directory.CreateDirectory(folder);
        var page = await fixture.SignedInPageAsync("admin", width, height);
        if (language != "en") await page.GotoAsync($"/documents?lang={language}");
        await page.GotoAsync($"/documents/{fixture.Letter}");
        var menu = page.Locator("header.doc-head details.menu").First;
        await menu.Locator("summary").ClickAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => menu.Locator("a[href$='signed.zip']").ClickAsync());
        var zip = Path.Combine(Path.GetTempPath(), $"screens-{variant}", download.SuggestedFilename);
        await download.SaveAsAsync(zip);

        (string Name, string Url)[] pages =
        [
            ("documents", "/documents"),
            ("search", "/documents?q=sanctions&in=text"),
            ("document", $"/documents/{fixture.Article}"),
            ("document-letter", $"/documents/{fixture.Letter}"),
            ("document-edit", $"/documents/{fixture.Article}?action=edit#edit"),
            ("timeline", $"/documents/{fixture.Article}#timeline"),
            ("compare", $"/documents/{fixture.Article}/compare?from=1&to=2"),
            ("compare-inline", $"/documents/{fixture.Article}/compare?from=1&to=2&view=inline"),
            ("compare-translations", $"/documents/{fixture.Letter}/compare?a=2&b=3"),
            ("lineage", $"/documents/{fixture.Article}/lineage"),
            ("lineage-letter", $"/documents/{fixture.Letter}/lineage"),
            ("document-integrity", $"/documents/{fixture.Article}/integrity"),
            ("integrity", "/integrity"),
            ("audit", "/audit"),
            ("ingest", "/documents/new"),
            ("verify", "/verify"),
        ];
        foreach (var (name, url) in pages)
        {
            await page.GotoAsync(url);
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{name}-{variant}.png"), FullPage = variant != "phone" && name is not ("document" or "document-letter" or "timeline" or "document-edit") });
        }

        // The two pages that need an action first: a stale edit's explanation, and a verified report.
        await page.GotoAsync($"/documents/{fixture.Letter}");
        await page.Locator("header.doc-head .doc-actions a[href*='action=verify']").ClickAsync();
        await page.Locator("#vf-claim-quote").FillAsync("words that are not in the letter");
        await page.Locator("#vf-verdict").SelectOptionAsync("disputed");
        await page.Locator("#vf-method").SelectOptionAsync("expert-review");
        await page.Locator("#verify button[type=submit]").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeFocusedAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"form-error-{variant}.png") });

        await page.GotoAsync("/verify");
        await page.Locator("#vr-report").SetInputFilesAsync(zip);
        await page.Locator("form.dropzone button[type=submit]").ClickAsync();
        await Expect(page.Locator(".verify-result")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"verify-result-{variant}.png"), FullPage = variant != "phone" });

        var signIn = await fixture.NewPageAsync(width, height);
        await signIn.GotoAsync($"/sign-in?lang={language}");
        await signIn.ScreenshotAsync(new() { Path = Path.Combine(folder, $"sign-in-{variant}.png") });
        File.Exists(Path.Combine(folder, $"verify-result-{variant}.png")).ShouldBeTrue();
    }
}
