using Marten;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Weasel.Postgresql.Connections;
using Wolverine.Http.Runtime.MultiTenancy;

namespace Provenance.Api.Tenancy;

/// <summary>
/// The sessions Marten and Wolverine open from the container (<c>IQuerySession</c>/<c>IDocumentSession</c> parameters of web pages,
/// message handlers without a tenant): lightweight, in the current archive (<see cref="CurrentArchive"/>: the request's, else
/// <see cref="Tenants.Default"/>). Under master-table tenancy Marten has no default tenant and a session without one throws. Wolverine's outbox takes <see cref="BuildOptions"/> and
/// overrides the tenant with the message's or request's own, so a detected tenant always wins.
/// </summary>
public sealed class DefaultTenantSessions(IDocumentStore store) : SessionFactoryBase(store)
{
    readonly IDocumentStore _store = store;

    public override Marten.Services.SessionOptions BuildOptions() => new() { Tracking = DocumentTracking.None, TenantId = CurrentArchive.Id };

    public override IQuerySession QuerySession() => _store.QuerySession(CurrentArchive.Id);
}

/// <summary>
/// Wolverine.Http's tenant of a request (<c>WolverineHttpOptions.TenantId.DetectWith</c>): the archive <see cref="ArchiveMiddleware"/>
/// chose for it (the key's, or the public log path's), so every session an endpoint opens is in that archive's database. Its text is
/// written into every generated endpoint.
/// </summary>
public sealed class ProvenanceTenantDetection : ITenantDetection, ISynchronousTenantDetection
{
    public ValueTask<string?> DetectTenant(HttpContext context) => ValueTask.FromResult(DetectTenantSynchronously(context));

    public string? DetectTenantSynchronously(HttpContext context) => CurrentArchive.Id;

    public override string ToString() => "Provenance tenant: the request's archive (its key's, or its public log path's)";
}

/// <summary>
/// Marten's pools, one per tenant database (<c>StoreOptions.DataSourceFactory</c>): built with our settings
/// (<see cref="Hosting.ProvenanceSetup.BuildDataSourceBuilder"/>), except the default tenant's, which is the API's one pool from the
/// container (raw-SQL readers, Wolverine's durability, the daemon's LISTEN share it, as before tenancy). That pool belongs to the
/// container: Marten must not dispose it.
/// </summary>
public sealed class TenantDataSources(NpgsqlDataSource defaultPool, string defaultConnectionString)
    : DefaultNpgsqlDataSourceFactory(Hosting.ProvenanceSetup.BuildDataSourceBuilder)
{
    public override NpgsqlDataSource Create(string connectionString)
        => connectionString == defaultConnectionString ? defaultPool : base.Create(connectionString);

    public override bool OwnsDataSource(NpgsqlDataSource dataSource) => !ReferenceEquals(dataSource, defaultPool) && base.OwnsDataSource(dataSource);
}
