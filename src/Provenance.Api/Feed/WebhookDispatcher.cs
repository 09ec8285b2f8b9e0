using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Hosting;
using Provenance.Api.EventStore;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Feed;

/// <summary>
/// Sends pending deliveries. Each round claims due rows with <c>FOR UPDATE SKIP LOCKED</c> and a lease, so any number of
/// nodes can run this against one database and each delivery goes out once at a time. Only the oldest pending delivery of each
/// (subscription, document) is claimable, so event N+1 of a document is never sent before event N has been settled.
/// 2xx succeeds; 408, 429, 5xx, timeouts and connection errors retry with exponential backoff and jitter; other statuses fail
/// without retry. Too many failures in a row disable the subscription (its deliveries wait, pending, until it is resumed).
/// </summary>
public sealed class WebhookDispatcher(Archives archives, IOptions<ProvenanceOptions> provenance, IOptions<WebhookOptions> options,
    IOptions<FeedOptions> feed, WebhookSender sender, PublicBaseUrl baseUrl, WebhookSignal signal, Identifiers ids, TimeProvider time,
    IHostApplicationLifetime lifetime, ILogger<WebhookDispatcher> logger) : BackgroundService
{
    /// <summary>The current archive's database (<see cref="CurrentArchive"/>).</summary>
    NpgsqlDataSource DataSource => archives.Current.DataSource;

    public const string ClientName = "webhooks";
    private string Schema => provenance.Value.Schema;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Start-up tasks create the tables first; the host reports "started" only after every StartAsync has finished.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        await using (stoppingToken.Register(() => started.TrySetCanceled()))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Every archive's deliveries in turn, each claimed and recorded in its own database.
                var delivered = false;
                await archives.ForEachAsync(async (_, ct) =>
                {
                    var claimed = await ClaimAsync(ct);
                    if (claimed.Count == 0) return;
                    await Task.WhenAll(claimed.Select(d => DeliverAsync(d, ct)));
                    delivered = true;
                }, logger, stoppingToken);
                if (delivered) continue;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The dispatcher must outlive a bad round (database restart, ...): leases expire and the rows are claimed again.
                logger.LogWarning(e, "Webhook dispatch round failed; trying again after the poll interval");
            }
            try
            {
                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <param name="Secrets">Protected secrets that sign: the current one, then the previous one while its rotation grace period lasts.</param>
    /// <param name="Generation">The delivery's generation when claimed: a retry or replay during the attempt bumps it.</param>
    private sealed record Claimed(Guid Id, Guid SubscriptionId, string Url, IReadOnlyList<string> Secrets, int Attempts, int Generation, StoredEvent Event);

    /// <summary>
    /// Leases due deliveries and reads their events in one statement: raw SQL joining <c>mt_events</c> on purpose (a claim must be one
    /// atomic <c>for update skip locked</c> round trip per batch), reading the event through <see cref="StoredEvents.ColumnsOf"/>.
    /// </summary>
    private async Task<List<Claimed>> ClaimAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // The lease outlives one attempt generously; a node that dies mid-attempt releases its rows when the lease runs out.
        var lease = now + options.Value.Timeout * 3 + options.Value.LeaseMargin;
        await using var command = DataSource.CreateCommand($"""
            with heads as (
                select distinct on (d.subscription_id, d.document_id) d.id
                from {Schema}.{WebhookTables.Deliveries} d
                where d.status = 'pending'
                order by d.subscription_id, d.document_id, d.event_seq
            ), claimable as (
                select d.id from {Schema}.{WebhookTables.Deliveries} d
                join {Schema}.{WebhookTables.Subscriptions} s on s.id = d.subscription_id and s.status = 'active'
                where d.id in (select id from heads) and d.status = 'pending' and d.next_attempt_at <= $1
                  and (d.leased_until is null or d.leased_until <= $1)
                order by d.event_seq
                limit $3
                for update of d skip locked
            ), leased as (
                update {Schema}.{WebhookTables.Deliveries} d set leased_until = $2, attempts = d.attempts + 1, last_attempt_at = $1
                from claimable c where d.id = c.id
                returning d.id, d.subscription_id, d.attempts, d.event_seq, d.generation
            )
            select l.id, l.subscription_id, s.url, s.secret, l.attempts,
                   case when s.previous_secret_expires_at > $1 then s.previous_secret end, l.generation, {StoredEvents.ColumnsOf("e")}
            from leased l
            join {Schema}.{WebhookTables.Subscriptions} s on s.id = l.subscription_id
            join {Schema}.mt_events e on e.seq_id = l.event_seq
            """);
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(lease);
        command.Parameters.AddWithValue(options.Value.BatchSize);
        var claimed = new List<Claimed>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var signing = reader.IsDBNull(5) ? new[] { reader.GetString(3) } : [reader.GetString(3), reader.GetString(5)];
            claimed.Add(new Claimed(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), signing, reader.GetInt32(4), reader.GetInt32(6),
                StoredEvents.Read(reader, first: 7)));
        }
        return claimed;
    }

    public static string WebhookId(Guid deliveryId) => "msg_" + deliveryId.ToString("N");

    private async Task DeliverAsync(Claimed delivery, CancellationToken stoppingToken)
    {
        var body = CloudEvent.From(delivery.Event, feed.Value.SourceOfCurrentArchive, baseUrl.WithoutRequest()).ToUtf8Json();
        var sent = await sender.SendAsync(delivery.Url, delivery.Secrets, WebhookId(delivery.Id), body, stoppingToken);
        var attempt = sent.Attempt;
        if (stoppingToken.IsCancellationRequested && attempt.StatusCode is null) return;

        var outcome = sent.Succeeded ? "succeeded"
            : attempt.StatusCode is null or 408 or 429 or >= 500 ? "pending"
            : "failed";
        var now = time.GetUtcNow();
        var next = outcome == "pending" ? now + Backoff(delivery.Attempts, sent.RetryAfter) : now;
        // A receiver that answered is recorded even while the node stops: otherwise an acknowledged delivery would be sent again.
        using var recording = new CancellationTokenSource(options.Value.Timeout);
        await RecordAsync(delivery, outcome, attempt, next, now, recording.Token);
        if (outcome != "succeeded")
        {
            logger.LogInformation("Webhook delivery {Delivery} of event {Sequence} attempt {Attempt}: {Error}", delivery.Id,
                delivery.Event.Sequence, delivery.Attempts, attempt.Error);
        }
        else
        {
            signal.Wake();
        }
    }

    /// <summary>Exponential from the initial backoff, capped, with ±20% jitter so failed receivers are not hit in lockstep.</summary>
    public TimeSpan Backoff(int attempts, TimeSpan? retryAfter)
    {
        var o = options.Value;
        var exponential = o.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        var capped = Math.Min(exponential, o.MaxBackoff.TotalMilliseconds);
        var jittered = capped * (0.8 + Random.Shared.NextDouble() * 0.4);
        if (retryAfter is { } hint) jittered = Math.Max(jittered, Math.Min(hint.TotalMilliseconds, o.MaxBackoff.TotalMilliseconds));
        return TimeSpan.FromMilliseconds(jittered);
    }

    /// <summary>The most attempts the log keeps per delivery (the newest); the delivery's own counter keeps counting.</summary>
    public const int MaxAttemptsKept = 100;

    /// <summary>
    /// The attempt's log entry, the delivery's new state and the subscription's health in one batch, which Npgsql runs as one implicit
    /// transaction: either all of it is recorded or none (the lease then runs out and the delivery is attempted again), so the log never
    /// shows an outcome the delivery does not have, and a pending delivery is never lost.
    /// </summary>
    private async Task RecordAsync(Claimed delivery, string outcome, DeliveryAttempt attempt, DateTimeOffset next, DateTimeOffset now,
        CancellationToken ct)
    {
        await using var batch = DataSource.CreateBatch();
        var update = new NpgsqlBatchCommand($"""
            update {Schema}.{WebhookTables.Deliveries} set
                status = case when generation = $8 then $2 else 'pending' end,
                last_status_code = $3, last_latency_ms = $4, last_error = $5,
                next_attempt_at = case when generation = $8 then $6 else $7 end, leased_until = null,
                delivered_at = case when $2 = 'succeeded' then $7 else delivered_at end
            where id = $1
            """);
        update.Parameters.AddWithValue(delivery.Id);
        update.Parameters.AddWithValue(outcome);
        update.Parameters.Add(new NpgsqlParameter<int?> { TypedValue = attempt.StatusCode, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        update.Parameters.AddWithValue(attempt.LatencyMs);
        update.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = attempt.Error, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        update.Parameters.AddWithValue(next);
        update.Parameters.AddWithValue(now);
        update.Parameters.AddWithValue(delivery.Generation);
        batch.BatchCommands.Add(update);

        // Only if the delivery still exists (its subscription may have been deleted during the attempt).
        batch.BatchCommands.Add(AttemptLog.Insert(Schema, ids.NewId(), delivery.SubscriptionId, delivery.Id, attempt,
            $"exists (select 1 from {Schema}.{WebhookTables.Deliveries} where id = $2)"));
        if (delivery.Attempts > MaxAttemptsKept) batch.BatchCommands.Add(AttemptLog.Prune(Schema, delivery.SubscriptionId, delivery.Id, MaxAttemptsKept));

        var health = outcome == "succeeded"
            ? new NpgsqlBatchCommand($"update {Schema}.{WebhookTables.Subscriptions} set consecutive_failures = 0 where id = $1 and consecutive_failures <> 0")
            : new NpgsqlBatchCommand($"""
                update {Schema}.{WebhookTables.Subscriptions} set consecutive_failures = consecutive_failures + 1,
                    status = case when status = 'active' and consecutive_failures + 1 >= $2 then 'disabled' else status end,
                    status_reason = case when status = 'active' and consecutive_failures + 1 >= $2 then $3 else status_reason end,
                    updated_at = $4
                where id = $1
                """);
        health.Parameters.AddWithValue(delivery.SubscriptionId);
        if (outcome != "succeeded")
        {
            health.Parameters.AddWithValue(options.Value.MaxConsecutiveFailures);
            health.Parameters.AddWithValue($"Disabled after {options.Value.MaxConsecutiveFailures} consecutive failed deliveries; last: {attempt.Error}");
            health.Parameters.AddWithValue(now);
        }
        batch.BatchCommands.Add(health);
        await batch.ExecuteNonQueryAsync(ct);
    }

    public static HttpMessageHandler CreateHandler(IServiceProvider services) => new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        // Through a proxy the connect step would see the proxy's address, not the target's, and the proxy would reach inside.
        UseProxy = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = services.GetRequiredService<WebhookTargets>().ConnectAsync,
    };
}
