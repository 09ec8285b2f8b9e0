using JasperFx.Events.Projections;
using Marten;
using Provenance.Api.Access;
using Provenance.Api.Audit;
using Provenance.Api.Documents;
using Provenance.Api.Feed;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Provenance.Api.Ledger;
using Provenance.Api.Seeds;

namespace Provenance.Api.EventStore;

/// <summary>
/// Everything the event store holds, listed in one place: every event type, every projection with its lifecycle, every subscription
/// the daemon runs, and every table beside Marten's own. Each area builds its objects (a projection that needs the schema, a table's
/// columns); what is registered, and how, is decided here. The store's general settings (schema, serialization, append mode,
/// daemon polling) stay in <see cref="ProvenanceSetup"/>.
/// </summary>
public static class EventStoreSetup
{
    /// <param name="withLedger">False leaves out the Merkle subscription and the ledger's tables (bench/ measures appends without them).</param>
    public static StoreOptions ConfigureEventStore(this StoreOptions opts, IServiceProvider sp, ProvenanceOptions settings, bool withLedger)
    {
        var schema = settings.Schema;

        // Event types: the documents' facts. FixityChecked is recorded on the document's stream by the fixity checks, ledger or not.
        opts.Events.AddEventType<DocumentIngested>();
        opts.Events.AddEventType<DocumentEdited>();
        opts.Events.AddEventType<DocumentTranslated>();
        opts.Events.AddEventType<DocumentVerified>();
        opts.Events.AddEventType<DocumentRedacted>();
        opts.Events.AddEventType<DocumentWithdrawn>();
        opts.Events.AddEventType<DocumentReinstated>();
        opts.Events.AddEventType<DocumentHeld>();
        opts.Events.AddEventType<DocumentHoldReleased>();
        opts.Events.AddEventType<FixityChecked>();

        // Projections. Inline: the document view, committed with its event (handlers load it to decide). Async: search is eventually
        // consistent, like the audit log: indexing a text costs PostgreSQL more than the edit that records it.
        opts.Projections.Add<DocumentViewProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add(new SearchIndexProjection(schema), ProjectionLifecycle.Async);
        opts.Projections.Add<AuditLogProjection>(ProjectionLifecycle.Async);

        // Subscriptions: the Merkle ledger (leaves, nodes, tiles in the daemon's transaction) and the webhook fan-out (deliveries).
        if (withLedger) opts.Events.Subscribe(new MerkleSubscription(sp.GetRequiredService<LedgerDatabase>(), sp.GetRequiredService<Tenancy.Archives>(), settings.Ledger.PageSize));
        opts.Events.Subscribe(new WebhookFanOut(schema, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<WebhookSignal>()),
            s => s.Options.BatchSize = 500);

        // Documents and their indexes. The audit log pages by id (the global sequence, the primary key); its filters each have a column.
        opts.Schema.For<DocumentView>().Duplicate(d => d.CreatedAt).Duplicate(d => d.Language);
        opts.Schema.For<ApiKey>().UniqueIndex(k => k.KeyHash);
        // The archive registry; only the default archive's database holds rows (ArchiveDirectory).
        opts.Schema.For<Tenancy.ArchiveRecord>().Identity(r => r.Id);
        opts.Schema.For<SeededCorpus>().Identity(c => c.Id);
        opts.Schema.For<AuditEntry>()
            .Duplicate(a => a.Actor)
            .Duplicate(a => a.DocumentId)
            .Duplicate(a => a.Type)
            .Duplicate(a => a.Timestamp);

        // Tables beside Marten's: content blobs, idempotent responses, content redactions, the ledger's, the search index, webhooks'.
        opts.Storage.ExtendedSchemaObjects.Add(ContentStore.SchemaObject(schema));
        opts.Storage.ExtendedSchemaObjects.Add(IdempotentResponses.SchemaObject(schema));
        opts.Storage.ExtendedSchemaObjects.Add(ContentRedactions.SchemaObject(schema));
        if (withLedger)
        {
            foreach (var table in LedgerTables.SchemaObjects(schema).Concat(DocumentMapStore.SchemaObjects(schema))) opts.Storage.ExtendedSchemaObjects.Add(table);
        }
        opts.Storage.ExtendedSchemaObjects.Add(SearchIndex.SchemaObject(schema));
        foreach (var table in WebhookTables.All(schema)) opts.Storage.ExtendedSchemaObjects.Add(table);
        return opts;
    }
}
