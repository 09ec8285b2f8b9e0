using System.Text;
using CsCheck;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Faults;

/// <summary>
/// Random bodies at every POST endpoint — random JSON, wrong types, huge strings, invalid UTF-8, path-traversal file names in
/// multipart — against the real process: never a 5xx, and a rejected request never writes an event.
/// </summary>
public sealed class Bad_input_at_volume(FaultsFixture fixture, ITestOutputHelper output) : FaultTest(fixture, output)
{
    public sealed record Attempt(string Endpoint, string? IfMatch, string ContentType, byte[] Body, string Kind)
    {
        public override string ToString() => $"{Kind} → POST {Endpoint} ({ContentType}, {Body.Length} bytes, If-Match {IfMatch ?? "none"}): "
            + Encoding.UTF8.GetString(Body.AsSpan(0, Math.Min(Body.Length, 200)));
    }

    private static readonly string[] Fields =
    [
        "title", "language", "content", "contentBase64", "mediaType", "originalFileName", "sourceUri", "publisher", "publishedAt",
        "channel", "reason", "sourceRevision", "translator", "method", "revision", "claim", "verdict", "evidence", "notes", "name", "roles",
    ];

    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.String[0, 40],
        Gen.Const("en"), Gen.Const("fr-CA"), Gen.Const("text/plain"), Gen.Const("application/pdf"), Gen.Const("verified"),
        Gen.Const("../../etc/passwd"), Gen.Const("..\\..\\windows\\win.ini"), Gen.Const("\u0000\u202e\ud83d\ude00"),
        Gen.Int[1, 300_000].Select(n => new string('x', n)));

    private static readonly Gen<string> JsonValue = Gen.OneOf(
        Text.Select(s => System.Text.Json.JsonSerializer.Serialize(s)),
        Gen.Long.Select(n => n.ToString()), Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R") : "1e999"),
        Gen.Const("true"), Gen.Const("null"), Gen.Const("[]"), Gen.Const("{}"), Gen.Const("[1,\"a\",{}]"),
        Gen.Const("{\"quote\":\"x\",\"start\":-5,\"end\":99999999999}"), Gen.Const("[\"http://example.invalid/\",\"javascript:alert(1)\"]"));

    private static readonly Gen<byte[]> JsonObject = Gen.Select(Gen.OneOf(Gen.OneOfConst(Fields), Gen.String[0, 10]), JsonValue)
        .Array[0, 12]
        .Select(pairs => Encoding.UTF8.GetBytes("{" + string.Join(",", pairs.Select(p => $"{System.Text.Json.JsonSerializer.Serialize(p.Item1)}:{p.Item2}")) + "}"));

    private static readonly Gen<byte[]> Garbage = Gen.OneOf(
        Gen.Byte.Array[0, 2000],
        Gen.Const(new byte[] { 0x7b, 0x22, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d }), // {"title":"\xc3(\xff\xfe"}
        Gen.Const(Encoding.UTF8.GetBytes("{\"title\":")), Gen.Const(Encoding.UTF8.GetBytes("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[")),
        Gen.Const<byte[]>([]));

    private static Gen<Attempt> Attempts(Guid document)
    {
        var endpoints = Gen.OneOfConst("/api/documents", $"/api/documents/{document}/revisions", $"/api/documents/{document}/translations",
            $"/api/documents/{document}/verifications", "/api/keys", $"/api/documents/{Guid.NewGuid()}/revisions");
        var ifMatch = Gen.OneOf(Gen.Const<string?>((string?)null), Gen.Const<string?>("\"1\""), Gen.Const<string?>("\"999\""), Gen.Const<string?>("*"),
            Gen.String[0, 20].Select(s => (string?)s));
        var json = Gen.Select(endpoints, ifMatch, JsonObject, (e, m, b) => new Attempt(e, m, "application/json", b, "random JSON"));
        var garbage = Gen.Select(endpoints, ifMatch, Garbage, Gen.OneOfConst("application/json", "text/plain", "application/xml"),
            (e, m, b, t) => new Attempt(e, m, t, b, "garbage bytes"));
        var multipart = Gen.Select(endpoints, ifMatch, Text, Gen.Byte.Array[0, 3000], Gen.OneOf(Text, Gen.OneOfConst(
                "../../../etc/passwd", "..%2f..%2fsecret", "/absolute/path.txt", "C:\\Windows\\system.ini", "a\u0000b.txt", "....//....//x", ".")),
            (e, m, title, bytes, fileName) => Multipart(e, m, title, bytes, fileName));
        return Gen.Frequency((4, json), (2, garbage), (3, multipart));
    }

    /// <summary>Written by hand, byte for byte: HttpClient's own multipart writer refuses the hostile file names we want to send.</summary>
    private static Attempt Multipart(string endpoint, string? ifMatch, string title, byte[] bytes, string fileName)
    {
        const string boundary = "fuzz-boundary-7c1f";
        using var body = new MemoryStream();
        void Write(string text) => body.Write(Encoding.UTF8.GetBytes(text));
        Write($"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n{title}\r\n");
        Write($"--{boundary}\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nen\r\n");
        Write($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{fileName}\"\r\nContent-Type: text/plain\r\n\r\n");
        body.Write(bytes);
        Write($"\r\n--{boundary}--\r\n");
        return new Attempt(endpoint, ifMatch, $"multipart/form-data; boundary={boundary}", body.ToArray(), $"multipart, file name '{fileName}'");
    }

    [Fact]
    public async Task No_random_body_at_any_post_endpoint_gets_a_5xx_or_writes_when_rejected()
    {
        var iterations = FaultsFixture.Full ? 3000 : 300;
        using var client = Fixture.Client("admin", 1);
        var (document, _) = await IngestAsync(client, "The document the fuzzer edits.");
        var statuses = new Dictionary<int, int>();
        var failures = new List<string>();
        await Attempts(document).SampleAsync(async attempt =>
        {
            var before = await Fixture.EventCountAsync();
            using var request = new HttpRequestMessage(HttpMethod.Post, attempt.Endpoint) { Content = new ByteArrayContent(attempt.Body) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", attempt.ContentType);
            if (attempt.IfMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", attempt.IfMatch);
            using var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            var after = await Fixture.EventCountAsync();
            lock (statuses)
            {
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                if (status >= 500) failures.Add($"{status} for {attempt}");
                else if (status >= 300 && after != before) failures.Add($"{status} but {after - before} event(s) written for {attempt}");
            }
        }, iter: iterations, threads: 1);
        Say($"{iterations} random requests over 5 POST endpoints (JSON, garbage bytes, multipart with hostile file names) as admin: "
            + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Value} × {s.Key}"))
            + $"; checked no 5xx and no event written by a rejected request ({failures.Count} failures)");
        failures.Take(10).ShouldBeEmpty();
        (await Fixture.ProjectionDisagreementsAsync()).ShouldBeEmpty();
    }
}
