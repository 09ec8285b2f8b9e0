using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Wolverine.Http;
using Provenance.Api.Contract;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Feed;

/// <summary>One event's delivery to one subscription: its <c>webhook-id</c> stays the same across retries and replays.</summary>
public sealed record DeliveryResource(Guid Id, string WebhookId, Guid EventId, string Cursor, long Sequence, Guid DocumentId, string Type,
    string Status, int Attempts, int? LastStatusCode, int? LastLatencyMs, string? LastError, DateTimeOffset? LastAttemptAt,
    DateTimeOffset NextAttemptAt, DateTimeOffset? DeliveredAt, DateTimeOffset CreatedAt);

public sealed record DeliveryList(IReadOnlyList<DeliveryResource> Items);

/// <summary>One delivery with its attempt log, oldest attempt first (the newest <see cref="WebhookDispatcher.MaxAttemptsKept"/>).</summary>
/// <param name="AttemptCount">Attempts made so far (the list's <c>attempts</c> field); a node that stopped mid-attempt counts one it could not log.</param>
public sealed record DeliveryDetail(Guid Id, string WebhookId, Guid EventId, string Cursor, long Sequence, Guid DocumentId, string Type,
    string Status, int AttemptCount, DateTimeOffset NextAttemptAt, DateTimeOffset? DeliveredAt, DateTimeOffset CreatedAt,
    IReadOnlyList<DeliveryAttempt> Attempts)
{
    public static DeliveryDetail Of(DeliveryResource d, IReadOnlyList<DeliveryAttempt> attempts) => new(d.Id, d.WebhookId, d.EventId, d.Cursor,
        d.Sequence, d.DocumentId, d.Type, d.Status, d.Attempts, d.NextAttemptAt, d.DeliveredAt, d.CreatedAt, attempts);
}

public sealed record ReplayResult(int Replayed, string From, string Until);

public static class DeliveriesEndpoint
{
    public static readonly IReadOnlySet<string> Statuses = new HashSet<string>(StringComparer.Ordinal) { "pending", "succeeded", "failed" };

    /// <summary>The delivery log, newest event first: attempts, last status code, latency and error.</summary>
    [WolverineGet("/api/subscriptions/{id}/deliveries", OperationId = "listDeliveries"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("The delivery log of a subscription")]
    [ProducesResponseType<DeliveryList>(200, "application/json"), ProblemResponses(404, 422)]
    public static async Task<IResult> GetAll(Guid id, string? status, int? limit, HttpContext context, Archives archives,
        IOptions<ProvenanceOptions> options, ClaimsPrincipal user)
    {
        var db = archives.Current.DataSource;
        var errors = new FieldErrors();
        if (status is not null && !Statuses.Contains(status)) errors.Add("status", $"'status' must be one of: {string.Join(", ", Statuses)}.");
        if (limit is < 1 or > 500) errors.Add("limit", "'limit' must be between 1 and 500.");
        if (errors.Any) return Problems.Invalid(errors);
        var schema = options.Value.Schema;
        if (await SubscriptionsEndpoint.FindAsync(db, schema, id, SubscriptionViewer.Of(user), context.RequestAborted) is null)
        {
            return SubscriptionsEndpoint.NotFound(id);
        }
        return Results.Ok(new DeliveryList(await QueryAsync(db, schema, id, null, status, limit ?? 100, context.RequestAborted)));
    }

    /// <summary>One delivery and every attempt at it: time, status code, latency, kept response headers, the first 4 KB of the body, or the error.</summary>
    [WolverineGet("/api/subscriptions/{id}/deliveries/{deliveryId}", OperationId = "getDelivery"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("One delivery with every attempt at it")]
    [ProducesResponseType<DeliveryDetail>(200, "application/json"), ProblemResponses(404)]
    public static async Task<IResult> GetOne(Guid id, Guid deliveryId, HttpContext context, Archives archives, IOptions<ProvenanceOptions> options,
        ClaimsPrincipal user)
        => await FindAsync(archives.Current.DataSource, options.Value.Schema, id, deliveryId, SubscriptionViewer.Of(user), context.RequestAborted) is { } found
            ? Results.Ok(found)
            : DeliveryNotFound(id, deliveryId);

    /// <summary>The delivery with its attempts, or null when it does not exist or its subscription is not the viewer's.</summary>
    public static async Task<DeliveryDetail?> FindAsync(NpgsqlDataSource db, string schema, Guid subscription, Guid delivery, SubscriptionViewer viewer,
        CancellationToken ct)
    {
        if (await SubscriptionsEndpoint.FindAsync(db, schema, subscription, viewer, ct) is null) return null;
        if ((await QueryAsync(db, schema, subscription, delivery, null, 1, ct)).SingleOrDefault() is not { } found) return null;
        return DeliveryDetail.Of(found, await AttemptLog.ReadAsync(db, schema, subscription, delivery, WebhookDispatcher.MaxAttemptsKept, ct));
    }

    /// <summary>The newest deliveries of a subscription the viewer may see (null when it may not), optionally of one status.</summary>
    public static async Task<List<DeliveryResource>?> ListAsync(NpgsqlDataSource db, string schema, Guid subscription, string? status, int limit,
        SubscriptionViewer viewer, CancellationToken ct)
        => await SubscriptionsEndpoint.FindAsync(db, schema, subscription, viewer, ct) is null
            ? null
            : await QueryAsync(db, schema, subscription, null, status, limit, ct);

    private static IResult DeliveryNotFound(Guid id, Guid deliveryId) => Problems.Result(Problems.NotFound, $"No delivery {deliveryId} for webhook subscription {id}.");

    /// <summary>Send one delivery again now (also a failed one); later events of its document wait behind it while it is pending.</summary>
    [WolverinePost("/api/subscriptions/{id}/deliveries/{deliveryId}/retry", OperationId = "retryDelivery"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("Deliver one event again")]
    [ProducesResponseType<DeliveryResource>(202, "application/json"), ResponseHeaders(202, "Location"), ProblemResponses(404)]
    public static async Task<IResult> Retry(Guid id, Guid deliveryId, HttpContext context, Archives archives, IOptions<ProvenanceOptions> options,
        TimeProvider time, WebhookSignal signal, ClaimsPrincipal user)
    {
        var db = archives.Current.DataSource;
        var schema = options.Value.Schema;
        await using var update = db.CreateCommand($"""
            update {schema}.{WebhookTables.Deliveries} d set status = 'pending', next_attempt_at = $3, generation = d.generation + 1
            from {schema}.{WebhookTables.Subscriptions} s
            where d.id = $2 and d.subscription_id = $1 and s.id = d.subscription_id and {SubscriptionViewer.Sees("s.owner_key_id", 4)}
            """);
        update.Parameters.AddWithValue(id);
        update.Parameters.AddWithValue(deliveryId);
        update.Parameters.AddWithValue(time.GetUtcNow());
        SubscriptionViewer.Of(user).Bind(update);
        if (await update.ExecuteNonQueryAsync(context.RequestAborted) == 0) return DeliveryNotFound(id, deliveryId);
        signal.Wake();
        return Results.Accepted($"/api/subscriptions/{id}/deliveries",
            (await QueryAsync(db, schema, id, deliveryId, null, 1, context.RequestAborted)).Single());
    }

    /// <summary>
    /// Deliver every matching event after <c>from</c> (a feed cursor; all history when absent) again, up to the safe high-water mark;
    /// with <c>status=failed</c>, only the deliveries after <c>from</c> that failed (nothing else is sent again).
    /// </summary>
    [WolverinePost("/api/subscriptions/{id}/replay", OperationId = "replayDeliveries"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("Deliver every event after a cursor again, or only the failed deliveries")]
    [ProducesResponseType<ReplayResult>(202, "application/json"), ResponseHeaders(202, "Location"), ProblemResponses(404, 422)]
    public static async Task<IResult> Replay(Guid id, string? from, string? status, HttpContext context, Archives archives,
        IOptions<ProvenanceOptions> options, FeedReader feed, TimeProvider time, WebhookSignal signal, ClaimsPrincipal user)
    {
        var db = archives.Current.DataSource;
        long after = 0;
        var errors = new FieldErrors();
        if (!string.IsNullOrEmpty(from))
        {
            if (Cursors.Decode(from) is { } position) after = position;
            else errors.Add("from", "'from' is not a cursor this API issued.");
        }
        if (status is not null && status != "failed") errors.Add("status", "'status' must be 'failed' (redeliver only failed deliveries), or be left out.");
        if (errors.Any) return Problems.Invalid(errors);
        var ct = context.RequestAborted;
        var schema = options.Value.Schema;
        if (await SubscriptionsEndpoint.FindAsync(db, schema, id, SubscriptionViewer.Of(user), ct) is null) return SubscriptionsEndpoint.NotFound(id);

        var until = await feed.HighWaterMarkAsync(ct);
        var now = time.GetUtcNow();
        if (status == "failed")
        {
            var retried = await ReplayFailedAsync(db, schema, id, after, now, ct);
            signal.Wake();
            return Results.Accepted($"/api/subscriptions/{id}/deliveries", new ReplayResult(retried, Cursors.Encode(after), Cursors.Encode(Math.Max(after, until))));
        }
        // Types are stored as CloudEvents types; the store keeps Marten aliases, so compare through the same mapping the feed uses.
        // A replay is one set-based statement joining mt_events (no event passes through the API), so it stays raw SQL beside the
        // delivery claim (WebhookDispatcher), not a StoredEvents read followed by inserts.
        await using var insert = db.CreateCommand($"""
            insert into {schema}.{WebhookTables.Deliveries}
                (id, subscription_id, event_seq, event_id, document_id, event_type, status, attempts, next_attempt_at, created_at)
            select gen_random_uuid(), s.id, e.seq_id, e.id, e.stream_id,
                   'org.provenance.' || regexp_replace(e.type, '_', '.') || '.v1', 'pending', 0, $4, $4
            from {schema}.mt_events e
            join {schema}.{WebhookTables.Subscriptions} s on s.id = $1
            where e.seq_id > $2 and e.seq_id <= $3 and e.type <> 'tombstone' and e.type not like 'mt\_%'
              and (cardinality(s.types) = 0 or ('org.provenance.' || regexp_replace(e.type, '_', '.') || '.v1') = any(s.types))
              and (s.document_id is null or s.document_id = e.stream_id)
            on conflict (subscription_id, event_seq) do update set status = 'pending', next_attempt_at = excluded.next_attempt_at,
                generation = {schema}.{WebhookTables.Deliveries}.generation + 1
            """);
        insert.Parameters.AddWithValue(id);
        insert.Parameters.AddWithValue(after);
        insert.Parameters.AddWithValue(until);
        insert.Parameters.AddWithValue(now);
        var replayed = await insert.ExecuteNonQueryAsync(ct);
        signal.Wake();
        return Results.Accepted($"/api/subscriptions/{id}/deliveries", new ReplayResult(replayed, Cursors.Encode(after), Cursors.Encode(Math.Max(after, until))));
    }

    /// <summary>Failed deliveries after <paramref name="after"/> become pending again, due now; they keep their <c>webhook-id</c> and log.</summary>
    public static async Task<int> ReplayFailedAsync(NpgsqlDataSource db, string schema, Guid subscription, long after, DateTimeOffset now, CancellationToken ct)
    {
        await using var update = db.CreateCommand($"""
            update {schema}.{WebhookTables.Deliveries} set status = 'pending', next_attempt_at = $3, generation = generation + 1
            where subscription_id = $1 and status = 'failed' and event_seq > $2
            """);
        update.Parameters.AddWithValue(subscription);
        update.Parameters.AddWithValue(after);
        update.Parameters.AddWithValue(now);
        return await update.ExecuteNonQueryAsync(ct);
    }

    private static async Task<List<DeliveryResource>> QueryAsync(NpgsqlDataSource db, string schema, Guid subscription, Guid? delivery,
        string? status, int limit, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"""
            select id, event_id, event_seq, document_id, event_type, status, attempts, last_status_code, last_latency_ms, last_error,
                   last_attempt_at, next_attempt_at, delivered_at, created_at
            from {schema}.{WebhookTables.Deliveries}
            where subscription_id = $1 and ($2::uuid is null or id = $2) and ($3::text is null or status = $3)
            order by event_seq desc limit $4
            """);
        command.Parameters.AddWithValue(subscription);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)delivery ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.AddWithValue(limit);
        var list = new List<DeliveryResource>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetGuid(0);
            var sequence = reader.GetInt64(2);
            list.Add(new DeliveryResource(id, WebhookDispatcher.WebhookId(id), reader.GetGuid(1), Cursors.Encode(sequence), sequence,
                reader.GetGuid(3), reader.GetString(4), reader.GetString(5), reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetInt32(7), reader.IsDBNull(8) ? null : reader.GetInt32(8),
                reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                reader.GetFieldValue<DateTimeOffset>(11), reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
                reader.GetFieldValue<DateTimeOffset>(13)));
        }
        return list;
    }
}
