using JasperFx.Events.Daemon.HighWater;
using Marten;
using Marten.Events.Daemon.HighWater;
using Npgsql;

namespace Provenance.Api.EventStore;

/// <summary>
/// Every save that appends events NOTIFYs <see cref="BatchingWakeup.Channel"/> in its own transaction (PostgreSQL delivers it at
/// commit), so the daemon's high-water agent wakes for the append instead of waiting for its next poll. This is Marten's
/// <c>UseListenNotifyForEventAppends</c> done by hand, with a plain <c>select pg_notify</c> rather than a PL/pgSQL block, because
/// Marten then also installs its own wake-up, which loses notifications (see <see cref="BatchingWakeup"/>).
/// </summary>
public sealed class AppendNotifier : DocumentSessionListenerBase
{
    static readonly string Notify = $"select pg_notify('{BatchingWakeup.Channel}', '')";

    public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        if (session.PendingChanges.Streams().Any()) session.QueueSqlCommand(Notify);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The daemon's wake-up (<c>DaemonSettings.Wakeup</c>): the high-water agent waits on it between looks for new events.
/// <list type="bullet">
/// <item>It never loses an append. It counts the notifications it receives and returns at once when one came since its last
/// return, however short the wait. Marten's own wake-up instead drains its signals when a wait begins: an append that committed
/// while the agent was looking was forgotten, and the agent slept its whole poll interval (measured: 5 s stalls of the tree, the
/// feed and webhooks, a few times an hour under load).</item>
/// <item>It batches. It returns at most once per <paramref name="window"/>, so under a steady stream of appends every agent gets a
/// page of the window's events and commits it in one transaction, instead of a page of the one or two events committed since its
/// last look (about one daemon transaction per agent every 11 appends with no window). An append after a quiet spell is seen at
/// once; under load the cost is latency, at most the window.</item>
/// </list>
/// <paramref name="listen"/> receives the notifications and calls <see cref="Notified"/> (production: <see cref="ListenAsync"/>); it
/// starts with the first wait. While it is not listening (the database unreachable), waits last their timeout: the daemon polls.
/// The clock is real time by default, not the store's TimeProvider (which a test may freeze): the window paces a loop, it dates
/// nothing.
/// </summary>
public sealed class BatchingWakeup(TimeSpan window, TimeProvider? clock = null, Func<BatchingWakeup, CancellationToken, Task>? listen = null)
    : IDaemonWakeup
{
    /// <summary>The channel appends notify: Marten's own.</summary>
    public const string Channel = PostgresqlListenWakeup.DefaultChannel;

    readonly TimeProvider _clock = clock ?? TimeProvider.System;
    readonly CancellationTokenSource _lifetime = new();
    TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    long _received;
    long _seen;
    long _lastReturn = long.MinValue;
    int _started;

    /// <summary>An append committed (called by the listener for every notification, and once after each (re)connection).</summary>
    public void Notified()
    {
        // Count first, then wake: a waiter that read the old completion source is woken, one that reads the new one sees the count.
        Interlocked.Increment(ref _received);
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken token)
    {
        if (listen is not null && Interlocked.Exchange(ref _started, 1) == 0) _ = listen(this, _lifetime.Token);
        var next = Volatile.Read(ref _next).Task;
        if (Interlocked.Read(ref _received) == _seen)
        {
            // Nothing since the last look: wait for an append, or the daemon's poll interval.
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(token);
            await Task.WhenAny(next, Task.Delay(timeout, _clock, waiting.Token));
            await waiting.CancelAsync();
            token.ThrowIfCancellationRequested();
        }
        if (_lastReturn != long.MinValue)
        {
            // Let the rest of the window pass: the appends that commit meanwhile are in the same page.
            var remaining = window - _clock.GetElapsedTime(_lastReturn);
            if (remaining > TimeSpan.Zero) await Task.Delay(remaining, _clock, token);
        }
        // What the agent's next look will see; an append notified after this point makes the following wait return at once.
        _seen = Interlocked.Read(ref _received);
        _lastReturn = _clock.GetTimestamp();
    }

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    /// <summary>
    /// <see cref="ListenAsync"/> on every archive's database (issue #20): the store has one wake-up, while appends notify in the database
    /// they commit in. The default archive's database is listened on from the start; the list of archives is read again every
    /// <paramref name="refresh"/>, so a new archive's appends wake the daemon without a restart, and a disabled one's connection closes.
    /// </summary>
    public static async Task ListenEverywhereAsync(NpgsqlDataSource defaultDatabase,
        Func<CancellationToken, Task<IReadOnlyList<(string Id, NpgsqlDataSource DataSource)>>> databases, TimeSpan refresh, ILogger logger,
        BatchingWakeup wakeup, CancellationToken ct)
    {
        var listening = new Dictionary<string, CancellationTokenSource>(StringComparer.Ordinal);
        _ = ListenAsync(defaultDatabase, logger, wakeup, ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    var current = (await databases(ct)).Where(d => !ReferenceEquals(d.DataSource, defaultDatabase)).ToList();
                    foreach (var (id, dataSource) in current)
                    {
                        if (listening.ContainsKey(id)) continue;
                        var own = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        listening[id] = own;
                        _ = ListenAsync(dataSource, logger, wakeup, own.Token);
                    }
                    foreach (var gone in listening.Keys.Except(current.Select(d => d.Id)).ToList())
                    {
                        await listening[gone].CancelAsync();
                        listening[gone].Dispose();
                        listening.Remove(gone);
                    }
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or Marten.Exceptions.MartenCommandException)
                {
                    // Before the first start has created the registry, or with the default database down: try again at the next refresh.
                    logger.LogDebug(e, "Could not list the archives to LISTEN on; trying again in {Refresh}", refresh);
                }
                await Task.Delay(refresh, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var own in listening.Values) own.Dispose();
        }
    }

    /// <summary>
    /// LISTENs on <see cref="Channel"/> on a connection of its own and reports every notification to <paramref name="wakeup"/>, until
    /// cancelled. A lost connection is opened again after a second; each (re)connection counts as a notification, since appends may
    /// have committed while nobody listened. An idle connection is checked every 30 s, so a silently dead one is noticed.
    /// </summary>
    public static async Task ListenAsync(NpgsqlDataSource dataSource, ILogger logger, BatchingWakeup wakeup, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                connection.Notification += (_, _) => wakeup.Notified();
                await using (var command = new NpgsqlCommand($"listen {Channel}", connection)) await command.ExecuteNonQueryAsync(ct);
                wakeup.Notified();
                try
                {
                    while (true)
                    {
                        if (await connection.WaitAsync(TimeSpan.FromSeconds(30), ct)) continue;
                        await using var ping = new NpgsqlCommand("select 1", connection);
                        await ping.ExecuteScalarAsync(ct);
                    }
                }
                finally
                {
                    // The connection goes back to a pool that does not reset connections: leave no LISTEN on it.
                    if (connection.State == System.Data.ConnectionState.Open)
                    {
                        await using var unlisten = new NpgsqlCommand($"unlisten {Channel}", connection);
                        try { await unlisten.ExecuteNonQueryAsync(CancellationToken.None); } catch (NpgsqlException) { }
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the host is stopping: its data source is gone
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                logger.LogWarning(e, "Lost the LISTEN connection on {Channel}; the daemon polls until it is back", Channel);
                try { await Task.Delay(TimeSpan.FromSeconds(1), ct); } catch (OperationCanceledException) { return; }
            }
        }
    }
}
