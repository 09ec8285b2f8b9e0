using Microsoft.Extensions.Time.Testing;
using Provenance.Api.EventStore;
using Shouldly;

namespace Provenance.Tests.EventStore;

/// <summary>
/// The daemon's high-water agent waits on <see cref="BatchingWakeup"/> between looks for new events: an append's notification wakes
/// it, none is ever lost, and under a steady stream of appends it looks at most once per window, so each agent commits a page of the
/// window's events. Driven by a fake clock, notifications reported by hand; no timing is measured.
/// </summary>
public sealed class Waking_the_daemon
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task With_no_append_it_waits_for_the_poll_interval()
    {
        var clock = new FakeTimeProvider();
        using var wakeup = new BatchingWakeup(Window, clock);

        var waiting = wakeup.WaitAsync(PollInterval, CancellationToken.None);
        clock.Advance(PollInterval - TimeSpan.FromMilliseconds(1));
        waiting.IsCompleted.ShouldBeFalse();
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_append_after_a_quiet_spell_wakes_it_at_once()
    {
        var clock = new FakeTimeProvider();
        using var wakeup = new BatchingWakeup(Window, clock);
        var waiting = wakeup.WaitAsync(PollInterval, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(1));

        wakeup.Notified();

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_append_that_commits_while_the_daemon_looks_is_not_lost()
    {
        // Marten's own wake-up drained its signals when a wait began, so this append waited for the next poll (5 s).
        var clock = new FakeTimeProvider();
        using var wakeup = new BatchingWakeup(Window, clock);
        var first = wakeup.WaitAsync(PollInterval, CancellationToken.None);
        wakeup.Notified();
        await first.WaitAsync(TimeSpan.FromSeconds(10));

        wakeup.Notified(); // between this return and the next wait: the daemon is looking
        clock.Advance(Window);

        await wakeup.WaitAsync(PollInterval, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Under_a_steady_stream_of_appends_it_looks_once_per_window()
    {
        var clock = new FakeTimeProvider();
        using var wakeup = new BatchingWakeup(Window, clock);
        wakeup.Notified();
        await wakeup.WaitAsync(PollInterval, CancellationToken.None);

        wakeup.Notified();
        var next = wakeup.WaitAsync(PollInterval, CancellationToken.None);
        clock.Advance(Window - TimeSpan.FromMilliseconds(1));
        next.IsCompleted.ShouldBeFalse("the appends of the rest of the window belong to the same page");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await next.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_window_of_zero_wakes_it_on_every_notification()
    {
        var clock = new FakeTimeProvider();
        using var wakeup = new BatchingWakeup(TimeSpan.Zero, clock);
        wakeup.Notified();
        await wakeup.WaitAsync(PollInterval, CancellationToken.None);

        wakeup.Notified();
        wakeup.WaitAsync(PollInterval, CancellationToken.None).IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public async Task Stopping_the_daemon_cancels_the_wait()
    {
        var clock = new FakeTimeProvider();
        using var wakeup = new BatchingWakeup(Window, clock);
        using var stopping = new CancellationTokenSource();

        var waiting = wakeup.WaitAsync(PollInterval, stopping.Token);
        await stopping.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public async Task The_listener_starts_with_the_first_wait_and_stops_with_the_wakeup()
    {
        var clock = new FakeTimeProvider();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var starts = 0;
        var wakeup = new BatchingWakeup(Window, clock, listen: async (w, ct) =>
        {
            Interlocked.Increment(ref starts);
            w.Notified();
            try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { stopped.SetResult(); }
        });

        await wakeup.WaitAsync(PollInterval, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        clock.Advance(Window);
        var second = wakeup.WaitAsync(PollInterval, CancellationToken.None);
        clock.Advance(PollInterval);
        await second.WaitAsync(TimeSpan.FromSeconds(10));
        wakeup.Dispose();

        starts.ShouldBe(1);
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
