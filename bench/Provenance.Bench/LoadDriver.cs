using System.Diagnostics;

namespace Provenance.Bench;

/// <summary>
/// A closed-loop load driver: N workers, each sending its next request when the previous one answered, for a fixed time
/// (and never more than <paramref name="maxPerWorker"/> requests each), so every run is bounded in time and count.
/// </summary>
public static class LoadDriver
{
    public static async Task<Measurement> RunAsync(int workers, TimeSpan duration, Func<int, CancellationToken, Task<bool>> request,
        CancellationToken ct, bool sampleRss = false, int maxPerWorker = 1_000_000)
    {
        var latencies = new List<double>[workers];
        var errors = new long[workers];
        var peakRss = 0.0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampler = sampleRss
            ? Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    peakRss = Math.Max(peakRss, Machine.RssMb());
                    try { await Task.Delay(200, stop.Token); } catch (OperationCanceledException) { }
                }
            }, CancellationToken.None)
            : Task.CompletedTask;

        var clock = Stopwatch.StartNew();
        var deadline = duration;
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(4096);
            for (var n = 0; n < maxPerWorker && clock.Elapsed < deadline && !ct.IsCancellationRequested; n++)
            {
                var start = Stopwatch.GetTimestamp();
                bool ok;
                try { ok = await request(w, ct); }
                catch (Exception e) when (e is HttpRequestException or IOException or Npgsql.NpgsqlException or TaskCanceledException)
                {
                    ok = false;
                }
                if (ok) mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                else errors[w]++;
            }
        }, CancellationToken.None)).ToArray();
        await Task.WhenAll(tasks);
        var elapsed = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await sampler;

        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Measurement(all.Length / elapsed, all.Length, errors.Sum(), Stats.Percentile(all, 50), Stats.Percentile(all, 99),
            sampleRss ? peakRss : null);
    }
}
