using System.Collections.Concurrent;
using Microsoft.Playwright;
using Shouldly;

namespace Provenance.Web.Tests;

/// <summary>
/// A contributor uploads a document whose script would read <c>/api/keys</c> with the session of whoever opens it and announce itself.
/// A signed-in admin opens its content URL and the lineage node of its translation: the browser downloads the bytes, nothing runs.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class Hostile_content(WebFixture fixture)
{
    // No '<' or '&', so the same script is well-formed inside HTML, SVG and XHTML.
    const string Script =
        "document.title='PWNED';new Image().src='/pwned?ran=1';" +
        "fetch('/api/keys').then(function(r){return r.text()}).then(function(t){fetch('/pwned?keys='+t.length)})";

    public static TheoryData<string, string, string> Payloads => new()
    {
        { "text/html", "invitation.html",
            $"<!DOCTYPE html><html><head><title>Invitation</title></head><body><p>You are invited.</p><script>{Script}</script></body></html>\n" },
        { "application/xml", "seal.svg",
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"40\" onload=\"{Script}\"><circle cx=\"20\" cy=\"20\" r=\"18\"/><script>{Script}</script></svg>\n" },
        { "application/xml", "notice.xhtml",
            $"<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>Notice</title></head><body><p>Notice.</p><script>{Script}</script></body></html>\n" },
    };

    async Task<Guid> UploadAsync(string mediaType, string fileName, string content)
    {
        var contributor = fixture.Keys["contributor"];
        var bytes = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(content));
        var doc = await fixture.Send(contributor, HttpMethod.Post, "/api/documents", new
        {
            title = $"Hostile {fileName}", language = "en", contentBase64 = bytes, mediaType, originalFileName = fileName,
        });
        var id = doc.GetProperty("id").GetGuid();
        await fixture.Send(contributor, HttpMethod.Post, $"/api/documents/{id}/translations", new
        {
            language = "fr", contentBase64 = bytes, mediaType, translator = "M. Lenoir", method = "human",
        });
        return id;
    }

    static bool Forbidden(string url) => url.Contains("/api/keys", StringComparison.Ordinal) || url.Contains("/pwned", StringComparison.Ordinal);

    /// <summary>Runs <paramref name="open"/> and answers the download it started; a navigation the download aborted is expected.</summary>
    static async Task<IDownload> DownloadAsync(IPage page, Func<Task> open)
    {
        var download = page.WaitForDownloadAsync(new() { Timeout = 15_000 });
        try
        {
            await open();
        }
        catch (PlaywrightException e) when (e.Message.Contains("Download is starting", StringComparison.Ordinal))
        {
        }
        await page.WaitForLoadStateAsync();
        (await page.TitleAsync()).ShouldNotBe("PWNED", "the uploaded script ran in the admin's session");
        return await download;
    }

    [BrowserTheory]
    [MemberData(nameof(Payloads))]
    public async Task An_uploaded_script_does_not_run_when_an_admin_opens_its_content_or_its_lineage_node(string mediaType, string fileName, string content)
    {
        var id = await UploadAsync(mediaType, fileName, content);
        var page = await fixture.SignedInPageAsync("admin");
        var requests = new ConcurrentQueue<string>();
        page.Context.Request += (_, request) => requests.Enqueue(request.Url);

        var direct = await DownloadAsync(page, () => page.GotoAsync($"/api/documents/{id}/content"));
        direct.SuggestedFilename.ShouldBe(fileName);

        await page.GotoAsync($"/documents/{id}/lineage");
        var node = page.Locator("svg a[href*='language=fr']");
        await Assertions.Expect(node).ToHaveCountAsync(1);
        var translation = await DownloadAsync(page, () => node.ClickAsync());
        translation.SuggestedFilename.ShouldBe(fileName.Insert(fileName.LastIndexOf('.'), ".fr"));
        page.Url.ShouldEndWith($"/documents/{id}/lineage", Case.Sensitive, "the node downloads; it does not navigate to the content");

        // The document page shows the markup as text and links to the content only as a download.
        await page.GotoAsync($"/documents/{id}");
        await Assertions.Expect(page.Locator("pre.text")).ToContainTextAsync("<script>");
        var links = await page.Locator($"a[href^='/api/documents/{id}/content']").AllAsync();
        links.Count.ShouldBeGreaterThan(0);
        foreach (var link in links) (await link.GetAttributeAsync("download")).ShouldNotBeNull();

        (await page.TitleAsync()).ShouldNotBe("PWNED");
        requests.Where(Forbidden).ShouldBeEmpty("the uploaded script must never reach the API with the admin's cookie");
    }
}
