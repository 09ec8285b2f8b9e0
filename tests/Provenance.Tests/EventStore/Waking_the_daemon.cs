using JasperFx.Events.Daemon.HighWater;
using Microsoft.Extensions.Time.Testing;
using Provenance.Api.EventStore;
using Shouldly;

namespace Provenance.Tests.EventStore;

/// <summary>
/// The daemon's high-water agent waits on <see cref="BatchingWakeup"/> between looks: an append's notification wakes it, but under a
/// steady stream of appends it looks at most once per window, so each agent commits a page of the window's events. Driven by a
/// fake clock and a notification that is always pending (a busy store); no timing is measured.
/// </summary>
public sealed class Waking_the_daemon
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(50);

    /// <summary>A store under load: a notification is always waiting.</summary>
    private sealed class AlwaysNotified : IDaemonWakeup
    {
        public int Waits { get; private set; }
        public Task WaitAsync(TimeSpan timeout, CancellationToken token)
        {
            Waits++;
            return Task.CompletedTask;
        }

        public void Dispose() { }
    }

    [Fact]
    public void The_first_notification_wakes_it_at_once()
    {
        var clock = new FakeTimeProvider();
        using var wakeup = new BatchingWakeup(new AlwaysNotified(), Window, clock);

        wakeup.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public async Task Under_a_steady_stream_of_appends_it_looks_once_per_window()
    {
        var clock = new FakeTimeProvider();
        var inner = new AlwaysNotified();
        using var wakeup = new BatchingWakeup(inner, Window, clock);
        await wakeup.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);

        var next = wakeup.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        clock.Advance(Window - TimeSpan.FromMilliseconds(1));
        next.IsCompleted.ShouldBeFalse("the appends of the rest of the window belong to the same page");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await next.WaitAsync(TimeSpan.FromSeconds(10));
        inner.Waits.ShouldBe(2, "each look waits for a notification first, so one that arrives during the window is not lost");
    }

    [Fact]
    public async Task An_append_after_a_quiet_spell_wakes_it_at_once()
    {
        var clock = new FakeTimeProvider();
        using var wakeup = new BatchingWakeup(new AlwaysNotified(), Window, clock);
        await wakeup.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);

        clock.Advance(Window);
        wakeup.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public async Task A_window_of_zero_wakes_it_on_every_notification()
    {
        var clock = new FakeTimeProvider();
        using var wakeup = new BatchingWakeup(new AlwaysNotified(), TimeSpan.Zero, clock);
        await wakeup.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);

        wakeup.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public async Task Stopping_the_daemon_cancels_the_wait()
    {
        var clock = new FakeTimeProvider();
        using var wakeup = new BatchingWakeup(new AlwaysNotified(), Window, clock);
        await wakeup.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        using var stopping = new CancellationTokenSource();

        var next = wakeup.WaitAsync(TimeSpan.FromSeconds(5), stopping.Token);
        await stopping.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => next);
    }
}
