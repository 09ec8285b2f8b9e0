using System.Text.Json;
using System.Text.RegularExpressions;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Tenancy;

/// <summary>
/// Issue #20: nothing of one archive is visible from another. Archive A (server <c>default</c>) and archive B (server <c>second</c>) each
/// hold a document, a translation, a verification, a webhook subscription, a key and a checkpoint; then every operation of the OpenAPI
/// document is sent with A's admin key, its path naming B's resources (B's document, subscription, key, login, tree size), and the answers
/// must carry none of B's data (its titles, texts, subscription URL, key name, origin) and change nothing in B. Generated from the
/// running API's document, so a new endpoint is in the matrix the day it is added.
/// </summary>
public sealed class Isolation_matrix(AppFixture fixture, ITestOutputHelper output) : IntegrationContext(fixture)
{
    /// <summary>Describe the API, not an archive's data: the same for every archive.</summary>
    static readonly string[] Descriptive = ["/openapi", "/docs", "/api/events/schemas", "/asyncapi", "/health/"];
    /// <summary>Server-Sent Events never end: read to the first heartbeat below.</summary>
    const string Stream = "/api/feed/stream";

    [Fact]
    public async Task A_key_of_archive_A_sees_and_changes_nothing_of_archive_B_through_any_endpoint()
    {
        await using var installation = await TwoArchives.StartAsync(Fixture, "provenance_isolation");
        var a = await installation.CreateAsync(TwoArchives.NewId("a"), "default", "Desk A");
        var b = await installation.CreateAsync(TwoArchives.NewId("b"), "second", "Desk B");
        var keyA = a.GetProperty("adminKey").GetString()!;
        var keyB = b.GetProperty("adminKey").GetString()!;
        var idB = b.GetProperty("id").GetString()!;
        var databaseB = b.GetProperty("database").GetString()!;

        // B's resources, each carrying a marker no answer to A may contain.
        const string Marker = "Zqx7-only-in-archive-B";
        var documentB = await installation.JsonAsync(keyB, s => s.Post.Json(new { title = $"{Marker} title", language = "en",
            content = $"{Marker} content.\nSecond line.\n" }).ToUrl("/api/documents"), 201);
        var docB = documentB.GetProperty("id").GetGuid();
        await installation.JsonAsync(keyB, s => s.Post.Json(new { language = "fr", content = $"{Marker} traduction.\n", sourceRevision = 1, translator = "t.b", method = "human" })
            .ToUrl($"/api/documents/{docB}/translations"), 201);
        var subscriptionB = await installation.JsonAsync(keyB, s => s.Post.Json(new { url = $"http://127.0.0.1:9/{Marker}", types = Array.Empty<string>() })
            .ToUrl("/api/subscriptions"), 201);
        var keyOfB = await installation.JsonAsync(keyB, s => s.Post.Json(new { name = $"login-{Marker}", roles = new[] { "reader" },
            displayName = $"Person {Marker}" }).ToUrl("/api/keys"), 201);
        await installation.WaitForLedgerAsync("second", databaseB);
        var checkpointB = await installation.JsonAsync(keyB, s => s.Post.Url("/api/ledger/checkpoints"), 201);
        var originB = checkpointB.GetProperty("origin").GetString()!;
        // A's own document, so A's lists are not empty.
        await installation.JsonAsync(keyA, s => s.Post.Json(new { title = "A's own", language = "en", content = "A.\n" }).ToUrl("/api/documents"), 201);
        var secrets = new[] { Marker, originB, keyB, idB };

        var eventsB = await installation.ScalarAsync<long>(installation.SecondServer, databaseB, "select count(*) from {schema}.mt_events");
        var (_, openApiText) = await installation.SendAsync(null, s => s.Get.Url("/openapi/v1.json"));
        using var openApi = JsonDocument.Parse(openApiText);
        var operations = openApi.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (Method: m.Name.ToUpperInvariant(), Path: p.Name)))
            .Where(o => !Descriptive.Any(o.Path.StartsWith))
            .ToList();
        operations.Count.ShouldBeGreaterThan(40, "the OpenAPI document lists too few operations to be the real API");

        string Url(string path)
        {
            var id = path.StartsWith("/api/subscriptions/") ? subscriptionB.GetProperty("id").GetString()!
                : path.StartsWith("/api/keys/") ? keyOfB.GetProperty("id").GetString()!
                : path.StartsWith("/api/tenants/") ? idB
                : docB.ToString();
            return Regex.Replace(path, "{([^}]+)}", m => m.Groups[1].Value switch
            {
                "id" => id,
                "n" => "1",
                "treeSize" => checkpointB.GetProperty("treeSize").GetInt64().ToString(),
                "login" => $"login-{Marker}",
                "**path" or "path" => "0/000",
                _ => Guid.NewGuid().ToString(),
            });
        }
        // Query strings the path template does not show, each naming B's things.
        var requests = operations.Select(o => (o.Method, Url: Url(o.Path))).Concat(
        [
            ("GET", "/api/search?q=content"), ("GET", "/api/search?q=traduction"), ("GET", "/api/feed?limit=1000"), ("GET", $"/api/feed?document={docB}"),
            ("GET", "/api/audit?limit=1000"), ("GET", $"/api/audit?document={docB}"), ("GET", $"/api/reports/provenance?document={docB}"),
            ("GET", "/api/reports/package?from=2000-01-01&to=2100-01-01"), ("GET", "/api/ledger/proofs/inclusion?sequence=1"),
            ("GET", $"/t/{idB}/log/tile/entries/000"), ("GET", $"/api/documents/{docB}/content?lang=fr"),
        ]).ToList();

        var leaks = new List<string>();
        var rows = new List<string>();
        foreach (var (method, url) in requests)
        {
            var (status, body) = url.StartsWith(Stream)
                ? await FirstEventsAsync(installation, keyA, url)
                : await installation.SendAsync(keyA, s => Send(s, method, url));
            rows.Add($"{method} {url}: {status}");
            foreach (var secret in secrets.Where(body.Contains)) leaks.Add($"{method} {url} ({status}) shows B's '{secret}'");
            if (status >= 500) leaks.Add($"{method} {url}: {status}");
        }
        foreach (var row in rows) output.WriteLine(row);
        output.WriteLine($"isolation matrix: {requests.Count} requests with archive A's admin key against archive B's resources " +
                         $"({operations.Count} OpenAPI operations + {requests.Count - operations.Count} with B in the query)");
        leaks.ShouldBeEmpty();
        (await installation.ScalarAsync<long>(installation.SecondServer, databaseB, "select count(*) from {schema}.mt_events"))
            .ShouldBe(eventsB, "a request with A's key appended events to B");
        // And B still sees all of its own.
        (await installation.JsonAsync(keyB, s => s.Get.Url($"/api/documents/{docB}"))).GetProperty("title").GetString().ShouldBe($"{Marker} title");
    }

    /// <summary>The stream's first events (it replays from the start of the feed), then hangs up.</summary>
    static async Task<(int, string)> FirstEventsAsync(TwoArchives installation, string key, string url)
    {
        var client = installation.Host.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        using var response = await client.GetAsync(url + "?after=0", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        var text = new System.Text.StringBuilder();
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancel.Token);
            var buffer = new byte[8192];
            int read;
            while ((read = await stream.ReadAsync(buffer, cancel.Token)) > 0) text.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, read));
        }
        catch (OperationCanceledException)
        {
        }
        return ((int)response.StatusCode, text.ToString());
    }
}
