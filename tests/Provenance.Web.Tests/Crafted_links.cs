using Microsoft.Playwright;
using Shouldly;

namespace Provenance.Web.Tests;

/// <summary>A sign-in link crafted to send people elsewhere after they type their key leaves them on our document list.</summary>
[Collection(WebCollection.Name)]
public sealed class Crafted_links(WebFixture fixture)
{
    [BrowserTheory]
    [InlineData("/%09/evil.example")]
    [InlineData("/%0A/evil.example")]
    [InlineData("/%5Cevil.example")]
    [InlineData("%2F%2Fevil.example")]
    public async Task Signing_in_from_a_crafted_link_ends_on_the_document_list(string returnUrl)
    {
        var page = await fixture.NewPageAsync();
        var elsewhere = new List<string>();
        page.Context.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(fixture.BaseUrl, StringComparison.Ordinal)) elsewhere.Add(request.Url);
        };
        await page.RouteAsync("**://evil.example/**", route => route.AbortAsync());
        await page.GotoAsync($"/sign-in?returnUrl={returnUrl}");
        await page.GetByLabel("API key").FillAsync(fixture.Keys["reader"]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Documents", Level = 1 })).ToBeVisibleAsync();
        page.Url.ShouldBe(fixture.BaseUrl.TrimEnd('/') + "/documents");
        elsewhere.ShouldBeEmpty();
    }
}
