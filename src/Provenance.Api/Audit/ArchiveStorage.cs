using JasperFx.Events.Projections;
using Marten;
using Provenance.Api.Documents;

namespace Provenance.Api.Audit;

/// <summary>The projections and tables behind history, audit log and search (issue #4), registered in one call.</summary>
public static class ArchiveStorage
{
    public static void Configure(StoreOptions opts, string schema)
    {
        // Search is eventually consistent, like the audit log: indexing a text costs PostgreSQL more than the edit that records it.
        opts.Projections.Add(new SearchIndexProjection(schema), ProjectionLifecycle.Async);
        opts.Projections.Add<AuditLogProjection>(ProjectionLifecycle.Async);
        // The audit log pages by id (the global sequence, the primary key); its filters each have a column.
        opts.Schema.For<AuditEntry>()
            .Duplicate(a => a.Actor)
            .Duplicate(a => a.DocumentId)
            .Duplicate(a => a.Type)
            .Duplicate(a => a.Timestamp);
        opts.Storage.ExtendedSchemaObjects.Add(SearchIndex.SchemaObject(schema));
    }
}
