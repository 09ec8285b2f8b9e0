using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Hosting;

namespace Provenance.Api.Feed;

/// <summary>
/// Sends pending deliveries. Each round claims due rows with <c>FOR UPDATE SKIP LOCKED</c> and a lease, so any number of
/// nodes can run this against one database and each delivery goes out once at a time. Only the oldest pending delivery of each
/// (subscription, document) is claimable, so event N+1 of a document is never sent before event N has been settled.
/// 2xx succeeds; 408, 429, 5xx, timeouts and connection errors retry with exponential backoff and jitter; other statuses fail
/// without retry. Too many failures in a row disable the subscription (its deliveries wait, pending, until it is resumed).
/// </summary>
public sealed class WebhookDispatcher(NpgsqlDataSource dataSource, IOptions<ProvenanceOptions> provenance, IOptions<WebhookOptions> options,
    IOptions<FeedOptions> feed, IHttpClientFactory clients, PublicBaseUrl baseUrl, WebhookSecrets secrets, WebhookSignal signal, TimeProvider time,
    IHostApplicationLifetime lifetime, ILogger<WebhookDispatcher> logger) : BackgroundService
{
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
                var claimed = await ClaimAsync(stoppingToken);
                if (claimed.Count > 0)
                {
                    await Task.WhenAll(claimed.Select(d => DeliverAsync(d, stoppingToken)));
                    continue;
                }
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

    private sealed record Claimed(Guid Id, Guid SubscriptionId, string Url, string Secret, int Attempts, FeedEvent Event);

    private async Task<List<Claimed>> ClaimAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // The lease outlives one attempt generously; a node that dies mid-attempt releases its rows when the lease runs out.
        var lease = now + options.Value.Timeout * 3 + options.Value.LeaseMargin;
        await using var command = dataSource.CreateCommand($"""
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
                returning d.id, d.subscription_id, d.attempts, d.event_seq
            )
            select l.id, l.subscription_id, s.url, s.secret, l.attempts,
                   e.seq_id, e.id, e.stream_id, e.version, e.type, e.data::text, e.timestamp
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
            claimed.Add(new Claimed(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                new FeedEvent(reader.GetInt64(5), reader.GetGuid(6), reader.GetGuid(7), reader.GetInt64(8), reader.GetString(9),
                    reader.GetString(10), reader.GetFieldValue<DateTimeOffset>(11))));
        }
        return claimed;
    }

    public static string WebhookId(Guid deliveryId) => "msg_" + deliveryId.ToString("N");

    private async Task DeliverAsync(Claimed delivery, CancellationToken stoppingToken)
    {
        var body = CloudEvent.From(delivery.Event, feed.Value.Source, baseUrl.WithoutRequest()).ToUtf8Json();
        var webhookId = WebhookId(delivery.Id);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        int? status = null;
        string? error = null;
        TimeSpan? retryAfter = null;
        var watch = Stopwatch.StartNew();
        try
        {
            var signature = WebhookSecrets.Sign(secrets.Unprotect(delivery.Secret), webhookId, timestamp, body);
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(CloudEvent.MediaType + "; charset=utf-8");
            request.Headers.TryAddWithoutValidation("webhook-id", webhookId);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("webhook-signature", signature);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(options.Value.Timeout);
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            retryAfter = response.Headers.RetryAfter?.Delta;
            if (!response.IsSuccessStatusCode) error = $"HTTP {status} {response.ReasonPhrase}";
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            error = $"Timed out after {options.Value.Timeout.TotalSeconds:0.###} s.";
        }
        catch (HttpRequestException e)
        {
            error = "Connection failed: " + e.Message;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            error = "The subscription's secret cannot be decrypted with this node's key ring.";
        }
        catch (Exception e) when (e is InvalidOperationException or UriFormatException or NotSupportedException or IOException)
        {
            error = "Request failed: " + e.Message;
        }
        watch.Stop();
        if (stoppingToken.IsCancellationRequested && status is null) return;

        var outcome = status is >= 200 and < 300 ? "succeeded"
            : status is null or 408 or 429 or >= 500 ? "pending"
            : "failed";
        var now = time.GetUtcNow();
        var next = outcome == "pending" ? now + Backoff(delivery.Attempts, retryAfter) : now;
        await RecordAsync(delivery, outcome, status, (int)watch.ElapsedMilliseconds, error, now, next, stoppingToken);
        if (outcome != "succeeded")
        {
            logger.LogInformation("Webhook delivery {Delivery} of event {Sequence} attempt {Attempt}: {Error}", delivery.Id,
                delivery.Event.Sequence, delivery.Attempts, error);
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

    private async Task RecordAsync(Claimed delivery, string outcome, int? status, int latency, string? error, DateTimeOffset now,
        DateTimeOffset next, CancellationToken ct)
    {
        await using var batch = dataSource.CreateBatch();
        var update = new NpgsqlBatchCommand($"""
            update {Schema}.{WebhookTables.Deliveries} set status = $2, last_status_code = $3, last_latency_ms = $4, last_error = $5,
                next_attempt_at = $6, leased_until = null, delivered_at = case when $2 = 'succeeded' then $7 else delivered_at end
            where id = $1
            """);
        update.Parameters.AddWithValue(delivery.Id);
        update.Parameters.AddWithValue(outcome);
        update.Parameters.Add(new NpgsqlParameter<int?> { TypedValue = status, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        update.Parameters.AddWithValue(latency);
        update.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = error, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        update.Parameters.AddWithValue(next);
        update.Parameters.AddWithValue(now);
        batch.BatchCommands.Add(update);

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
            health.Parameters.AddWithValue($"Disabled after {options.Value.MaxConsecutiveFailures} consecutive failed deliveries; last: {error}");
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
