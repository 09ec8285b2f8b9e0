using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using Marten.Events;
using Provenance.Api.Access;
using Provenance.Api.Feed;
using Shouldly;

namespace Provenance.Tests.Feed;

/// <summary>
/// The event catalogue: a JSON Schema per CloudEvents type at the URL each event names in <c>dataschema</c>, and an AsyncAPI
/// document, both checked with validators we did not write (ajv, the CloudEvents SDK, the AsyncAPI parser; see catalogue/).
/// </summary>
public sealed class Publishing_the_event_catalogue(AppFixture fixture) : FeedContext(fixture)
{
    private const string Base = "http://localhost";

    private static readonly string[] Types =
    [
        "org.provenance.document.ingested.v1", "org.provenance.document.edited.v1", "org.provenance.document.translated.v1",
        "org.provenance.document.verified.v1", "org.provenance.document.redacted.v1", "org.provenance.document.withdrawn.v1",
        "org.provenance.document.reinstated.v1", "org.provenance.document.held.v1", "org.provenance.document.hold_released.v1",
        "org.provenance.fixity.checked.v1",
    ];

    /// <summary>Sent to webhooks only (never stored, never on the feed): the subscription test event.</summary>
    private static readonly string[] WebhookOnly = ["org.provenance.subscription.test.v1"];

    private static readonly string[] Documented = [.. Types, .. WebhookOnly];

    [Fact]
    public void Sequences_are_zero_padded_so_that_they_sort_as_strings_in_numeric_order()
    {
        long[] positions = [1, 2, 9, 10, 11, 99, 100, 101, 999, 1_000, 65_535, 65_536, 123_456_789, 9_999_999_999, 10_000_000_000, long.MaxValue];
        var sequences = positions.Select(CloudEvent.SequenceOf).ToList();

        sequences.ShouldAllBe(s => s.Length == CloudEvent.SequenceDigits);
        sequences.Order(StringComparer.Ordinal).ShouldBe(sequences);
        sequences.Select(long.Parse).ShouldBe(positions);
        CloudEvent.SequenceOf(9).ShouldBe("00000000000000000009");
        string.CompareOrdinal(CloudEvent.SequenceOf(9), CloudEvent.SequenceOf(10)).ShouldBeLessThan(0);
    }

    [Theory]
    [InlineData("https://ledger.example.org", true)]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("https://example.org/provenance", true)]
    [InlineData("https://ledger.example.org/", false)]
    [InlineData("https://ledger.example.org?x=1", false)]
    [InlineData("https://user@ledger.example.org", false)]
    [InlineData("ftp://ledger.example.org", false)]
    [InlineData("/relative", false)]
    public void The_public_url_that_prefixes_dataschema_is_an_absolute_http_url_without_a_trailing_slash(string url, bool valid)
        => FeedOptions.IsValidPublicUrl(url).ShouldBe(valid);

    [Fact]
    public async Task The_feed_names_each_events_schema_and_sequences_sort_as_strings_while_cursors_stay_as_they_were()
    {
        var start = await EndOfFeedAsync();
        var document = await IngestAsync("Sequence one.\n", title: "Sequences");
        for (var r = 1; r <= 3; r++) await EditAsync(document.Id, r, $"Sequence {r + 1}.\n");

        var items = await ReadAllAfterAsync(start, $"&document={document.Id}", limit: 2);
        items.Count.ShouldBe(4);
        var sequences = items.Select(e => e.GetProperty("sequence").GetString()!).ToList();
        sequences.ShouldAllBe(s => s.Length == 20 && s.All(char.IsAsciiDigit));
        sequences.Order(StringComparer.Ordinal).ShouldBe(sequences);
        sequences.Select(long.Parse).ShouldBeInOrder(SortDirection.Ascending);
        foreach (var e in items)
        {
            e.GetProperty("dataschema").GetString().ShouldBe($"{Base}/api/events/schemas/{e.GetProperty("type").GetString()}");
        }

        // The cursor is still the opaque token it was: resuming after the first event's position gives the rest.
        var page = await ReadFeedAsync($"?document={document.Id}&limit=1&after={start}");
        var rest = await ReadAllAfterAsync(page.NextCursor, $"&document={document.Id}");
        rest.Select(e => e.GetProperty("sequence").GetString()).ShouldBe(sequences.Skip(1));
    }

    [Fact]
    public async Task The_catalogue_lists_every_type_with_a_public_cacheable_2020_12_schema()
    {
        var index = await Host.Scenario(s => { s.Get.Url("/api/events/schemas"); s.IgnoreStatusCode(); });
        index.Context.Response.StatusCode.ShouldBe(200);
        index.Context.Response.Headers.CacheControl.ToString().ShouldStartWith("public");
        var entries = JsonDocument.Parse(await index.ReadAsTextAsync()).RootElement;
        entries.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ShouldBe(Documented, ignoreOrder: true);
        entries.GetProperty("asyncApi").GetString().ShouldBe($"{Base}/asyncapi/v1.json");

        foreach (var entry in entries.GetProperty("items").EnumerateArray())
        {
            var type = entry.GetProperty("type").GetString()!;
            var url = entry.GetProperty("dataSchema").GetString()!;
            url.ShouldBe($"{Base}/api/events/schemas/{type}");
            entry.GetProperty("summary").GetString().ShouldNotBeNullOrWhiteSpace();

            // Anonymous: a schema describes the API, not anyone's data.
            var result = await Host.Scenario(s => { s.Get.Url(url[Base.Length..]); s.IgnoreStatusCode(); });
            result.Context.Response.StatusCode.ShouldBe(200);
            result.Context.Response.ContentType.ShouldBe("application/schema+json");
            result.Context.Response.Headers.CacheControl.ToString().ShouldBe("public, max-age=3600");
            var etag = result.Context.Response.Headers.ETag.ToString();
            etag.ShouldNotBeNullOrEmpty();
            var schema = JsonNode.Parse(await result.ReadAsTextAsync())!.AsObject();
            schema["$schema"]!.GetValue<string>().ShouldBe("https://json-schema.org/draft/2020-12/schema");
            schema["$id"]!.GetValue<string>().ShouldBe(url);
            schema["type"]!.GetValue<string>().ShouldBe("object");
            // A stored event is about a document; the test event about the subscription it tests.
            schema["required"]!.AsArray().Select(n => n!.GetValue<string>()).ShouldContain(WebhookOnly.Contains(type) ? "subscriptionId" : "documentId");

            var again = await Host.Scenario(s => { s.Get.Url(url[Base.Length..]); s.WithRequestHeader("If-None-Match", etag); s.IgnoreStatusCode(); });
            again.Context.Response.StatusCode.ShouldBe(304);
        }

        var verified = JsonNode.Parse(await (await Host.Scenario(s => s.Get.Url("/api/events/schemas/org.provenance.document.verified.v1"))).ReadAsTextAsync())!;
        var claim = verified["properties"]!["claim"]!;
        claim["type"]!.AsArray().Select(n => n!.GetValue<string>()).ShouldBe(["object", "null"]);
        claim["required"]!.AsArray().Select(n => n!.GetValue<string>()).ShouldBe(["quote", "start", "end"]);
        verified["required"]!.AsArray().Select(n => n!.GetValue<string>()).ShouldNotContain("claim", "null is allowed, so absence is too");
        verified["properties"]!["evidence"]!["items"]!["type"]!.GetValue<string>().ShouldBe("string");
    }

    [Fact]
    public async Task An_unknown_type_is_a_404_problem()
    {
        await ShouldBeProblemAsync(await Host.Scenario(s => { s.Get.Url("/api/events/schemas/org.provenance.document.deleted.v1"); s.IgnoreStatusCode(); }),
            404, "not-found");
        await ShouldBeProblemAsync(await Host.Scenario(s => { s.Get.Url("/api/events/schemas/" + new string('x', 5000)); s.IgnoreStatusCode(); }),
            404, "not-found");
    }

    [Fact]
    public async Task Archived_is_no_event_type_anywhere()
    {
        // Marten's single-stream projection registers JasperFx's Archived event; nothing of ours appends one, so it is not published.
        const string archived = "org.provenance.archived.v1";
        var index = await (await Host.Scenario(s => s.Get.Url("/api/events/schemas"))).ReadAsTextAsync();
        index.ShouldNotContain("archived");
        await ShouldBeProblemAsync(await Host.Scenario(s => { s.Get.Url("/api/events/schemas/" + archived); s.IgnoreStatusCode(); }), 404, "not-found");

        var feed = await As(Roles.Integrator, s => s.Get.Url("/api/feed?types=" + archived));
        await ShouldBeProblemAsync(feed, 422, "validation");
        var body = await feed.ReadAsTextAsync();
        body.ShouldNotContain("compacted");
        foreach (var type in Types) body.ShouldContain(type, customMessage: "the problem lists the known types");
        await ShouldBeProblemAsync(await As(Roles.Integrator, s => s.Post.Json(new { url = "https://hooks.example.org/in", types = new[] { archived } })
            .ToUrl("/api/subscriptions")), 422, "validation");
    }

    [Fact]
    public async Task Real_events_of_every_type_on_every_channel_match_their_served_schemas_and_are_valid_cloudevents()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var subscription = await CreateSubscriptionAsync(new { url = receiver.Url });
        var start = await EndOfFeedAsync();

        // Every type, with optional members both absent (null) and present.
        var bare = await IngestAsync("Bare.\n", title: "Catalogue, bare");
        var full = await As(Roles.Contributor, s => s.Post.Json(new
        {
            title = "Catalogue, full", language = "hy", content = "Ստեփանակերտ.\n", originalFileName = "story.txt",
            sourceUri = "https://example.org/story", publisher = "Example", publishedAt = "2025-09-26T10:00:00+02:00", reason = "Archiving.",
        }).ToUrl("/api/documents"));
        full.Context.Response.StatusCode.ShouldBe(201, await full.ReadAsTextAsync());
        var fullId = JsonDocument.Parse(await full.ReadAsTextAsync()).RootElement.GetProperty("id").GetGuid();
        await EditAsync(bare.Id, 1, "Bare, edited.\n");
        await TranslateAsync(bare.Id, "fr", "Nu.\n");
        await TranslateAsync(fullId, "en", "Stepanakert.\n", method: "machine+post-edit");
        await VerifyAsync(bare.Id, new { revision = 2, method = "source-comparison", verdict = "verified", evidence = new[] { "https://example.org/e" } });
        await VerifyAsync(fullId, new
        {
            revision = 1, language = "en", claim = new { quote = "Stepanakert", start = 0, end = 11 }, method = "source-comparison",
            verdict = "disputed", evidence = new[] { "https://example.org/a", "https://example.org/b" }, notes = "A note.", reason = "Checked.",
        });
        (await As(Roles.Auditor, s => s.Post.Url("/api/ledger/fixity"))).Context.Response.StatusCode.ShouldBe(200);
        // The archive's obligations: a hold placed and released, a withdrawal and its end, an erasure (once its events are in the ledger).
        var basis = new { code = "gdpr-art17", text = "Erasure request." };
        var held = await As(Roles.Auditor, s => s.Post.Json(new { reason = "Litigation." }).ToUrl($"/api/documents/{fullId}/holds"));
        held.Context.Response.StatusCode.ShouldBe(201, await held.ReadAsTextAsync());
        var holdId = JsonDocument.Parse(await held.ReadAsTextAsync()).RootElement.GetProperty("id").GetGuid();
        (await As(Roles.Auditor, s => s.Post.Url($"/api/documents/{fullId}/holds/{holdId}/release"))).Context.Response.StatusCode.ShouldBe(200);
        (await As(Roles.Steward, s => s.Post.Json(new { reason = "Takedown.", legalBasis = basis, reference = "T-1" }).ToUrl($"/api/documents/{fullId}/withdrawals")))
            .Context.Response.StatusCode.ShouldBe(201);
        (await As(Roles.Steward, s => s.Delete.Url($"/api/documents/{fullId}/withdrawals/current"))).Context.Response.StatusCode.ShouldBe(204);
        await Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(60));
        var redacted = await As(Roles.Steward, s => s.Post.Json(new { revisions = new[] { 1 }, reason = "Erasure.", legalBasis = basis })
            .ToUrl($"/api/documents/{bare.Id}/redactions"));
        redacted.Context.Response.StatusCode.ShouldBe(201, await redacted.ReadAsTextAsync());
        Guid[] mine = [bare.Id, fullId];

        var captured = new List<object>();
        var fed = new Dictionary<Guid, int>();
        foreach (var document in mine)
        {
            var items = await ReadAllAfterAsync(start, $"&document={document}", limit: 100);
            fed[document] = items.Count;
            foreach (var e in items) captured.Add(new { channel = "feed", headers = new { }, body = e.GetRawText() });
        }
        foreach (var document in mine)
        {
            foreach (var data in await ReadStreamAsync($"?after={start}&document={document}", fed[document]))
            {
                captured.Add(new { channel = "sse", headers = new { }, body = data });
            }
        }
        static bool Mine(WebhookReceiver.Received r, Guid[] ids) => ids.Contains(Guid.Parse(r.Event.GetProperty("subject").GetString()!));
        await receiver.WaitUntilAsync(r => r.Count(x => Mine(x, mine)) >= fed.Values.Sum(), "a delivery of each of the two documents' events");
        foreach (var request in receiver.Requests.Where(r => Mine(r, mine)))
        {
            captured.Add(new
            {
                channel = "webhook",
                headers = new Dictionary<string, string>
                {
                    ["content-type"] = request.ContentType, ["webhook-id"] = request.WebhookId, ["webhook-timestamp"] = request.Timestamp,
                    ["webhook-signature"] = request.Signature,
                },
                body = request.Body,
            });
        }
        // The subscription test event, sent on request to the webhook only.
        var tested = await As(Roles.Integrator, s => s.Post.Url($"/api/subscriptions/{subscription.GetProperty("id").GetGuid()}/test"));
        tested.Context.Response.StatusCode.ShouldBe(200, await tested.ReadAsTextAsync());
        await receiver.WaitUntilAsync(r => r.Any(x => x.Event.GetProperty("type").GetString() == WebhookOnly[0]), "the test event");
        foreach (var request in receiver.Requests.Where(r => r.Event.GetProperty("type").GetString() == WebhookOnly[0]))
        {
            captured.Add(new
            {
                channel = "webhook",
                headers = new Dictionary<string, string>
                {
                    ["content-type"] = request.ContentType, ["webhook-id"] = request.WebhookId, ["webhook-timestamp"] = request.Timestamp,
                    ["webhook-signature"] = request.Signature,
                },
                body = request.Body,
            });
        }
        await As(Roles.Integrator, s => s.Delete.Url($"/api/subscriptions/{subscription.GetProperty("id").GetGuid()}"));

        var report = await RunValidatorAsync("events", new() { ["events.json"] = JsonSerializer.Serialize(captured) });
        report.GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ShouldBeEmpty();
        report.GetProperty("checked").GetInt32().ShouldBe(captured.Count);
        var seen = report.GetProperty("types").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(c => c.GetString()!).ToList());
        seen.Keys.ShouldBe(Documented, ignoreOrder: true);
        foreach (var (type, channels) in seen)
        {
            channels.ShouldBe(WebhookOnly.Contains(type) ? ["webhook"] : ["feed", "sse", "webhook"], ignoreOrder: true, customMessage: type);
        }
    }

    [Fact]
    public async Task The_asyncapi_document_is_valid_for_the_asyncapi_parser_and_references_the_served_schemas()
    {
        var result = await Host.Scenario(s => { s.Get.Url("/asyncapi/v1.json"); s.IgnoreStatusCode(); });
        result.Context.Response.StatusCode.ShouldBe(200);
        result.Context.Response.ContentType.ShouldNotBeNull().ShouldStartWith("application/json");
        var text = await result.ReadAsTextAsync();
        var document = JsonNode.Parse(text)!;
        document["asyncapi"]!.GetValue<string>().ShouldBe("3.0.0");
        document["channels"]!["feedStream"]!["address"]!.GetValue<string>().ShouldBe("/api/feed/stream");
        var headers = document["components"]!["schemas"]!["standardWebhookHeaders"]!["required"]!.AsArray().Select(n => n!.GetValue<string>());
        headers.ShouldBe(["webhook-id", "webhook-timestamp", "webhook-signature"]);

        var report = await RunValidatorAsync("asyncapi", new() { ["asyncapi.json"] = text });
        report.GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ShouldBeEmpty();
        report.GetProperty("resolved").EnumerateArray().Select(e => e.GetString()).ShouldBe(Documented.Select(t => $"{Base}/api/events/schemas/{t}"), ignoreOrder: true);
        report.GetProperty("operations").EnumerateArray().Select(e => e.GetString()).ShouldBe(["streamEvents:send", "deliverWebhooks:send"]);
        var messages = report.GetProperty("messages").EnumerateArray().Select(e => e.GetString()).ToList();
        messages.Count.ShouldBe(Types.Length * 2 + WebhookOnly.Length, "stored types on the stream and the webhooks, the test event on the webhooks");
        messages.Distinct().ShouldBe(Documented, ignoreOrder: true);
    }

    private async Task VerifyAsync(Guid id, object body)
    {
        var result = await As(Roles.Verifier, s => s.Post.Json(body).ToUrl($"/api/documents/{id}/verifications"));
        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
    }

    /// <summary>The <c>data:</c> of the first <paramref name="count"/> Server-Sent Events.</summary>
    private async Task<List<string>> ReadStreamAsync(string query, int count)
    {
        using var client = Host.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/feed/stream" + query);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", KeyFor(Roles.Integrator));
        using var cancel = new CancellationTokenSource(Patience);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        var events = new List<string>();
        while (events.Count < count)
        {
            var line = await reader.ReadLineAsync(cancel.Token) ?? throw new EndOfStreamException("The stream ended.");
            if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add(line[6..]);
        }
        return events;
    }

    /// <summary>Runs catalogue/validate.mjs over every served schema and the given files; its JSON report.</summary>
    private async Task<JsonElement> RunValidatorAsync(string command, Dictionary<string, string> files)
    {
        var schemas = new JsonObject();
        foreach (var type in Documented)
        {
            var url = $"{Base}/api/events/schemas/{type}";
            schemas[url] = JsonNode.Parse(await (await Host.Scenario(s => s.Get.Url(url[Base.Length..]))).ReadAsTextAsync());
        }
        files["schemas.json"] = schemas.ToJsonString();
        var folder = Directory.CreateTempSubdirectory("provenance-catalogue-");
        try
        {
            foreach (var (name, content) in files) await File.WriteAllTextAsync(Path.Combine(folder.FullName, name), content);
            var catalogue = Path.Combine(RepositoryRoot(), "tests", "Provenance.Tests", "Feed", "catalogue");
            File.Exists(Path.Combine(catalogue, "node_modules", "ajv", "package.json"))
                .ShouldBeTrue($"run `npm ci` in {catalogue} (ops/test.sh does when node_modules is missing)");
            var start = new ProcessStartInfo("node", ["validate.mjs", command, folder.FullName])
            {
                WorkingDirectory = catalogue, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            process.ExitCode.ShouldBe(0, await error);
            return JsonDocument.Parse(await output).RootElement.Clone();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string RepositoryRoot() => typeof(AppFixture).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
}
