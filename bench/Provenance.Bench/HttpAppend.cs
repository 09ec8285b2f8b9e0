using System.Net;
using System.Net.Http.Json;
using System.Text;
using Provenance.Bench;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// Scenario 1 (and 7, memory): an edit through the whole stack — API-key authentication, If-Match, content store, inline
/// projections — with 32 concurrent connections, each worker editing its own document; against a bare endpoint doing one INSERT.
/// </summary>
public sealed class HttpAppend(int workers, TimeSpan duration, TimeSpan warmUp) : Scenario
{
    public const double P99OverP50Target = 5;
    public const double RssTargetMb = 300;

    private HttpClient _api = null!;
    private HttpClient _raw = null!;
    private Guid[] _documents = [];
    private int[] _revisions = [];
    private int[] _rawVersions = [];
    private long _counter;

    public override string Name => "http-append";
    public override string Title => $"HTTP edit, {workers} connections, {duration.TotalSeconds:F0} s per repetition";
    public override string Unit => "req/s";
    public override bool HigherIsBetter => true;
    public override double RatioTarget => 0.5;

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        _api = BenchHost.Client(host.ApiUri, workers);
        _api.DefaultRequestHeaders.Authorization = new("Bearer", host.ContributorKey);
        _raw = BenchHost.Client(host.RawUri, workers);
        _documents = new Guid[workers];
        _revisions = new int[workers];
        _rawVersions = new int[workers];
        for (var w = 0; w < workers; w++)
        {
            var response = await _api.PostAsJsonAsync("/api/documents",
                new { title = $"Bench document {w}", language = "en", content = $"Bench document {w}, revision 1.", reason = "bench" }, ct);
            response.EnsureSuccessStatusCode();
            _documents[w] = Guid.Parse(response.Headers.Location!.OriginalString.Split('/').Last());
            _revisions[w] = Revision(response);
            _rawVersions[w] = 1;
        }
    }

    public override async Task WarmUpAsync(BenchHost host, CancellationToken ct)
    {
        await LoadDriver.RunAsync(workers, warmUp, EditAsync, ct);
        await LoadDriver.RunAsync(workers, warmUp, RawAsync, ct);
    }

    public override Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct)
        => LoadDriver.RunAsync(workers, duration, EditAsync, ct, sampleRss: true);

    public override Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct)
        => LoadDriver.RunAsync(workers, duration, RawAsync, ct);

    private async Task<bool> EditAsync(int worker, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/documents/{_documents[worker]}/revisions")
        {
            Content = Body(worker),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{_revisions[worker]}\"");
        using var response = await _api.SendAsync(request, ct);
        if (response.Headers.ETag is not null) _revisions[worker] = Revision(response);
        return response.StatusCode == HttpStatusCode.Created;
    }

    private async Task<bool> RawAsync(int worker, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/raw/{_documents[worker]}") { Content = Body(worker) };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{_rawVersions[worker]}\"");
        using var response = await _raw.SendAsync(request, ct);
        if (response.Headers.ETag is not null) _rawVersions[worker] = Revision(response);
        return response.StatusCode == HttpStatusCode.Created;
    }

    /// <summary>
    /// 300 edits one at a time with the async daemon paused (its catch-up is measured on its own: the request path is what the
    /// ratio is about), then the daemon's cost of catching up on them, then the raw endpoint.
    /// </summary>
    public override async Task<IReadOnlyList<RequestCost>> CostsAsync(BenchHost host, CancellationToken ct)
    {
        const int count = 300;
        await CostProbe.EnsureStatementsAsync(host.ConnectionString);
        using var probe = new CostProbe(host.ConnectionString);
        var coordinator = host.Api.Services.GetService<JasperFx.Events.Daemon.IProjectionCoordinator>();
        if (coordinator is not null) await coordinator.PauseAsync();
        RequestCost edit;
        try
        {
            edit = await probe.MeasureAsync("edit (daemon paused)", count, async _ =>
            {
                if (!await EditAsync(0, ct)) throw new InvalidOperationException("an edit failed while measuring its cost");
            });
        }
        finally
        {
            if (coordinator is not null) await coordinator.ResumeAsync();
        }
        // The daemon catches up on those edits before the baseline is measured, so its work is not counted as the baseline's idle.
        await Marten.Events.TestingExtensions.WaitForNonStaleProjectionDataAsync(host.Store, TimeSpan.FromSeconds(120));
        var raw = await probe.MeasureAsync("raw insert", count, async _ =>
        {
            if (!await RawAsync(0, ct)) throw new InvalidOperationException("a raw insert failed while measuring its cost");
        });
        return [edit, raw];
    }

    private StringContent Body(int worker)
    {
        var n = Interlocked.Increment(ref _counter);
        return new StringContent($$"""{"content":"Bench document {{worker}}, edit {{n}}.\nA second line that stays the same.","reason":"bench edit {{n}}"}""",
            Encoding.UTF8, "application/json");
    }

    private static int Revision(HttpResponseMessage response)
        => int.Parse(response.Headers.ETag!.Tag.Trim('"').Split('.')[0]);

    public override IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline)
    {
        var tails = candidate.Select(m => m.P99Ms / m.P50Ms).ToArray();
        var tail = Stats.Median(tails);
        yield return new Row(Name, "ledger p99 / p50", tail, tails.Min(), tails.Max(), $"≤ {P99OverP50Target:0}×", tail <= P99OverP50Target,
            $"ledger p50 {Stats.F(Stats.Median(candidate.Select(m => m.P50Ms)))} ms, p99 {Stats.F(Stats.Median(candidate.Select(m => m.P99Ms)))} ms;"
            + $" raw p50 {Stats.F(Stats.Median(baseline.Select(m => m.P50Ms)))} ms, p99 {Stats.F(Stats.Median(baseline.Select(m => m.P99Ms)))} ms;"
            + $" errors {candidate.Sum(m => m.Errors)} / {baseline.Sum(m => m.Errors)}");
        var rss = candidate.Select(m => m.PeakRssMb ?? double.NaN).ToArray();
        var peak = rss.Max();
        yield return new Row("memory", "peak RSS of the API process under http-append (MB)", Stats.Median(rss), rss.Min(), peak,
            $"< {RssTargetMb:0} MB", peak < RssTargetMb,
            $"peak {Stats.F(peak)} MB (VmRSS; the process also hosts the load driver and the raw baseline, so this is an upper bound)");
    }
}
