using Provenance.Api.EventStore;
using Npgsql;
using Shouldly;

namespace Provenance.Tests.EventStore;

/// <summary>
/// An append NOTIFYs the daemon's channel in its own transaction (<see cref="Api.EventStore.AppendNotifier"/>), so projections, the
/// feed and webhooks see it without waiting for the daemon's next poll (every 5 s when idle). Checked from outside, with a LISTEN of
/// our own on the channel.
/// </summary>
public sealed class Appends_wake_the_daemon(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task An_ingestion_notifies_the_daemon_when_it_commits()
    {
        await using var listener = new NpgsqlConnection(Fixture.ConnectionString);
        await listener.OpenAsync();
        var notified = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) => notified.TrySetResult(e.Channel);
        await using (var listen = new NpgsqlCommand($"listen {BatchingWakeup.Channel}", listener)) await listen.ExecuteNonQueryAsync();

        await IngestAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!notified.Task.IsCompleted) await listener.WaitAsync(timeout.Token);
        (await notified.Task).ShouldBe(BatchingWakeup.Channel);
    }
}
