using System.Text.Json;
using Microsoft.Playwright;
using Shouldly;
using static Microsoft.Playwright.Assertions;

namespace Provenance.Web.Tests;

[Collection(WebCollection.Name)]
public sealed class Archivist_journeys(WebFixture fixture)
{
    [BrowserFact]
    public async Task Signing_in_with_a_key_opens_the_documents_and_a_wrong_key_is_refused()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/documents");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/sign-in\\?returnUrl=%2Fdocuments$"));
        await page.GetByLabel("API key").FillAsync("pvk_not_a_key_at_all");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("unknown or has been revoked");

        await page.GetByLabel("API key").FillAsync(fixture.Keys["reader"]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Documents", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText("Signed in as")).ToContainTextAsync("web.reader");

        var cookies = await page.Context.CookiesAsync();
        var session = cookies.Single(c => c.Name == "provenance_session");
        session.HttpOnly.ShouldBeTrue();
        session.Secure.ShouldBeTrue();
        session.SameSite.ShouldBe(SameSiteAttribute.Strict);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in", Level = 1 })).ToBeVisibleAsync();
        await page.GotoAsync("/documents");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/sign-in"));
    }

    [BrowserFact]
    public async Task A_reader_finds_a_document_by_full_text_and_reads_its_timeline()
    {
        var page = await fixture.SignedInPageAsync("reader");
        await page.GetByLabel("Search", new() { Exact = true }).FillAsync("delegates");
        await page.GetByLabel("Search in").SelectOptionAsync("text");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        var hit = page.GetByRole(AriaRole.Link, new() { Name = "Charter of the river guilds" }).First;
        await Expect(page.Locator("ol.results mark").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("delegat", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
        await hit.ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Charter of the river guilds", Level = 1 })).ToBeVisibleAsync();
        var timeline = page.GetByRole(AriaRole.List, new() { Name = "Timeline" });
        await Expect(timeline.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(5);
        await Expect(timeline).ToContainTextAsync("Season corrected against the 1620 copy");
        await Expect(timeline).ToContainTextAsync("Translated into fr from revision 1");
        await Expect(timeline).ToContainTextAsync("web.contributor");
        await Expect(page.Locator("#translations")).ToBeVisibleAsync();
        await Expect(page.Locator("table").Filter(new() { HasText = "Camille Martin" })).ToContainTextAsync("outdated");
        await Expect(page.Locator("table").Filter(new() { HasText = "source comparison" }).Or(page.Locator("table").Filter(new() { HasText = "source-comparison" })))
            .ToContainTextAsync("three delegates");
    }

    [BrowserFact]
    public async Task Content_downloads_with_the_session_cookie()
    {
        var page = await fixture.SignedInPageAsync("reader");
        await page.GotoAsync($"/documents/{fixture.Charter}");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download revision 3" }).First.ClickAsync());
        var path = await download.PathAsync();
        (await File.ReadAllTextAsync(path)).ShouldContain("three delegates");

        var api = await page.APIRequest.GetAsync($"/api/documents/{fixture.Charter}");
        api.Status.ShouldBe(200);
        var write = await page.APIRequest.PostAsync($"/api/documents/{fixture.Charter}/revisions", new() { DataObject = new { content = "x", reason = "y" } });
        write.Status.ShouldBe(401, "a cookie never authorises an API write");
    }

    [BrowserFact]
    public async Task Comparing_two_revisions_highlights_the_changed_words()
    {
        var page = await fixture.SignedInPageAsync("reader");
        await page.GotoAsync($"/documents/{fixture.Charter}");
        await page.GetByLabel("From revision").SelectOptionAsync("1");
        await page.GetByLabel("To revision").SelectOptionAsync("3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Compare revisions" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Revision 1 → revision 3" })).ToBeVisibleAsync();
        await Expect(page.Locator("table.diff.side del").First).ToHaveTextAsync("spring");
        await Expect(page.Locator("table.diff.side ins").First).ToHaveTextAsync("autumn");
        await Expect(page.Locator("table.diff.side ins", new() { HasText = "The court's ruling is final." })).ToBeVisibleAsync();

        await page.GetByLabel("inline").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Compare", Exact = true }).ClickAsync();
        await Expect(page.Locator("table.diff.inline tr.removed del").First).ToHaveTextAsync("spring");
        await Expect(page.Locator("table.diff.inline tr.added ins", new() { HasText = "three" })).ToBeVisibleAsync();
    }

    [BrowserFact]
    public async Task A_translation_leads_to_its_source_revision_and_to_what_changed_since()
    {
        var page = await fixture.SignedInPageAsync("reader");
        await page.GotoAsync($"/documents/{fixture.Charter}");
        var row = page.Locator("#translations .table-wrap tr", new() { HasText = "Camille Martin" });
        await Expect(row).ToContainTextAsync("2 revision(s) behind");
        await row.GetByRole(AriaRole.Link, new() { Name = "Revision 1" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Text of revision 1 (current: 3)" })).ToBeVisibleAsync();
        await Expect(page.Locator("pre.text")).ToContainTextAsync("meet every spring");

        await page.GotoAsync($"/documents/{fixture.Charter}");
        await page.Locator("#translations .table-wrap tr", new() { HasText = "Camille Martin" })
            .GetByRole(AriaRole.Link, new() { Name = "compare source with current" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Revision 1 → revision 3" })).ToBeVisibleAsync();
    }

    [BrowserFact]
    public async Task Switching_to_French_is_remembered_across_pages()
    {
        var page = await fixture.SignedInPageAsync("reader");
        await page.GetByRole(AriaRole.Link, new() { Name = "Français" }).ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "fr");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Appliquer" })).ToBeVisibleAsync();
        await page.GotoAsync($"/documents/{fixture.Charter}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Chronologie" })).ToBeVisibleAsync();
        await Expect(page.GetByText("périmée").First).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "English" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Timeline" })).ToBeVisibleAsync();
    }

    [BrowserFact]
    public async Task A_reader_sees_no_edit_controls_and_cannot_post_a_form()
    {
        var page = await fixture.SignedInPageAsync("reader");
        await page.GotoAsync($"/documents/{fixture.Charter}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Timeline" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Contribute" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Record revision" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "New document" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Audit log" })).ToHaveCountAsync(0);
        await page.GotoAsync("/documents/new");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
    }

    [BrowserFact]
    public async Task A_contributor_sees_the_APIs_messages_and_a_stale_edit_is_explained()
    {
        var page = await fixture.SignedInPageAsync("contributor");
        await page.GetByRole(AriaRole.Link, new() { Name = "New document" }).ClickAsync();
        await page.GetByLabel("Title").FillAsync("Harbour ledger");
        await page.GetByLabel("Language (BCP 47 tag)").FillAsync("xx-notalanguage");
        await page.GetByLabel("Text", new() { Exact = true }).FillAsync("Ships in: 4.\n");
        // The browser's own checks are not the point here: the server's are.
        await page.Locator("form.stack").EvaluateAsync("f => f.noValidate = true");
        await page.GetByRole(AriaRole.Button, new() { Name = "Ingest" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("is not a well-formed BCP 47 language tag");
        await Expect(page.GetByLabel("Title")).ToHaveValueAsync("Harbour ledger");

        await page.GetByLabel("Language (BCP 47 tag)").FillAsync("en");
        await page.GetByRole(AriaRole.Button, new() { Name = "Ingest" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "ingested as revision 1" })).ToBeVisibleAsync();
        var documentUrl = page.Url.Split('?')[0];

        // Two tabs edit the same revision: the second is told someone else was first, and keeps its text.
        var other = await page.Context.NewPageAsync();
        await other.GotoAsync(documentUrl + "?action=edit#edit");
        await page.GetByRole(AriaRole.Link, new() { Name = "Edit", Exact = true }).ClickAsync();
        await page.GetByLabel("Text", new() { Exact = true }).First.FillAsync("Ships in: 5.\n");
        await page.GetByLabel("Reason for the change (required)").FillAsync("Recount");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record revision" }).ClickAsync();
        await Expect(page.GetByText("The new revision was recorded.")).ToBeVisibleAsync();

        await other.GetByLabel("Text", new() { Exact = true }).First.FillAsync("Ships in: 6.\n");
        await other.GetByLabel("Reason for the change (required)").FillAsync("Late arrivals");
        var response = await other.RunAndWaitForResponseAsync(
            () => other.GetByRole(AriaRole.Button, new() { Name = "Record revision" }).ClickAsync(), r => r.Url.EndsWith("/edit"));
        response.Status.ShouldBe(412);
        // The explanation comes first, above the document's title, and has the focus: nothing to scroll to.
        var alert = other.GetByRole(AriaRole.Alert);
        await Expect(alert).ToContainTextAsync("based on revision 1, but the document is now at revision 2");
        await Expect(alert).ToBeFocusedAsync();
        (await alert.BoundingBoxAsync())!.Y.ShouldBeLessThan((await other.GetByRole(AriaRole.Heading, new() { Level = 1 }).BoundingBoxAsync())!.Y);
        await Expect(other.GetByLabel("Text", new() { Exact = true }).First).ToHaveValueAsync("Ships in: 6.\n");

        await page.GetByRole(AriaRole.Link, new() { Name = "Edit", Exact = true }).ClickAsync();
        await page.GetByLabel("Reason for the change (required)").FillAsync("");
        await page.GetByLabel("Text", new() { Exact = true }).First.FillAsync("Ships in: 7.\n");
        await page.Locator("#edit form").EvaluateAsync("f => f.noValidate = true");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record revision" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("'reason' is required.");
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeFocusedAsync();
        // The summary links to the field, which is in the open form.
        await page.GetByRole(AriaRole.Alert).GetByRole(AriaRole.Link).First.ClickAsync();
        await Expect(page.GetByLabel("Reason for the change (required)")).ToBeFocusedAsync();
    }

    [BrowserFact]
    public async Task A_contributor_translates_and_a_verifier_records_a_verdict_on_a_quote_on_a_page_whose_title_is_hostile()
    {
        var page = await fixture.SignedInPageAsync("admin");
        var dialogs = 0;
        page.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };
        await page.GotoAsync($"/documents/{fixture.Hostile}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("<script>alert(1)</script> pamphlet");
        await Expect(page.GetByLabel("Into language (BCP 47 tag)")).ToBeHiddenAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Translate", Exact = true }).ClickAsync();
        await page.GetByLabel("Into language (BCP 47 tag)").FillAsync("en");
        await page.GetByLabel("Translator").FillAsync("J. Weber");
        await page.Locator("#tr-content").FillAsync("<b>A</b> pamphlet.\n");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record translation" }).ClickAsync();
        await Expect(page.GetByText("The translation was recorded.")).ToBeVisibleAsync();
        await Expect(page.Locator("#translations .table-wrap")).ToContainTextAsync("J. Weber");

        await page.GetByRole(AriaRole.Link, new() { Name = "Record a verdict", Exact = true }).ClickAsync();
        await page.GetByLabel("Quoted claim").FillAsync("words that are not there");
        await page.GetByLabel("Method").Last.SelectOptionAsync("expert-review");
        await page.GetByLabel("Verdict", new() { Exact = true }).SelectOptionAsync("disputed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record verdict" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("does not occur");

        await page.GetByLabel("Quoted claim").FillAsync("Un pamphlet");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record verdict" }).ClickAsync();
        await Expect(page.GetByText("The verdict was recorded.")).ToBeVisibleAsync();
        await Expect(page.Locator("#verifications .table-wrap")).ToContainTextAsync("Un pamphlet");
        await Expect(page.Locator("pre.text")).ToContainTextAsync("<img src=x onerror=alert(2)>");
        dialogs.ShouldBe(0);
    }

    [BrowserFact]
    public async Task The_lineage_graph_and_the_integrity_pages_render()
    {
        var page = await fixture.SignedInPageAsync("auditor");
        await page.GotoAsync($"/documents/{fixture.Charter}/lineage");
        await Expect(page.Locator("svg rect")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("svg a[href*='revision=3']")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table)).ToContainTextAsync("is a translation of");

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit log" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table)).ToContainTextAsync("web.contributor");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download as CSV" }).ClickAsync());
        (await File.ReadAllTextAsync(await download.PathAsync())).ShouldStartWith("sequence,timestamp,type,documentId");

        await page.GetByRole(AriaRole.Link, new() { Name = "Integrity" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Latest signed checkpoint" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify the whole ledger now" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "The ledger is intact" })).ToBeVisibleAsync();

        // The fixture signed a checkpoint over the seeded events; later tests' events show as not yet checkpointed, never as failing.
        await page.GotoAsync($"/documents/{fixture.Charter}/integrity");
        await Expect(page.Locator("td .badge.ok").First).ToBeVisibleAsync();
        (await page.Locator("td .badge.ok").CountAsync()).ShouldBeGreaterThanOrEqualTo(5);
        await Expect(page.Locator("td .badge.bad")).ToHaveCountAsync(0);
    }

    [BrowserFact]
    public async Task Pages_have_no_serious_accessibility_violations()
    {
        var axe = Path.Combine(WebFixture.RepositoryRoot, "tests/Provenance.Web.Tests/axe/node_modules/axe-core/axe.min.js");
        File.Exists(axe).ShouldBeTrue($"run 'npm ci' in tests/Provenance.Web.Tests/axe ({axe} is missing)");
        var page = await fixture.SignedInPageAsync("admin", bypassCsp: true);
        string[] urls =
        [
            "/documents", "/documents?q=delegates&in=text", $"/documents/{fixture.Charter}", $"/documents/{fixture.Charter}/compare?from=1&to=3",
            $"/documents/{fixture.Charter}/compare?from=1&to=3&view=inline", $"/documents/{fixture.Charter}/lineage", "/audit", "/integrity",
            $"/documents/{fixture.Charter}/integrity", "/documents/new", $"/documents/{fixture.Charter}?lang=fr",
            $"/documents/{fixture.Letter}", $"/documents/{fixture.Letter}/lineage", $"/documents/{fixture.Letter}/compare?a=2&b=3", "/verify",
            $"/documents/{fixture.Charter}?action=edit#edit", $"/documents/{fixture.Charter}?asOf=yesterday",
        ];
        var failures = new List<string>();
        foreach (var url in urls)
        {
            await page.GotoAsync(url);
            await page.AddScriptTagAsync(new() { Path = axe });
            var result = await page.EvaluateAsync<JsonElement>(
                "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))");
            failures.AddRange(result.EnumerateArray().Select(v => $"{url} {v.GetString()}"));
        }
        var signIn = await fixture.NewPageAsync(bypassCsp: true);
        await signIn.GotoAsync("/sign-in");
        await signIn.AddScriptTagAsync(new() { Path = axe });
        var signInResult = await signIn.EvaluateAsync<JsonElement>(
            "async () => (await axe.run(document)).violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id)");
        failures.AddRange(signInResult.EnumerateArray().Select(v => $"/sign-in {v.GetString()}"));
        failures.ShouldBeEmpty();
    }

    [BrowserFact]
    public async Task Keyboard_users_can_skip_to_the_content_and_see_where_focus_is()
    {
        var page = await fixture.SignedInPageAsync("reader");
        await page.Keyboard.PressAsync("Tab");
        var skip = page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" });
        await Expect(skip).ToBeFocusedAsync();
        var outline = await skip.EvaluateAsync<string>("e => getComputedStyle(e).outlineStyle");
        outline.ShouldBe("solid");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("main")).ToBeFocusedAsync();
    }
}
