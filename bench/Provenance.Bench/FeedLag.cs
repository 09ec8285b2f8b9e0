using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Marten.Events;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Tenancy;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// Scenario 5: commit → webhook received. Events are appended through the app's DocumentStore at half the maximum append rate
/// (measured first, closed loop, 8 writers), paced open-loop; a webhook subscription posts each one to a receiver on a loopback
/// port (allowed by <c>Provenance:Webhooks:AllowedHosts</c>). Lag = receipt time − the moment SaveChangesAsync returned, per event id.
/// Baseline (context only): the writer itself POSTs the same event id to the receiver right after commit — the cost of the
/// HTTP hop alone, with no daemon, no fan-out table and no dispatcher.
/// </summary>
public sealed class FeedLag(TimeSpan duration, int receiverPort) : Scenario
{
    private const double P95TargetMs = 1000;
    private const int Streams = 32;
    private readonly ConcurrentDictionary<Guid, long> _received = new();
    private readonly ConcurrentQueue<(Guid Stream, int Revision)> _free = new();
    private readonly List<double> _max = [];
    private WebApplication _receiver = null!;
    private HttpClient _direct = null!;
    private double _rate;

    public override string Name => "feed-lag";
    public override string Title => $"commit → webhook received at half the maximum append rate, {duration.TotalSeconds:F0} s per repetition";
    public override string Unit => "ms p95 lag";
    public override bool HigherIsBetter => false;
    public override double RatioTarget => 1;
    public override bool RatioIsTarget => false;

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls($"http://127.0.0.1:{receiverPort}");
        _receiver = builder.Build();
        _receiver.MapPost("/hook", async (HttpRequest request) =>
        {
            var at = Stopwatch.GetTimestamp();
            using var body = await JsonDocument.ParseAsync(request.Body);
            _received.TryAdd(Guid.Parse(body.RootElement.GetProperty("id").GetString()!), at);
            return Results.NoContent();
        });
        await _receiver.StartAsync(ct);
        _direct = BenchHost.Client(new Uri($"http://127.0.0.1:{receiverPort}"), 64);

        using var admin = BenchHost.Client(host.ApiUri, 1);
        admin.DefaultRequestHeaders.Authorization = new("Bearer", BenchHost.AdminKey);
        var key = await admin.PostAsJsonAsync("/api/keys", new { name = "bench.integrator", roles = new[] { Roles.Integrator } }, ct);
        key.EnsureSuccessStatusCode();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", (await key.Content.ReadFromJsonAsync<CreatedApiKey>(ct))!.Key);
        var subscription = await admin.PostAsJsonAsync("/api/subscriptions", new { url = $"http://127.0.0.1:{receiverPort}/hook" }, ct);
        if (!subscription.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Creating the webhook subscription failed: {(int)subscription.StatusCode} {await subscription.Content.ReadAsStringAsync(ct)}");
        }

        await using var session = host.Store.LightweightSession(Tenants.Default);
        for (var s = 0; s < Streams; s++)
        {
            var id = Guid.CreateVersion7();
            session.Events.StartStream<DocumentView>(id, new DocumentIngested(id, "Feed bench", "en", "text/plain", Digest(1), 10, null, null, null, null,
                "bench", "bench", null));
            _free.Enqueue((id, 1));
        }
        await session.SaveChangesAsync(ct);
        await host.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromMinutes(2));

        // The maximum append rate: closed loop, 8 writers, 3 s.
        var max = await LoadDriver.RunAsync(8, TimeSpan.FromSeconds(3), async (_, c) => { await AppendAsync(host, c); return true; }, ct);
        _rate = max.Value / 2;
        await WaitForDeliveriesAsync(TimeSpan.FromSeconds(30), ct);
        Console.WriteLine($"   maximum append rate {Stats.F(max.Value)} events/s; pacing at {Stats.F(_rate)} events/s");
    }

    public override async Task WarmUpAsync(BenchHost host, CancellationToken ct)
    {
        await CandidateAsync(host, ct);
        await BaselineAsync(host, ct);
        _max.Clear();
    }

    public override Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct) => PacedAsync(host, direct: false, ct);

    public override Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct) => PacedAsync(host, direct: true, ct);

    private async Task<Guid> AppendAsync(BenchHost host, CancellationToken ct)
    {
        if (!_free.TryDequeue(out var slot)) throw new InvalidOperationException("More appends in flight than streams.");
        await using var session = host.Store.LightweightSession(Tenants.Default);
        var revision = slot.Revision + 1;
        var action = session.Events.Append(slot.Stream,
            new DocumentEdited(slot.Stream, revision, revision - 1, "text/plain", Digest(revision), 42, 1, 1, "bench", "feed bench"));
        await session.SaveChangesAsync(ct);
        _free.Enqueue((slot.Stream, revision));
        var id = action.Events[0].Id;
        return id == Guid.Empty ? throw new InvalidOperationException("Marten did not assign the event id at append.") : id;
    }

    private async Task<Measurement> PacedAsync(BenchHost host, bool direct, CancellationToken ct)
    {
        var count = (int)(_rate * duration.TotalSeconds);
        var committed = new ConcurrentDictionary<Guid, long>();
        using var inFlight = new SemaphoreSlim(Streams);
        var tasks = new List<Task>(count);
        var start = Stopwatch.GetTimestamp();
        long errors = 0;
        for (var k = 0; k < count; k++)
        {
            var due = TimeSpan.FromSeconds(k / _rate) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero) await Task.Delay(due, ct);
            await inFlight.WaitAsync(ct);
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    var id = await AppendAsync(host, ct);
                    committed[id] = Stopwatch.GetTimestamp();
                    if (direct) (await _direct.PostAsJsonAsync("/hook", new { id }, ct)).EnsureSuccessStatusCode();
                }
                catch (Exception e) when (e is HttpRequestException or Npgsql.NpgsqlException or Marten.Exceptions.MartenCommandException)
                {
                    Interlocked.Increment(ref errors);
                }
                finally
                {
                    inFlight.Release();
                }
            }, CancellationToken.None));
        }
        await Task.WhenAll(tasks);
        var missing = await WaitForDeliveriesAsync(TimeSpan.FromSeconds(30), ct, committed.Keys);
        var lags = committed
            .Where(c => _received.ContainsKey(c.Key))
            .Select(c => Stopwatch.GetElapsedTime(c.Value, _received[c.Key]).TotalMilliseconds)
            .Order().ToArray();
        if (!direct) _max.Add(lags.Length == 0 ? double.NaN : lags[^1]);
        return new Measurement(Stats.Percentile(lags, 95), lags.Length, errors + missing, Stats.Percentile(lags, 50), Stats.Percentile(lags, 99));
    }

    /// <summary>Waits until every given event was received (or <paramref name="patience"/> passed); returns how many never came.</summary>
    private async Task<int> WaitForDeliveriesAsync(TimeSpan patience, CancellationToken ct, ICollection<Guid>? ids = null)
    {
        var deadline = Stopwatch.StartNew();
        var lastCount = -1;
        while (deadline.Elapsed < patience)
        {
            if (ids is not null && ids.All(_received.ContainsKey)) return 0;
            if (ids is null)
            {
                // Setup: wait until deliveries stop arriving for a second.
                if (_received.Count == lastCount) return 0;
                lastCount = _received.Count;
                await Task.Delay(1000, ct);
                continue;
            }
            await Task.Delay(20, ct);
        }
        return ids?.Count(id => !_received.ContainsKey(id)) ?? 0;
    }

    public override IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline)
    {
        var p95 = candidate.Select(m => m.Value).ToArray();
        var median = Stats.Median(p95);
        yield return new Row(Name, "commit → webhook p95 (ms)", median, p95.Min(), p95.Max(), $"≤ {P95TargetMs:0} ms", median <= P95TargetMs,
            $"at {Stats.F(_rate)} events/s: p50 {Stats.F(Stats.Median(candidate.Select(m => m.P50Ms)))} ms, p95 {Stats.F(median)} ms,"
            + $" max {Stats.F(_max.Where(m => !double.IsNaN(m)).DefaultIfEmpty(double.NaN).Max())} ms over {candidate.Sum(m => m.Operations):N0} events;"
            + $" direct POST p50 {Stats.F(Stats.Median(baseline.Select(m => m.P50Ms)))} ms, p95 {Stats.F(Stats.Median(baseline.Select(m => m.Value)))} ms;"
            + $" missing or failed {candidate.Sum(m => m.Errors)} / {baseline.Sum(m => m.Errors)}");
    }

    private static string Digest(int n) => "sha256:" + n.ToString("x64");
}
