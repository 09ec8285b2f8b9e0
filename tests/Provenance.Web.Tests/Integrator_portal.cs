using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Shouldly;
using static Microsoft.Playwright.Assertions;

namespace Provenance.Web.Tests;

/// <summary>
/// The integrator portal at /webhooks: an integrator creates, tests, pauses, resumes and rotates its own subscription and reads the
/// delivery log, whose receiver answers with markup and script that must show as text; another integrator sees none of it.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class Integrator_portal(WebFixture fixture)
{
    private const string HostileBody = "<script>document.title='PWNED'</script><img src=x onerror=alert(1)> rejected";

    /// <summary>A receiver on 127.0.0.1 (allowed by the fixture) that rejects everything with a hostile body and header.</summary>
    private sealed class HostileReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        public ConcurrentQueue<string> Types { get; } = new();
        public SemaphoreSlim Arrived { get; } = new(0);
        public string Url { get; }

        private HostileReceiver(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public static async Task<HostileReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
            var app = builder.Build();
            HostileReceiver? receiver = null;
            app.MapPost("/hook", async (HttpContext context) =>
            {
                using var json = await JsonDocument.ParseAsync(context.Request.Body);
                receiver!.Types.Enqueue(json.RootElement.GetProperty("type").GetString()!);
                receiver.Arrived.Release();
                context.Response.StatusCode = 400;
                context.Response.Headers["X-Request-Id"] = "<b>req</b>";
                context.Response.ContentType = "text/html";
                await context.Response.WriteAsync(HostileBody);
            });
            await app.StartAsync();
            receiver = new HostileReceiver(app, app.Urls.Single().TrimEnd('/') + "/hook");
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>
    /// The id of a failed delivery, once the dispatcher has recorded one: waits for the receiver to be called, then for the log to
    /// show the rejection (between reads, only a yield, as the API specifications wait).
    /// </summary>
    private async Task<Guid> FailedDeliveryAsync(string key, Guid subscription, HostileReceiver receiver)
    {
        (await receiver.Arrived.WaitAsync(TimeSpan.FromSeconds(60))).ShouldBeTrue("the receiver was never called");
        using var http = new HttpClient { BaseAddress = new Uri(fixture.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            using var json = JsonDocument.Parse(await http.GetStringAsync($"/api/subscriptions/{subscription}/deliveries"));
            var failed = json.RootElement.GetProperty("items").EnumerateArray().FirstOrDefault(d => d.GetProperty("status").GetString() == "failed");
            if (failed.ValueKind == JsonValueKind.Object) return failed.GetProperty("id").GetGuid();
            await Task.Yield();
        }
        throw new TimeoutException("No failed delivery was recorded.");
    }

    private async Task<string> IntegratorKeyAsync(string name)
        => (await fixture.Send(WebFixture.AdminKey, HttpMethod.Post, "/api/keys", new { name, roles = new[] { "integrator" } })).GetProperty("key").GetString()!;

    private async Task<IPage> SignInAsync(string key, bool bypassCsp = false)
    {
        var page = await fixture.NewPageAsync(bypassCsp: bypassCsp);
        await page.GotoAsync("/sign-in");
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Documents", Level = 1 })).ToBeVisibleAsync();
        return page;
    }

    [BrowserFact]
    public async Task An_integrator_manages_its_subscription_and_reads_the_attempts_as_text()
    {
        await using var receiver = await HostileReceiver.StartAsync();
        var document = (await fixture.Send(fixture.Keys["contributor"], HttpMethod.Post, "/api/documents", new
        {
            title = "Portal subscription target", language = "en", content = "Watched by a webhook.\n",
        })).GetProperty("id").GetGuid();
        var key = await IntegratorKeyAsync($"web.integrator.{Guid.NewGuid():N}");
        var page = await SignInAsync(key);
        var dialogs = 0;
        page.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };

        await page.GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Webhooks", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText("No subscription yet.")).ToBeVisibleAsync();

        // The API's own target rules, with its messages, and the form keeps what was typed.
        await page.GetByLabel("Receiver URL").FillAsync("http://10.0.0.1/hook");
        await page.GetByLabel("Document").FillAsync(document.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Create subscription" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("only globally reachable addresses");
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeFocusedAsync();
        await Expect(page.GetByLabel("Document")).ToHaveValueAsync(document.ToString());

        await page.GetByLabel("Receiver URL").FillAsync(receiver.Url);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create subscription" }).ClickAsync();
        await Expect(page.GetByText("The subscription was created.")).ToBeVisibleAsync();
        var secret = await page.Locator("#secret").TextContentAsync();
        secret.ShouldStartWith("whsec_");
        var id = Guid.Parse(Regex.Match(await page.Locator("#facts code").Last.TextContentAsync() ?? "", "[0-9a-f-]{36}").Value);
        var subscriptionUrl = $"/webhooks/{id}";

        // A test event now; the receiver's markup and script are shown as text and never run.
        await page.GetByRole(AriaRole.Button, new() { Name = "Send test event" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "The test event was not accepted (HTTP 400)." })).ToBeVisibleAsync();
        receiver.Types.ShouldContain("org.provenance.subscription.test.v1");
        (await receiver.Arrived.WaitAsync(0)).ShouldBeTrue();
        var tested = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Test event", Exact = true }) });
        await tested.GetByText("Headers and body (first 4 KB)").ClickAsync();
        await Expect(tested.Locator("pre")).ToHaveTextAsync(HostileBody);
        await Expect(tested.GetByText("<b>req</b>")).ToBeVisibleAsync();
        (await page.TitleAsync()).ShouldNotBe("PWNED");
        await Expect(page.Locator("main img")).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(page.GetByText("The subscription is paused")).ToBeVisibleAsync();
        await Expect(page.Locator("#facts")).ToContainTextAsync("paused");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Expect(page.GetByText("The subscription is active again.")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate secret" }).ClickAsync();
        await Expect(page.GetByText("Deliveries carry signatures with both secrets")).ToBeVisibleAsync();
        (await page.Locator("#secret").TextContentAsync()).ShouldNotBe(secret);
        await Expect(page.Locator("#facts")).ToContainTextAsync("still signs until");

        // An event of the document: the receiver rejects it (400, not retried), and the log shows the attempt.
        await fixture.Send(fixture.Keys["contributor"], HttpMethod.Post, $"/api/documents/{document}/revisions",
            new { content = "Watched by a webhook, edited.\n", reason = "Portal test" }, "\"1\"");
        await FailedDeliveryAsync(key, id, receiver);
        await page.GotoAsync(subscriptionUrl);
        var delivery = page.Locator("#deliveries-title + .table-wrap tbody tr");
        await Expect(delivery.Filter(new() { HasText = "failed" })).ToBeVisibleAsync();
        await Expect(delivery).ToContainTextAsync("org.provenance.document.edited.v1");

        await page.GetByRole(AriaRole.Button, new() { Name = "Redeliver failed" }).ClickAsync();
        await Expect(page.GetByText("The failed deliveries will be sent again.")).ToBeVisibleAsync();

        await page.GotoAsync(subscriptionUrl);
        await delivery.First.GetByRole(AriaRole.Link).First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { NameRegex = new Regex("^Delivery msg_") })).ToBeVisibleAsync();
        var attempts = page.Locator("#attempts-title + .table-wrap tbody tr");
        await Expect(attempts.First).ToContainTextAsync("400");
        await attempts.First.GetByText("Headers and body (first 4 KB)").ClickAsync();
        await Expect(attempts.First.Locator("pre")).ToHaveTextAsync(HostileBody);
        (await page.TitleAsync()).ShouldNotBe("PWNED");
        dialogs.ShouldBe(0);

        // In French, the same page.
        await page.GotoAsync(subscriptionUrl + "?lang=fr");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Envoyer un événement de test" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Livraisons" })).ToBeVisibleAsync();
        await page.GotoAsync(subscriptionUrl + "?lang=en");

        // Another integrator sees none of it, and gets the page of an id that does not exist.
        var other = await SignInAsync(await IntegratorKeyAsync($"web.integrator.other.{Guid.NewGuid():N}"));
        await other.GotoAsync("/webhooks");
        await Expect(other.GetByText("No subscription yet.")).ToBeVisibleAsync();
        await other.GotoAsync($"/webhooks/{id}");
        await Expect(other.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        var pause = await other.APIRequest.PostAsync($"/webhooks/{id}/pause", new() { Form = other.APIRequest.CreateFormData() });
        pause.Status.ShouldBe(400, "no form token: refused before anything else");

        // An admin sees every integrator's subscriptions.
        var admin = await fixture.SignedInPageAsync("admin");
        await admin.GotoAsync("/webhooks");
        await Expect(admin.GetByRole(AriaRole.Link, new() { Name = receiver.Url })).ToBeVisibleAsync();
    }

    [BrowserFact]
    public async Task A_form_without_its_token_changes_nothing_and_readers_cannot_open_the_portal()
    {
        var key = await IntegratorKeyAsync($"web.integrator.csrf.{Guid.NewGuid():N}");
        var created = await fixture.Send(key, HttpMethod.Post, "/api/subscriptions", new { url = "http://127.0.0.1:9/hook" });
        var id = created.GetProperty("id").GetGuid();
        var page = await SignInAsync(key);
        var forged = await page.APIRequest.PostAsync($"/webhooks/{id}/pause", new() { Form = page.APIRequest.CreateFormData() });
        forged.Status.ShouldBe(400);
        await page.GotoAsync($"/webhooks/{id}");
        await Expect(page.Locator("#facts")).ToContainTextAsync("active");

        var reader = await fixture.SignedInPageAsync("reader");
        await Expect(reader.GetByRole(AriaRole.Link, new() { Name = "Webhooks" })).ToHaveCountAsync(0);
        await reader.GotoAsync("/webhooks");
        await Expect(reader.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
    }

    [BrowserFact]
    public async Task The_portal_pages_have_no_serious_accessibility_violations()
    {
        var axe = Path.Combine(WebFixture.RepositoryRoot, "tests/Provenance.Web.Tests/axe/node_modules/axe-core/axe.min.js");
        File.Exists(axe).ShouldBeTrue($"run 'npm ci' in tests/Provenance.Web.Tests/axe ({axe} is missing)");
        await using var receiver = await HostileReceiver.StartAsync();
        var key = await IntegratorKeyAsync($"web.integrator.axe.{Guid.NewGuid():N}");
        var document = (await fixture.Send(fixture.Keys["contributor"], HttpMethod.Post, "/api/documents", new
        {
            title = "Portal accessibility", language = "en", content = "Checked.\n",
        })).GetProperty("id").GetGuid();
        var id = (await fixture.Send(key, HttpMethod.Post, "/api/subscriptions", new { url = receiver.Url, document })).GetProperty("id").GetGuid();
        await fixture.Send(key, HttpMethod.Post, $"/api/subscriptions/{id}/test", new { });
        (await receiver.Arrived.WaitAsync(0)).ShouldBeTrue();
        await fixture.WaitForLedgerAsync();
        await fixture.Send(key, HttpMethod.Post, $"/api/subscriptions/{id}/replay", new { });
        var deliveryId = await FailedDeliveryAsync(key, id, receiver);

        var page = await SignInAsync(key, bypassCsp: true);
        string[] urls = ["/webhooks", $"/webhooks/{id}", $"/webhooks/{id}/deliveries/{deliveryId}", "/webhooks?lang=fr", $"/webhooks/{id}?lang=fr",
            $"/webhooks/{id}/deliveries/{deliveryId}?lang=fr"];
        var failures = new List<string>();
        foreach (var url in urls)
        {
            await page.GotoAsync(url);
            foreach (var summary in await page.Locator("details > summary").AllAsync()) await summary.ClickAsync();
            await page.AddScriptTagAsync(new() { Path = axe });
            var result = await page.EvaluateAsync<JsonElement>(
                "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))");
            failures.AddRange(result.EnumerateArray().Select(v => $"{url} {v.GetString()}"));
        }
        failures.ShouldBeEmpty();
    }
}
