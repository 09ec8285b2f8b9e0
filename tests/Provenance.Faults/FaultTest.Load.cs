using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Provenance.Faults;

public abstract partial class FaultTest
{
    /// <summary>Bounded polling of a condition, with a deadline.</summary>
    protected static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (await condition()) return true;
            await Task.Delay(100);
        }
        return await condition();
    }

    /// <summary>
    /// Writers that ingest a document each and then edit it, taking the clients in turn (so a dead node is skipped), recording
    /// every acknowledged revision. Failures are counted and backed off; every loop is bounded by <c>iterations</c>.
    /// </summary>
    protected sealed class EditorLoad : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task[] _workers;
        private readonly IReadOnlyList<HttpClient> _clients;
        private int _acked;
        private int _failed;
        public int Acked => Volatile.Read(ref _acked);
        public int Failed => Volatile.Read(ref _failed);

        /// <param name="clients">Owned by the load: disposed with it.</param>
        public EditorLoad(IReadOnlyList<HttpClient> clients, ConcurrentDictionary<Guid, int> acked, int workers, string tag, int iterations)
        {
            _clients = clients;
            _workers = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
            {
                Guid? id = null;
                var revision = 0;
                for (var n = 0; n < iterations && !_stop.IsCancellationRequested; n++)
                {
                    var client = _clients[(w + n) % _clients.Count];
                    try
                    {
                        if (id is null)
                        {
                            (var created, revision) = await IngestAsync(client, $"{tag}.{w}", _stop.Token);
                            id = created;
                            acked[created] = revision;
                            Interlocked.Increment(ref _acked);
                            continue;
                        }
                        using var response = await EditAsync(client, id.Value, revision, $"{tag}.{w}.{n}", _stop.Token);
                        if (response.StatusCode == HttpStatusCode.Created)
                        {
                            acked[id.Value] = revision = Revision(response);
                            Interlocked.Increment(ref _acked);
                        }
                        else if (response.StatusCode == HttpStatusCode.PreconditionFailed) revision = Revision(response);
                        else
                        {
                            Interlocked.Increment(ref _failed);
                            await Task.Delay(50, _stop.Token); // back off while the database is away
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                    {
                        // A killed node refuses or cuts the request (its outcome is unknown and it was not acknowledged); during a
                        // database outage requests fail. The next iteration goes to the next client.
                        Interlocked.Increment(ref _failed);
                        if (_stop.IsCancellationRequested) break;
                        await Task.Delay(20);
                    }
                }
            })).ToArray();
        }

        public Task<bool> WaitForAckedAsync(int count, TimeSpan within) => WaitUntilAsync(() => Task.FromResult(Acked >= count), within);

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_workers);
        }

        public void Dispose()
        {
            if (!_stop.IsCancellationRequested) _stop.Cancel();
            try
            {
                Task.WaitAll(_workers, TimeSpan.FromSeconds(30));
            }
            catch (AggregateException)
            {
                // Already reported by the test that stopped early.
            }
            foreach (var c in _clients) c.Dispose();
            _stop.Dispose();
        }
    }
}
