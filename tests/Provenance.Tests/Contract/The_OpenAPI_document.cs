using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Contract;

/// <summary>
/// The served <c>/openapi/v1.json</c> is a contract clients are generated from: every operation named, tagged, typed and secured, every
/// error a problem, the real statuses and media types, and Redocly's recommended rules satisfied.
/// </summary>
public sealed partial class The_OpenAPI_document(AppFixture fixture, ITestOutputHelper output) : IntegrationContext(fixture)
{
    /// <summary>The one warning left: the ledger's verifier key has no error answer to declare (it is public and always there).</summary>
    /// <summary>
    /// The warnings left: the ledger's verifier key has no error answer to declare (it is public and always there), and the test host's
    /// server URL is <c>http://localhost</c>, which Redocly flags as an example server (a deployment's document names its own host).
    /// </summary>
    /// <summary>Public documents that answer no error (the ledger's key, the event catalogue's index, the AsyncAPI document), and Alba's localhost.</summary>
    private static readonly string[] AcceptedWarnings =
    [
        "operation-4xx-response #/paths/~1api~1ledger~1key/get/responses", "operation-4xx-response #/paths/~1api~1events~1schemas/get/responses",
        "operation-4xx-response #/paths/~1asyncapi~1v1.json/get/responses", "no-server-example.com #/servers/0/url",
    ];

    private async Task<(string Text, JsonElement Root)> ServedAsync()
    {
        var result = await Host.Scenario(s => s.Get.Url("/openapi/v1.json"));
        var text = await result.ReadAsTextAsync();
        return (text, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement root)
        => root.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (p.Name, m.Name, m.Value)));

    private static JsonElement Operation(JsonElement root, string path, string method) => root.GetProperty("paths").GetProperty(path).GetProperty(method);

    private static string[] Keys(JsonElement element) => element.ValueKind == JsonValueKind.Object ? element.EnumerateObject().Select(p => p.Name).ToArray() : [];

    [Fact]
    public async Task Every_operation_has_a_camel_case_id_a_described_tag_a_summary_security_and_problem_errors()
    {
        var (_, root) = await ServedAsync();
        var tags = root.GetProperty("tags").EnumerateArray()
            .ToDictionary(t => t.GetProperty("name").GetString()!, t => t.TryGetProperty("description", out var d) ? d.GetString() : null);
        var problems = new List<string>();
        var ids = new HashSet<string>();
        foreach (var (path, method, operation) in Operations(root))
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            var id = operation.TryGetProperty("operationId", out var o) ? o.GetString() ?? "" : "";
            if (!CamelCase().IsMatch(id)) problems.Add($"{name}: operationId '{id}' is not camelCase");
            if (!ids.Add(id)) problems.Add($"{name}: operationId '{id}' is used twice");
            if (!operation.TryGetProperty("summary", out var summary) || string.IsNullOrWhiteSpace(summary.GetString())) problems.Add($"{name}: no summary");
            var opTags = operation.TryGetProperty("tags", out var t) ? t.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
            if (opTags.Length != 1) problems.Add($"{name}: {opTags.Length} tags, not one");
            foreach (var tag in opTags.Where(tag => string.IsNullOrWhiteSpace(tags.GetValueOrDefault(tag)))) problems.Add($"{name}: tag '{tag}' has no description");
            if (!operation.TryGetProperty("security", out var security) || security.ValueKind != JsonValueKind.Array) problems.Add($"{name}: no security");
            foreach (var response in operation.GetProperty("responses").EnumerateObject().Where(r => int.Parse(r.Name) >= 400))
            {
                var content = response.Value.TryGetProperty("content", out var c) ? c : default;
                if (!Keys(content).SequenceEqual(["application/problem+json"])
                    || content.GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString() != "#/components/schemas/Problem")
                {
                    problems.Add($"{name}: {response.Name} is not a Problem as application/problem+json");
                }
            }
        }
        problems.ShouldBeEmpty();
        ids.Count.ShouldBeGreaterThan(30);

        var problem = root.GetProperty("components").GetProperty("schemas").GetProperty("Problem");
        Keys(problem.GetProperty("properties")).ShouldBe(["type", "title", "status", "detail", "instance", "errors"], ignoreOrder: true);
        problem.GetProperty("properties").GetProperty("errors").GetProperty("additionalProperties").GetProperty("type").GetString().ShouldBe("array");
    }

    [Fact]
    public async Task Every_endpoint_of_the_API_is_in_the_document()
    {
        var (_, root) = await ServedAsync();
        var described = Operations(root).Select(o => $"{o.Method.ToUpperInvariant()} {o.Path}").ToHashSet();
        var endpoints = Host.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Select(e => (Endpoint: e, Path: "/" + e.RoutePattern.RawText!.TrimStart('/').Replace("{**", "{")))
            .Where(e => e.Path.StartsWith("/api/", StringComparison.Ordinal) || e.Path.StartsWith("/log/", StringComparison.Ordinal))
            .SelectMany(e => (e.Endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {e.Path}"))
            .ToList();
        endpoints.Count.ShouldBeGreaterThan(30);
        endpoints.Where(e => !described.Contains(e)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Commands_declare_their_bodies_and_the_statuses_and_headers_they_answer_with()
    {
        var (_, root) = await ServedAsync();
        var ingest = Operation(root, "/api/documents", "post");
        ingest.GetProperty("operationId").GetString().ShouldBe("ingestDocument");
        var bodies = ingest.GetProperty("requestBody").GetProperty("content");
        Keys(bodies).ShouldBe(["application/json", "multipart/form-data"]);
        var schemas = root.GetProperty("components").GetProperty("schemas");
        var form = schemas.GetProperty(bodies.GetProperty("multipart/form-data").GetProperty("schema").GetProperty("$ref").GetString()!.Split('/')[^1]);
        form.GetProperty("properties").GetProperty("file").GetProperty("format").GetString().ShouldBe("binary");
        form.GetProperty("required").EnumerateArray().Select(r => r.GetString()).ShouldBe(["file", "title", "language"], ignoreOrder: true);
        var json = schemas.GetProperty(bodies.GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString()!.Split('/')[^1]);
        Keys(json.GetProperty("properties")).ShouldContain("contentBase64");
        Keys(json.GetProperty("properties")).ShouldNotContain("upload", "a [JsonIgnore] member of the command is not part of the body");

        var responses = ingest.GetProperty("responses");
        Keys(responses).ShouldNotContain("200");
        Keys(responses.GetProperty("201").GetProperty("headers")).ShouldBe(["Location", "ETag"], ignoreOrder: true);
        Keys(responses).ShouldBe(["201", "400", "401", "403", "409", "413", "415", "422"]);

        var edit = Operation(root, "/api/documents/{id}/revisions", "post");
        edit.GetProperty("operationId").GetString().ShouldBe("recordRevision");
        Keys(edit.GetProperty("responses")).ShouldBe(["201", "400", "401", "403", "404", "409", "412", "413", "415", "422", "428"]);
        var ifMatch = edit.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "If-Match");
        ifMatch.GetProperty("in").GetString().ShouldBe("header");
        ifMatch.GetProperty("required").GetBoolean().ShouldBeTrue();

        foreach (var (path, id) in new[] { ("/api/documents/{id}/translations", "translateDocument"), ("/api/documents/{id}/verifications", "verifyClaim"),
                     ("/api/subscriptions", "createSubscription"), ("/api/keys", "createApiKey"), ("/api/documents/batch", "importDocuments") })
        {
            var operation = Operation(root, path, "post");
            operation.GetProperty("operationId").GetString().ShouldBe(id);
            Keys(operation.GetProperty("requestBody").GetProperty("content")).ShouldContain("application/json", path);
            Keys(operation.GetProperty("responses")).ShouldContain("201", path);
        }
        Keys(Operation(root, "/api/subscriptions/{id}", "patch").GetProperty("requestBody").GetProperty("content")).ShouldBe(["application/json"]);

        var read = Operation(root, "/api/documents/{id}", "get").GetProperty("responses");
        Keys(read).ShouldBe(["200", "304", "401", "404", "422"]);
        read.GetProperty("200").GetProperty("headers").GetProperty("ETag").GetProperty("required").GetBoolean().ShouldBeTrue();
    }

    [Theory]
    [InlineData("/api/feed/stream", "200", "text/event-stream")]
    [InlineData("/api/documents/{id}/timemap", "200", "application/link-format")]
    [InlineData("/api/documents/{id}/diff", "200", "application/json,text/x-diff")]
    [InlineData("/api/audit", "200", "application/json,text/csv")]
    [InlineData("/api/documents/{id}/provenance", "200", "application/json,application/ld+json,text/turtle,application/xml,text/csv,application/pdf")]
    [InlineData("/api/reports/provenance", "200", "application/x-ndjson,text/csv")]
    [InlineData("/api/reports/provenance.sig", "200", "text/plain")]
    [InlineData("/log/checkpoint", "200", "text/plain")]
    [InlineData("/log/tile/{path}", "200", "application/octet-stream")]
    [InlineData("/api/ledger/checkpoint", "200", "text/plain,application/json")]
    [InlineData("/api/documents/{id}/content", "200", "*/*")]
    public async Task Responses_declare_the_media_types_they_are_served_as(string path, string status, string mediaTypes)
    {
        var (_, root) = await ServedAsync();
        var responses = Operation(root, path, "get").GetProperty("responses");
        Keys(responses.GetProperty(status).GetProperty("content")).ShouldBe(mediaTypes.Split(','));
        Keys(responses).ShouldNotContain("204");
        foreach (var type in mediaTypes.Split(',').Where(t => t != "application/json"))
        {
            // Text is a string, bytes are binary: never the JSON schema of another representation.
            var schema = responses.GetProperty(status).GetProperty("content").GetProperty(type).GetProperty("schema");
            schema.TryGetProperty("$ref", out _).ShouldBe(false, $"{path} {type}");
        }
    }

    [Fact]
    public async Task Security_is_a_bearer_api_key_and_the_anonymous_operations_say_so()
    {
        var (_, root) = await ServedAsync();
        var scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey");
        scheme.GetProperty("type").GetString().ShouldBe("http");
        scheme.GetProperty("scheme").GetString().ShouldBe("bearer");

        foreach (var (path, method) in new[] { ("/api/ledger/key", "get"), ("/api/ledger/checkpoint", "get"), ("/log/checkpoint", "get") })
        {
            Operation(root, path, method).GetProperty("security").GetArrayLength().ShouldBe(0, path);
        }
        // Tiles are public; an entry bundle of a private log asks for a key: the key is optional.
        JsonSerializer.Serialize(Operation(root, "/log/tile/{path}", "get").GetProperty("security")).ShouldBe("[{},{\"apiKey\":[]}]");
        var ingest = Operation(root, "/api/documents", "post");
        JsonSerializer.Serialize(ingest.GetProperty("security")).ShouldBe("[{\"apiKey\":[]}]");
        ingest.GetProperty("description").GetString().ShouldNotBeNull().ShouldContain("`contributor`");
    }

    [Fact]
    public async Task Info_names_a_licence_and_a_contact_and_servers_have_no_trailing_slash()
    {
        var (_, root) = await ServedAsync();
        var info = root.GetProperty("info");
        info.GetProperty("title").GetString().ShouldBe("Provenance API");
        info.GetProperty("license").GetProperty("name").GetString().ShouldNotBeNullOrWhiteSpace();
        info.GetProperty("contact").GetProperty("name").GetString().ShouldNotBeNullOrWhiteSpace();
        foreach (var server in root.GetProperty("servers").EnumerateArray())
        {
            server.GetProperty("url").GetString()!.ShouldNotEndWith("/");
        }
        Keys(root.GetProperty("components").GetProperty("schemas")).ShouldNotContain("IResult");
    }

    [Fact]
    public async Task Redocly_lint_with_the_recommended_rules_finds_no_error()
    {
        var (text, _) = await ServedAsync();
        var file = Path.Combine(Path.GetTempPath(), $"provenance-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, text);
        try
        {
            var (exit, printed) = await ContractTools.RunAsync("redocly", ["lint", file, "--extends=recommended", "--format=json"], TimeSpan.FromMinutes(3));
            var report = JsonDocument.Parse(printed[printed.IndexOf('{')..(printed.LastIndexOf('}') + 1)]).RootElement;
            var totals = report.GetProperty("totals");
            var found = report.GetProperty("problems").EnumerateArray()
                .Select(p => $"{p.GetProperty("severity").GetString()} {p.GetProperty("ruleId").GetString()} {p.GetProperty("location")[0].GetProperty("pointer").GetString()}: {p.GetProperty("message").GetString()}")
                .ToList();
            output.WriteLine($"redocly lint (recommended): {totals.GetProperty("errors").GetInt32()} errors, {totals.GetProperty("warnings").GetInt32()} warnings");
            foreach (var line in found) output.WriteLine(line);
            totals.GetProperty("errors").GetInt32().ShouldBe(0, string.Join('\n', found));
            exit.ShouldBe(0, printed);
            found.Select(f => f.Split(':')[0]["warn ".Length..]).Where(w => !AcceptedWarnings.Contains(w)).ShouldBeEmpty();
        }
        finally
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex CamelCase();
}
