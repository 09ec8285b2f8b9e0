using Microsoft.Playwright;
using Shouldly;

namespace Provenance.Web.Tests;

/// <summary>
/// <c>/docs</c> in a browser that may reach nothing but the API: it renders the reference with the operations' human titles, asks no
/// other origin for anything (every such request is recorded and refused), and offers no "Ask AI" or deploy button.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class The_API_reference(WebFixture fixture)
{
    [BrowserFact]
    public async Task Renders_offline_with_human_titles_and_without_ai_or_deploy_buttons()
    {
        var page = await fixture.NewPageAsync();
        var elsewhere = new List<string>();
        await page.Context.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith(fixture.BaseUrl, StringComparison.Ordinal)) await route.ContinueAsync();
            else
            {
                lock (elsewhere) elsewhere.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });
        await page.GotoAsync("/docs/");
        await Assertions.Expect(page.GetByText("Ingest a document as revision 1").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByText("Record a new revision, based on the revision If-Match names").First).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        (await page.TitleAsync()).ShouldBe("Provenance API reference");
        var text = await page.Locator("body").InnerTextAsync();
        text.ShouldNotContain("Ask AI", Case.Insensitive);
        text.ShouldNotContain("Deploy", Case.Insensitive);
        text.ShouldNotContain("GET_api_", Case.Sensitive, "an operation is titled by its route-derived name");
        lock (elsewhere) elsewhere.ShouldBeEmpty();
    }
}
