using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;
using Marten;
using Marten.Events;
using Npgsql;
using Provenance.Api.Hosting;
using Wolverine;

namespace Provenance.Web.Tests;

/// <summary>
/// The real application on a real Kestrel port (a browser cannot reach an in-memory test server), on real PostgreSQL in a schema
/// of its own, with a small archive made through the API, and one headless Debian Chromium for every test.
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string AdminKey = "pvk_web_test_admin_key_0123456789";

    private WebApplication? _app;
    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";
    public Dictionary<string, string> Keys { get; } = [];
    public Guid Charter { get; private set; }
    public Guid Hostile { get; private set; }
    /// <summary>The sample corpus's documents by key (seeds/manifest.json): the screenshots show what a new archivist sees first.</summary>
    public IReadOnlyDictionary<string, Guid> Corpus { get; private set; } = new Dictionary<string, Guid>();
    public Guid Letter => Corpus["open-letter-artsakh"];
    public Guid Article => Corpus["ctv-ndp-nagorno-karabakh"];
    public static string RepositoryRoot => typeof(WebFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepositoryRoot").Value!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath)) return;
        var connectionString = Environment.GetEnvironmentVariable("PROVENANCE_TEST_CONNECTION_STRING")
            ?? throw new InvalidOperationException("Set PROVENANCE_TEST_CONNECTION_STRING (ops/test.sh does).");
        var schema = (Environment.GetEnvironmentVariable("PROVENANCE_TEST_SCHEMA") ?? "provenance_tests") + "_web";
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop schema if exists {schema} cascade", connection);
            await drop.ExecuteNonQueryAsync();
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration["Provenance:ConnectionString"] = connectionString;
        builder.Configuration["Provenance:Schema"] = schema;
        builder.Configuration["Provenance:AdminKey"] = AdminKey;
        // The integrator portal's tests run their webhook receivers on loopback.
        builder.Configuration["Provenance:Webhooks:AllowedHosts:0"] = "127.0.0.1";
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddProvenance();
        builder.Services.RunWolverineInSoloMode();
        _app = builder.Build();
        _app.UseProvenance();
        await _app.StartAsync();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await SeedAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true });
    }

    /// <summary>One API call with a key, as a client would make it; anything but success throws with the answer.</summary>
    public async Task<JsonElement> Send(string key, HttpMethod method, string url, object body, string? ifMatch = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        using var request = new HttpRequestMessage(method, url) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{url}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task SeedAsync()
    {
        await using (var scope = _app!.Services.CreateAsyncScope())
        {
            var corpus = await scope.ServiceProvider.GetRequiredService<Provenance.Api.Seeds.SeedLoader>()
                .LoadAsync(Path.Combine(RepositoryRoot, "seeds/manifest.json"), CancellationToken.None);
            Corpus = corpus.Documents;
        }
        foreach (var role in new[] { "reader", "contributor", "verifier", "auditor" })
        {
            Keys[role] = (await Send(AdminKey, HttpMethod.Post, "/api/keys", new { name = $"web.{role}", roles = new[] { role } })).GetProperty("key").GetString()!;
        }
        Keys["admin"] = AdminKey;
        var contributor = Keys["contributor"];
        var charter = await Send(contributor, HttpMethod.Post, "/api/documents", new
        {
            title = "Charter of the river guilds", language = "en", sourceUri = "https://archive.example.org/charters/17",
            publisher = "Guild archive", content = "The guilds of the river meet every spring.\nEach guild sends two delegates.\nDisputes go to the harbour court.\n",
        });
        Charter = charter.GetProperty("id").GetGuid();
        await Send(contributor, HttpMethod.Post, $"/api/documents/{Charter}/translations", new
        {
            language = "fr", content = "Les guildes de la rivière se réunissent chaque printemps.\nChaque guilde envoie deux délégués.\nLes litiges vont au tribunal du port.\n",
            translator = "Camille Martin", method = "human",
        });
        await Send(contributor, HttpMethod.Post, $"/api/documents/{Charter}/revisions", new
        {
            content = "The guilds of the river meet every autumn.\nEach guild sends two delegates.\nDisputes go to the harbour court.\n", reason = "Season corrected against the 1620 copy",
        }, "\"1\"");
        await Send(contributor, HttpMethod.Post, $"/api/documents/{Charter}/revisions", new
        {
            content = "The guilds of the river meet every autumn.\nEach guild sends three delegates.\nDisputes go to the harbour court.\nThe court's ruling is final.\n",
            reason = "Delegates and final ruling from the sealed original",
        }, "\"2\"");
        await Send(Keys["verifier"], HttpMethod.Post, $"/api/documents/{Charter}/verifications", new
        {
            revision = 3, method = "source-comparison", verdict = "verified", evidence = new[] { "https://archive.example.org/scans/17.tiff" },
            claim = new { quote = "three delegates", start = 60, end = 75 },
        });
        Hostile = (await Send(contributor, HttpMethod.Post, "/api/documents", new
        {
            title = "<script>alert(1)</script> pamphlet", language = "fr", content = "<img src=x onerror=alert(2)> Un pamphlet.\n",
        })).GetProperty("id").GetGuid();

        await SignCheckpointAsync();
    }

    public Task WaitForLedgerAsync() => _app!.Services.GetRequiredService<IDocumentStore>().WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(60));

    /// <summary>The ledger is built by the async daemon: once it has caught up, sign a checkpoint over every event so far.</summary>
    public async Task SignCheckpointAsync()
    {
        await WaitForLedgerAsync();
        await Send(Keys["auditor"], HttpMethod.Post, "/api/ledger/checkpoints", new { });
    }

    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800, bool bypassCsp = false)
    {
        var context = await Browser.NewContextAsync(new() { BaseURL = BaseUrl, ViewportSize = new() { Width = width, Height = height }, BypassCSP = bypassCsp, Locale = "en-GB" });
        return await context.NewPageAsync();
    }

    public async Task<IPage> SignedInPageAsync(string role, int width = 1280, int height = 800, bool bypassCsp = false)
    {
        var page = await NewPageAsync(width, height, bypassCsp);
        await page.GotoAsync("/sign-in");
        await page.GetByLabel("API key").FillAsync(Keys[role]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Documents", Level = 1 })).ToBeVisibleAsync();
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<WebFixture>
{
    public const string Name = "web";
}

/// <summary>A browser test: skipped, saying why, only when Debian's chromium is not installed (CI installs it).</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute() => Skip = MissingBrowser;

    public static string? MissingBrowser => File.Exists(WebFixture.ChromiumPath)
        ? null
        : $"Browser tests need Debian's chromium at {WebFixture.ChromiumPath} (apt-get install -y chromium); it was not found.";
}

/// <summary>A table of browser tests, skipped like <see cref="BrowserFactAttribute"/>.</summary>
public sealed class BrowserTheoryAttribute : TheoryAttribute
{
    public BrowserTheoryAttribute() => Skip = BrowserFactAttribute.MissingBrowser;
}
