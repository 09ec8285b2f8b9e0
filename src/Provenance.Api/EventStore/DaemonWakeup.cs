using JasperFx.Events.Daemon.HighWater;
using Marten;
using Marten.Events.Daemon.HighWater;

namespace Provenance.Api.EventStore;

/// <summary>
/// Every save that appends events NOTIFYs the daemon's channel in its own transaction (PostgreSQL delivers it at commit), so the
/// high-water agent wakes for the append instead of waiting for its next poll. It is Marten's <c>UseListenNotifyForEventAppends</c>
/// done by hand, with a plain <c>select pg_notify</c> rather than a PL/pgSQL block, because Marten then also replaces the daemon's
/// wake-up with its own and <see cref="BatchingWakeup"/> could not wrap it.
/// </summary>
public sealed class AppendNotifier : DocumentSessionListenerBase
{
    static readonly string Notify = $"select pg_notify('{PostgresqlListenWakeup.DefaultChannel}', '')";

    public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        if (session.PendingChanges.Streams().Any()) session.QueueSqlCommand(Notify);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The daemon's wake-up (<c>DaemonSettings.Wakeup</c>): woken by an append's notification, but at most once per
/// <paramref name="window"/>. An append after a quiet spell is seen at once; under a steady stream of appends the high-water agent
/// looks once per window, so every agent gets a page of a window's events and commits it in one transaction, instead of a page of
/// the one or two events committed since its last look (measured under load: about one daemon transaction per agent every 11
/// appends, with a window of zero). The cost is latency under load, at most the window. Never throws but for cancellation (the
/// inner wake-up falls back to a timed wait while the database is unreachable). <paramref name="clock"/> is real time by default,
/// not the store's TimeProvider (which a test may freeze): the window paces a loop, it dates nothing.
/// </summary>
public sealed class BatchingWakeup(IDaemonWakeup inner, TimeSpan window, TimeProvider? clock = null) : IDaemonWakeup
{
    readonly TimeProvider _clock = clock ?? TimeProvider.System;
    long _lastReturn = long.MinValue;

    public async Task WaitAsync(TimeSpan timeout, CancellationToken token)
    {
        // First wait for a notification (or the poll's timeout), then let the rest of the window pass: the appends that commit
        // meanwhile are in the same page. Waiting first keeps a notification that arrives during the window from being drained.
        await inner.WaitAsync(timeout, token);
        if (_lastReturn != long.MinValue)
        {
            var remaining = window - _clock.GetElapsedTime(_lastReturn);
            if (remaining > TimeSpan.Zero) await Task.Delay(remaining, _clock, token);
        }
        _lastReturn = _clock.GetTimestamp();
    }

    public void Dispose() => inner.Dispose();
}
