using System.Security.Claims;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Provenance.Api.EventStore;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Feed;

/// <summary>
/// The decisions about a subscription, made once for the API and the integrator portal alike: creating one (target rules, types,
/// document), changing one (pause, resume, rotate with overlap, new target or types) and sending it a test event. A result with no
/// subscription and no errors means "not found or not yours", which callers answer with the same 404.
/// </summary>
public sealed class WebhookSubscriptions(Archives archives, StoredEvents events, IOptions<ProvenanceOptions> provenance, IOptions<WebhookOptions> options,
    IOptions<FeedOptions> feed, IDocumentStore store, WebhookTargets targets, WebhookSecrets secrets, WebhookSender sender, WebhookSignal signal,
    Identifiers ids, TimeProvider time, PublicBaseUrl baseUrl)
{
    /// <summary>The current archive's database (<see cref="CurrentArchive"/>).</summary>
    NpgsqlDataSource DataSource => archives.Current.DataSource;

    /// <summary>How many test attempts a subscription's log keeps (the newest).</summary>
    public const int MaxTestAttemptsKept = 20;

    private string Schema => provenance.Value.Schema;

    public Task<SubscriptionResource?> FindAsync(Guid id, SubscriptionViewer viewer, CancellationToken ct)
        => SubscriptionsEndpoint.FindAsync(DataSource, Schema, id, viewer, ct);

    public Task<List<SubscriptionResource>> ListAsync(SubscriptionViewer viewer, CancellationToken ct)
        => SubscriptionsEndpoint.QueryAsync(DataSource, Schema, null, viewer, ct);

    /// <summary>The new subscription with its secret (shown this once), or the field errors and nothing written.</summary>
    public async Task<(SubscriptionResource? Created, FieldErrors Errors)> CreateAsync(CreateSubscription command, ClaimsPrincipal user, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(command.Url)) errors.Add("url", "'url' is required.");
        else if (await targets.RefusalAsync(command.Url.Trim(), ct) is { } refusal) errors.Add("url", refusal);
        var types = SubscriptionsEndpoint.CheckTypes(command.Types, store, errors);
        if (command.Document is { } document)
        {
            await using var session = store.QuerySession(CurrentArchive.Id);
            if (await session.LoadAsync<DocumentView>(document, ct) is null) errors.Add("document", $"No document with id {document}.");
        }
        if (errors.Any) return (null, errors);

        var secret = WebhookSecrets.NewSecret();
        var id = ids.NewId();
        var now = time.GetUtcNow();
        // Deliveries start after the newest event committed now: a new subscription is not flooded with history (replay is explicit).
        await using var insert = DataSource.CreateCommand($"""
            insert into {Schema}.{WebhookTables.Subscriptions}
                (id, url, types, document_id, secret, status, consecutive_failures, start_seq, created_at, created_by, owner_key_id, updated_at)
            values ($1, $2, $3, $4, $5, 'active', 0, {events.MaxSequenceExpression}, $6, $7, $8, $6)
            """);
        insert.Parameters.AddWithValue(id);
        insert.Parameters.AddWithValue(command.Url!.Trim());
        insert.Parameters.AddWithValue(types.ToArray());
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)command.Document ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        insert.Parameters.AddWithValue(secrets.Protect(secret));
        insert.Parameters.AddWithValue(now);
        insert.Parameters.AddWithValue(user.Actor());
        var viewer = SubscriptionViewer.Of(user);
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)viewer.KeyId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        await insert.ExecuteNonQueryAsync(ct);
        return ((await FindAsync(id, viewer, ct))! with { Secret = secret }, errors);
    }

    /// <summary>
    /// The changed subscription (with the new secret after a rotation), the field errors, or neither when it is not the viewer's.
    /// A rotation keeps the replaced secret signing beside the new one for <see cref="WebhookOptions.RotationGracePeriod"/>; rotating
    /// again within it replaces the previous secret (only the two newest sign).
    /// </summary>
    public async Task<(SubscriptionResource? Updated, FieldErrors Errors)> UpdateAsync(Guid id, UpdateSubscription command, SubscriptionViewer viewer,
        CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (await FindAsync(id, viewer, ct) is null) return (null, errors);
        if (command.Status is not null and not SubscriptionStatus.Active and not SubscriptionStatus.Paused)
        {
            errors.Add("status", "'status' must be 'active' (resume) or 'paused'.");
        }
        if (command.Url is not null && await targets.RefusalAsync(command.Url.Trim(), ct) is { } refusal) errors.Add("url", refusal);
        var types = command.Types is null ? null : SubscriptionsEndpoint.CheckTypes(command.Types, store, errors);
        if (command.Status is null && command.RotateSecret is not true && command.Url is null && command.Types is null)
        {
            errors.Add("status", "Send at least one of 'status', 'rotateSecret', 'url' or 'types'.");
        }
        if (errors.Any) return (null, errors);

        var secret = command.RotateSecret is true ? WebhookSecrets.NewSecret() : null;
        var now = time.GetUtcNow();
        var grace = options.Value.RotationGracePeriod;
        await using var update = DataSource.CreateCommand($"""
            update {Schema}.{WebhookTables.Subscriptions} set
                status = coalesce($2, status),
                status_reason = case when $2 is null then status_reason else null end,
                consecutive_failures = case when $2 = 'active' then 0 else consecutive_failures end,
                previous_secret = case when $3::text is null then previous_secret when $9::timestamptz is null then null else secret end,
                previous_secret_expires_at = case when $3::text is null then previous_secret_expires_at else $9 end,
                secret = coalesce($3, secret), url = coalesce($4, url), types = coalesce($5, types), updated_at = $6
            where id = $1 and {SubscriptionViewer.Sees("owner_key_id", 7)}
            """);
        update.Parameters.AddWithValue(id);
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)command.Status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = secret is null ? DBNull.Value : secrets.Protect(secret), NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)command.Url?.Trim() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)types?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        update.Parameters.AddWithValue(now);
        viewer.Bind(update);
        update.Parameters.Add(new NpgsqlParameter
        {
            Value = grace > TimeSpan.Zero ? now + grace : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz,
        });
        if (await update.ExecuteNonQueryAsync(ct) == 0) return (null, errors);
        if (command.Status == SubscriptionStatus.Active) signal.Wake();

        var updated = (await FindAsync(id, viewer, ct))!;
        return (secret is null ? updated : updated with { Secret = secret }, errors);
    }

    /// <summary>
    /// Sends <see cref="SubscriptionTestEvent.Type"/> to the subscription's URL now, signed like a delivery (both secrets during a
    /// rotation's grace period), through the same connect-time target rules, whatever its status; records and returns the attempt.
    /// Null when the subscription is not the viewer's.
    /// </summary>
    public async Task<TestAttempt?> TestAsync(Guid id, SubscriptionViewer viewer, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var read = DataSource.CreateCommand($"""
            select url, secret, case when previous_secret_expires_at > $3 then previous_secret end
            from {Schema}.{WebhookTables.Subscriptions} where id = $4 and {SubscriptionViewer.Sees("owner_key_id", 1)}
            """);
        viewer.Bind(read);
        read.Parameters.AddWithValue(now);
        read.Parameters.AddWithValue(id);
        string url;
        List<string> signing;
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return null;
            url = reader.GetString(0);
            signing = reader.IsDBNull(2) ? [reader.GetString(1)] : [reader.GetString(1), reader.GetString(2)];
        }

        var eventId = ids.NewId();
        var webhookId = "msg_" + eventId.ToString("N");
        var body = SubscriptionTestEvent.Create(eventId, id, feed.Value.SourceOfCurrentArchive, now, baseUrl.WithoutRequest()).ToUtf8Json();
        var sent = await sender.SendAsync(url, signing, webhookId, body, ct);

        await using var batch = DataSource.CreateBatch();
        batch.BatchCommands.Add(AttemptLog.Insert(Schema, ids.NewId(), id, null, sent.Attempt,
            $"exists (select 1 from {Schema}.{WebhookTables.Subscriptions} where id = $3)"));
        batch.BatchCommands.Add(AttemptLog.Prune(Schema, id, null, MaxTestAttemptsKept));
        await batch.ExecuteNonQueryAsync(CancellationToken.None);
        return TestAttempt.From(webhookId, eventId, sent);
    }

    /// <summary>The test events sent to a subscription, oldest first (the newest <see cref="MaxTestAttemptsKept"/>).</summary>
    public Task<List<DeliveryAttempt>> TestAttemptsAsync(Guid id, CancellationToken ct)
        => AttemptLog.ReadAsync(DataSource, Schema, id, null, MaxTestAttemptsKept, ct);
}
