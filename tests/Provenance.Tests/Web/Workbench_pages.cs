using Alba;
using Provenance.Api.Access;
using Provenance.Api.Web;
using Shouldly;

namespace Provenance.Tests.Web;

/// <summary>The workbench pages through the in-memory host: who may export and verify, and what they refuse without changing anything.</summary>
public sealed class Workbench_pages(AppFixture fixture) : IntegrationContext(fixture)
{
    private Task<IScenarioResult> Get(string url, string role)
        => Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {KeyFor(role)}");
            s.IgnoreStatusCode();
            s.Get.Url(url);
        });

    [Fact]
    public void Labels_are_shortened_at_a_word_and_never_mid_word()
    {
        DocumentPage.Shorten("short", 10).ShouldBe("short");
        DocumentPage.Shorten("The guilds of the river meet every autumn", 20).ShouldBe("The guilds of the…");
        DocumentPage.Shorten("evidence: 2 · factchecker.sarkissian · 2026-12-02", 20).ShouldBe("evidence: 2…");
        DocumentPage.Shorten("a  b\n\nc", 10).ShouldBe("a b c");
        // One word longer than the room is cut, because there is no word boundary to cut at.
        DocumentPage.Shorten("Donaudampfschifffahrtsgesellschaft", 10).ShouldBe("Donaudamp…");
    }

    [Fact]
    public async Task The_document_page_offers_the_export_menu_to_auditors_only()
    {
        var document = await IngestAsync("Ships in: 4.\n", "en", "Harbour ledger");
        var auditor = await (await Get($"/documents/{document.Id}", Roles.Auditor)).ReadAsTextAsync();
        auditor.ShouldContain($"/api/documents/{document.Id}/provenance?format=pdf");
        auditor.ShouldContain($"/documents/{document.Id}/export/signed.zip");
        auditor.ShouldContain($"/api/documents/{document.Id}/package?format=bagit");
        var reader = await (await Get($"/documents/{document.Id}", Roles.Reader)).ReadAsTextAsync();
        reader.ShouldNotContain("/provenance?format=");
        reader.ShouldContain("class=\"doc-head\"");

        var refused = await Get($"/documents/{document.Id}/export/signed.zip", Roles.Reader);
        refused.Context.Response.StatusCode.ShouldBeOneOf(302, 403);
    }

    [Fact]
    public async Task The_verify_page_refuses_a_post_without_the_form_token_and_stores_nothing()
    {
        var page = await Get("/verify", Roles.Reader);
        page.Context.Response.StatusCode.ShouldBe(200);
        (await page.ReadAsTextAsync()).ShouldContain("enctype=\"multipart/form-data\"");

        var result = await Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {KeyFor(Roles.Reader)}");
            s.Post.FormData(new Dictionary<string, string> { ["report"] = "{}" }).ToUrl("/verify");
            s.IgnoreStatusCode();
        });
        result.Context.Response.StatusCode.ShouldBe(400);
    }

    [Fact]
    public async Task A_bad_view_as_of_date_is_an_error_at_the_top_with_the_focus()
    {
        var document = await IngestAsync("Ships in: 4.\n", "en", "Harbour ledger");
        var result = await Get($"/documents/{document.Id}?asOf=tomorrow-ish", Roles.Reader);
        result.Context.Response.StatusCode.ShouldBe(422);
        var html = await result.ReadAsTextAsync();
        var main = html.IndexOf("<main", StringComparison.Ordinal);
        var errors = html.IndexOf("class=\"errors\"", StringComparison.Ordinal);
        errors.ShouldBeGreaterThan(main);
        errors.ShouldBeLessThan(html.IndexOf("<h1", StringComparison.Ordinal), "the explanation comes before the document");
        html.ShouldContain("role=\"alert\" tabindex=\"-1\" id=\"errors\" autofocus");
    }
}
