using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Marten;
using Marten.Events;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// <c>GET /api/documents/{id}/package</c> (a BagIt zip) of a 1,000-event document (1 ingest, 599 edits, 200 translations, 200
/// verifications; 800 content files of about 2.5 KB), read to the end by an HTTP client, against the raw cost of reading the same rows:
/// every content row and event of the document with one query each, written to a null stream. Memory: the peak growth of the
/// process's managed heap while the package streams (sampled every 5 ms), for that document and for one with a 20 MB revision.
/// </summary>
public sealed class Packages : Scenario
{
    const int Events = 1000;
    const int BigBytes = 20 * 1024 * 1024;
    Guid _document;
    Guid _big;
    HttpClient _client = null!;
    readonly List<(double Ms, long Bytes, double HeapMb)> _big20 = [];
    long _packageBytes;

    public override string Name => "packages";
    public override string Title => $"BagIt package of a {Events:N0}-event document, streamed to an HTTP client";
    public override string Unit => "ms per package";
    public override bool HigherIsBetter => false;
    public override double RatioTarget => 1;
    public override bool RatioIsTarget => false;

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        _client = BenchHost.Client(host.ApiUri, 2);
        _client.Timeout = TimeSpan.FromMinutes(5);
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BenchHost.AdminKey);
        var clock = Stopwatch.StartNew();
        var created = await _client.PostAsJsonAsync("/api/documents", new { title = "Package bench", language = "en", content = Text(0) }, ct);
        created.EnsureSuccessStatusCode();
        _document = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
        var etag = created.Headers.ETag!.Tag;
        var (revision, written) = (1, 1);
        for (var n = 1; written < Events; n++, written++)
        {
            HttpResponseMessage response;
            if (n % 5 is 0 or 1 or 3)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/documents/{_document}/revisions")
                    { Content = JsonContent.Create(new { content = Text(n), reason = $"Edit {n}" }) };
                request.Headers.IfMatch.Add(new EntityTagHeaderValue(etag));
                response = await _client.SendAsync(request, ct);
                revision++;
            }
            else if (n % 5 == 2)
            {
                response = await _client.PostAsJsonAsync($"/api/documents/{_document}/translations",
                    new { language = n % 3 == 0 ? "fr" : "de", content = "Traduction " + Text(n), translator = "bench", method = "human" }, ct);
            }
            else
            {
                response = await _client.PostAsJsonAsync($"/api/documents/{_document}/verifications",
                    new { revision, method = "source-comparison", verdict = "verified", notes = $"Check {n}" }, ct);
            }
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Seeding event {written + 1}: {await response.Content.ReadAsStringAsync(ct)}");
            etag = response.Headers.ETag?.Tag ?? etag;
        }
        using var big = new MultipartFormDataContent
        {
            { new StringContent("Twenty megabytes"), "title" }, { new StringContent("en"), "language" },
        };
        var bytes = new byte[BigBytes];
        new Random(7).NextBytes(bytes);
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        "%PDF-1.7\n"u8.CopyTo(bytes);
        big.Add(file, "file", "big.pdf");
        var bigCreated = await _client.PostAsync("/api/documents", big, ct);
        if (!bigCreated.IsSuccessStatusCode) throw new InvalidOperationException(await bigCreated.Content.ReadAsStringAsync(ct));
        _big = (await bigCreated.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
        await host.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromMinutes(5));
        (await _client.PostAsync("/api/ledger/checkpoints", null, ct)).EnsureSuccessStatusCode();
        Console.WriteLine($"   seeded {Events:N0} events and a {BigBytes / 1024 / 1024} MB document in {clock.Elapsed.TotalSeconds:F1} s");
    }

    static string Text(int n) => string.Join('\n', Enumerable.Range(0, 40).Select(i => $"Line {i} of revision {n}: the quick brown fox jumps over the lazy dog.")) + "\n";

    public override async Task WarmUpAsync(BenchHost host, CancellationToken ct)
    {
        await PackageAsync(_document, ct);
        await RawAsync(host, ct);
    }

    public override async Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct)
    {
        var (ms, bytes, heap) = await PackageAsync(_document, ct);
        _packageBytes = bytes;
        _big20.Add(await PackageAsync(_big, ct));
        return new Measurement(ms, 1, 0, ms, ms, heap);
    }

    public override async Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        await RawAsync(host, ct);
        var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return new Measurement(ms, 1, 0, ms, ms);
    }

    async Task<(double Ms, long Bytes, double HeapMb)> PackageAsync(Guid id, CancellationToken ct)
    {
        GC.Collect();
        var before = GC.GetTotalMemory(true);
        var peak = before;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                try { await Task.Delay(5, stop.Token); } catch (OperationCanceledException) { }
            }
        }, CancellationToken.None);
        var start = Stopwatch.GetTimestamp();
        using var response = await _client.GetAsync($"/api/documents/{id}/package?format=bagit", HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync(ct));
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0) total += read;
        var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        stop.Cancel();
        await sampler;
        return (ms, total, (peak - before) / 1024.0 / 1024.0);
    }

    /// <summary>What the package is made of, read raw: the document's content rows and its events.</summary>
    async Task RawAsync(BenchHost host, CancellationToken ct)
    {
        await using (var events = host.RawData.CreateCommand($"select seq_id, version, type, data::text from {BenchHost.Schema}.mt_events where stream_id = $1 order by version"))
        {
            events.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _document });
            await using var reader = await events.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) await Stream.Null.WriteAsync(Encoding.UTF8.GetBytes(reader.GetString(3)), ct);
        }
        await using var contents = host.RawData.CreateCommand(
            $"select bytes from {BenchHost.Schema}.content_blobs where digest in (select data->>'contentDigest' from {BenchHost.Schema}.mt_events where stream_id = $1)");
        contents.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _document });
        await using var rows = await contents.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        while (await rows.ReadAsync(ct))
        {
            await using var stream = rows.GetStream(0);
            await stream.CopyToAsync(Stream.Null, ct);
        }
    }

    public override IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline)
    {
        var times = candidate.Select(c => c.Value).ToArray();
        var median = Stats.Median(times);
        yield return new Row(Name, "1,000-event package time", median, times.Min(), times.Max(), "< 2,000 ms", median < 2000,
            $"{_packageBytes / 1024.0 / 1024.0:F1} MB zip, raw read {Stats.F(Stats.Median(baseline.Select(b => b.Value)))} ms");
        var heap = candidate.Select(c => c.PeakRssMb ?? 0).ToArray();
        yield return new Row(Name, "1,000-event package heap growth (MB)", Stats.Median(heap), heap.Min(), heap.Max(), "bounded", true, "peak managed heap over idle");
        var big = _big20.Select(b => b.HeapMb).ToArray();
        var bigMs = _big20.Select(b => b.Ms).ToArray();
        yield return new Row(Name, "20 MB document package heap growth (MB)", Stats.Median(big), big.Min(), big.Max(), "< 20 MB (streamed)", Stats.Median(big) < 20,
            $"{Stats.F(Stats.Median(bigMs))} ms, {_big20.LastOrDefault().Bytes / 1024.0 / 1024.0:F1} MB zip");
    }
}
