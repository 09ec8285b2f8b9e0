using Weasel.Core;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Provenance.Api.Feed;

/// <summary>
/// Webhook state lives in plain tables beside Marten's: subscriptions, one delivery row per (subscription, event), its attempts, and the
/// Data Protection key ring that encrypts the signing secrets. Created by Marten's schema management with everything else.
/// </summary>
public static class WebhookTables
{
    public const string Subscriptions = "webhook_subscriptions";
    public const string Deliveries = "webhook_deliveries";
    public const string ProtectionKeys = "webhook_protection_keys";
    public const string Attempts = "webhook_attempts";

    public static IEnumerable<ISchemaObject> All(string schema)
    {
        var subscriptions = new Table(new PostgresqlObjectName(schema, Subscriptions, SchemaUtils.IdentifierUsage.General));
        subscriptions.AddColumn<Guid>("id").AsPrimaryKey();
        subscriptions.AddColumn("url", "text").NotNull();
        subscriptions.AddColumn("types", "text[]").NotNull();
        subscriptions.AddColumn("document_id", "uuid");
        subscriptions.AddColumn("secret", "text").NotNull();
        subscriptions.AddColumn("status", "text").NotNull();
        subscriptions.AddColumn("status_reason", "text");
        subscriptions.AddColumn("consecutive_failures", "integer").NotNull().DefaultValueByExpression("0");
        subscriptions.AddColumn("start_seq", "bigint").NotNull();
        subscriptions.AddColumn("created_at", "timestamptz").NotNull();
        subscriptions.AddColumn("created_by", "text").NotNull();
        // The API key that owns it. Added to existing tables as null: a subscription from before owners were recorded is admins' only.
        subscriptions.AddColumn("owner_key_id", "uuid");
        subscriptions.AddColumn("updated_at", "timestamptz").NotNull();
        // After a rotation the replaced secret still signs (beside the new one) until it expires: receivers switch without a gap.
        subscriptions.AddColumn("previous_secret", "text");
        subscriptions.AddColumn("previous_secret_expires_at", "timestamptz");
        yield return subscriptions;

        var deliveries = new Table(new PostgresqlObjectName(schema, Deliveries, SchemaUtils.IdentifierUsage.General));
        deliveries.AddColumn<Guid>("id").AsPrimaryKey();
        deliveries.AddColumn<Guid>("subscription_id").NotNull();
        deliveries.AddColumn("event_seq", "bigint").NotNull();
        deliveries.AddColumn("event_id", "uuid").NotNull();
        deliveries.AddColumn("document_id", "uuid").NotNull();
        deliveries.AddColumn("event_type", "text").NotNull();
        deliveries.AddColumn("status", "text").NotNull();
        deliveries.AddColumn("attempts", "integer").NotNull().DefaultValueByExpression("0");
        deliveries.AddColumn("next_attempt_at", "timestamptz").NotNull();
        deliveries.AddColumn("leased_until", "timestamptz");
        deliveries.AddColumn("last_attempt_at", "timestamptz");
        deliveries.AddColumn("last_status_code", "integer");
        deliveries.AddColumn("last_latency_ms", "integer");
        deliveries.AddColumn("last_error", "text");
        deliveries.AddColumn("delivered_at", "timestamptz");
        deliveries.AddColumn("created_at", "timestamptz").NotNull();
        // Bumped by every retry and replay: an attempt in flight meanwhile is logged but does not settle the delivery asked for again.
        deliveries.AddColumn("generation", "integer").NotNull().DefaultValueByExpression("0");
        deliveries.Indexes.Add(new IndexDefinition($"ux_{Deliveries}_subscription_event") { Columns = ["subscription_id", "event_seq"], IsUnique = true });
        // The dispatcher's head-of-line scan: the oldest pending delivery per (subscription, document).
        deliveries.Indexes.Add(new IndexDefinition($"ix_{Deliveries}_pending")
        {
            Columns = ["subscription_id", "document_id", "event_seq"],
            Predicate = "status = 'pending'",
        });
        yield return deliveries;

        // The per-attempt log, written in the same transaction as the delivery's new state. A test event's attempts have no delivery.
        var attempts = new Table(new PostgresqlObjectName(schema, Attempts, SchemaUtils.IdentifierUsage.General));
        attempts.AddColumn<Guid>("id").AsPrimaryKey();
        attempts.AddColumn<Guid>("subscription_id").NotNull();
        attempts.AddColumn("delivery_id", "uuid");
        attempts.AddColumn("at", "timestamptz").NotNull();
        attempts.AddColumn("status_code", "integer");
        attempts.AddColumn("latency_ms", "integer").NotNull();
        attempts.AddColumn("response_headers", "jsonb").NotNull();
        attempts.AddColumn("response_body", "text");
        attempts.AddColumn("error", "text");
        attempts.Indexes.Add(new IndexDefinition($"ix_{Attempts}_delivery") { Columns = ["delivery_id", "at"] });
        attempts.Indexes.Add(new IndexDefinition($"ix_{Attempts}_subscription") { Columns = ["subscription_id", "at"] });
        yield return attempts;

        var keys = new Table(new PostgresqlObjectName(schema, ProtectionKeys, SchemaUtils.IdentifierUsage.General));
        keys.AddColumn("name", "text").AsPrimaryKey();
        keys.AddColumn("xml", "text").NotNull();
        yield return keys;
    }
}
