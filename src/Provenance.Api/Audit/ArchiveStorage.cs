using JasperFx.Events.Projections;
using Marten;
using Provenance.Api.Documents;

namespace Provenance.Api.Audit;

/// <summary>The projections and tables behind history, audit log and search (issue #4), registered in one call.</summary>
public static class ArchiveStorage
{
    public static void Configure(StoreOptions opts, string schema)
    {
        opts.Projections.Add<HistoryProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add(new SearchIndexProjection(schema), ProjectionLifecycle.Inline);
        opts.Projections.Add<AuditLogProjection>(ProjectionLifecycle.Async);

        // A history page is one range scan of (document_id, version).
        opts.Schema.For<HistoryEntry>()
            .Duplicate(h => h.DocumentId)
            .Duplicate(h => h.Version)
            .Duplicate(h => h.Type)
            .Index([h => h.DocumentId, h => h.Version], i => i.Name = "mt_doc_historyentry_idx_document_version");
        // The audit log pages by id (the global sequence, the primary key); its filters each have a column.
        opts.Schema.For<AuditEntry>()
            .Duplicate(a => a.Actor)
            .Duplicate(a => a.DocumentId)
            .Duplicate(a => a.Type)
            .Duplicate(a => a.Timestamp);
        opts.Storage.ExtendedSchemaObjects.Add(SearchIndex.SchemaObject(schema));
    }
}
