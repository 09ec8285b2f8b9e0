using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// Ten parallel uploads of 20 MB each (multipart, a PDF-signed body generated while it is sent, so the client holds no copy) to
/// the Release API as its own process, whose VmRSS is sampled every 50 ms: the time until all ten are recorded, and the peak RSS
/// over the idle RSS. Baseline: the same ten bodies POSTed to the bare app, which reads each into one buffer and inserts it as
/// bytea (one copy, no hashing, no checks).
/// </summary>
public sealed class LargeUploads(int port) : Scenario
{
    public const int Uploads = 10;
    public const int Bytes = 20 * 1024 * 1024;
    private ApiMemory.Child _api = null!;
    private HttpClient _raw = null!;
    private HttpClient _client = null!;
    private double _idleRss;
    private int _round;
    private int _reported;

    public override string Name => "large-uploads";
    public override string Title => $"{Uploads} parallel uploads of {Bytes / 1024 / 1024} MB, time until all are recorded";
    public override string Unit => "s";
    public override bool HigherIsBetter => false;
    public override double RatioTarget => 1;
    public override bool RatioIsTarget => false;

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        var connection = Environment.GetEnvironmentVariable("BENCH_CONNECTION_STRING")!;
        _api = await ApiMemory.Child.StartAsync(connection, "bench_uploads", port,
            Environment.GetEnvironmentVariable("BENCH_CHILD_LOG") == "1" ? [("Logging__LogLevel__Default", "Information")] : [], Uploads, ct);
        _client = BenchHost.Client(_api.Client.BaseAddress!, Uploads);
        _client.Timeout = TimeSpan.FromMinutes(5);
        _client.DefaultRequestHeaders.Authorization = _api.Client.DefaultRequestHeaders.Authorization;
        _raw = BenchHost.Client(host.RawUri, Uploads);
        _raw.Timeout = TimeSpan.FromMinutes(5);
        _idleRss = _api.Rss();
        Console.WriteLine($"   API child pid {_api.Process.Id}, idle RSS {Stats.F(_idleRss)} MB");
    }

    public override async Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct)
    {
        var round = Interlocked.Increment(ref _round);
        if (_api.Process.HasExited) throw new InvalidOperationException($"The API child exited ({_api.Process.ExitCode}).");
        var peak = _api.Rss();
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, _api.Rss());
                try { await Task.Delay(50, stop.Token); } catch (OperationCanceledException) { }
            }
        }, CancellationToken.None);
        var measurement = await TimeAsync(async i =>
        {
            using var form = new MultipartFormDataContent();
            form.Add(new StringContent($"Large upload {round}.{i}"), "title");
            form.Add(new StringContent("en"), "language");
            var file = new GeneratedPdf(round * 100 + i);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
            form.Add(file, "file", $"large-{round}-{i}.pdf");
            using var response = await _client.PostAsync("/api/documents", form, ct);
            if (response.StatusCode != HttpStatusCode.Created && Interlocked.Exchange(ref _reported, 1) == 0)
            {
                Console.WriteLine($"   an upload answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }
            return response.StatusCode == HttpStatusCode.Created;
        });
        await stop.CancelAsync();
        await sampler;
        return measurement with { PeakRssMb = Math.Max(peak, _api.Rss()) };
    }

    public override Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct)
    {
        var round = Interlocked.Increment(ref _round);
        return TimeAsync(async i =>
        {
            using var response = await _raw.PostAsync("/raw-upload", new GeneratedPdf(round * 100 + i), ct);
            return response.StatusCode == HttpStatusCode.Created;
        });
    }

    private static async Task<Measurement> TimeAsync(Func<int, Task<bool>> upload)
    {
        var clock = Stopwatch.StartNew();
        var times = new double[Uploads];
        var results = await Task.WhenAll(Enumerable.Range(0, Uploads).Select(async i =>
        {
            var ok = await upload(i);
            times[i] = clock.Elapsed.TotalMilliseconds;
            return ok;
        }));
        var sorted = times.Order().ToArray();
        return new Measurement(clock.Elapsed.TotalSeconds, results.Count(r => r), results.Count(r => !r), Stats.Percentile(sorted, 50), sorted[^1]);
    }

    public override IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline)
    {
        var peaks = candidate.Select(m => m.PeakRssMb ?? double.NaN).ToArray();
        var seconds = candidate.Select(m => m.Value).ToArray();
        var megabytes = Uploads * (double)Bytes / (1024 * 1024);
        yield return new Row(Name, "ledger: all 10 recorded (s)", Stats.Median(seconds), seconds.Min(), seconds.Max(), "— (issue 12: one took > 30 s)", true,
            $"{Stats.F(megabytes / Stats.Median(seconds))} MB/s; first done p50 {Stats.F(Stats.Median(candidate.Select(m => m.P50Ms)))} ms; raw {Stats.F(Stats.Median(baseline.Select(m => m.Value)))} s; errors {candidate.Sum(m => m.Errors)} / {baseline.Sum(m => m.Errors)}");
        yield return new Row(Name, "ledger: peak RSS of the API process (MB)", Stats.Median(peaks), peaks.Min(), peaks.Max(), "— (issue 12: 631 → 854 MB)", true,
            $"idle {Stats.F(_idleRss)} MB, so + {Stats.F(peaks.Max() - _idleRss)} MB at the peak for {megabytes:F0} MB in flight");
        _api.Dispose();
        _client.Dispose();
        _raw.Dispose();
    }

    /// <summary>A PDF-signed body of <see cref="Bytes"/> bytes, written in 64 KB chunks as it is sent; distinct per seed.</summary>
    private sealed class GeneratedPdf(int seed) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = new byte[64 * 1024];
            new Random(seed).NextBytes(chunk);
            "%PDF-1.7\n"u8.CopyTo(chunk);
            for (var written = 0; written < Bytes; written += chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, Bytes - written)));
                chunk[^1]++; // every chunk differs a little, like real content
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = Bytes;
            return true;
        }
    }
}
