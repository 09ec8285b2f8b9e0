using System.Collections.Concurrent;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Storage;
using Marten.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Provenance.Api.Ledger;
using Provenance.Api.Tenancy;
using Shouldly;
using Weasel.Postgresql;

namespace Provenance.Tests.Tenancy;

/// <summary>
/// Pins what issue #20's per-tenant ledger (plan section 3) relies on in Marten 9.58: a subscription registered like
/// <see cref="MerkleSubscription"/> (one instance, <c>opts.Events.Subscribe</c>) is handed, for each page, operations whose
/// <c>Database</c> is the tenant's own database (identifier = tenant id under master-table tenancy). The session's <c>TenantId</c>
/// is pinned too, because it is <em>not</em> a reliable way to learn the tenant there.
/// </summary>
public sealed class Subscriptions_run_in_the_tenants_database(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task Inside_the_Merkle_subscription_the_database_is_the_tenants()
    {
        await using var database = await OwnDatabase.CreateAsync(Fixture, "provenance_subscription");
        var probe = new DatabaseProbe();
        await using var host = await database.StartAsync(services => services.ConfigureMarten(opts => opts.Events.Subscribe(probe)));
        var store = host.Services.GetRequiredService<IDocumentStore>();

        (await host.SendAsync(s => s.Post.Json(new { title = "Seen", language = "en", content = "Seen.\n" }).ToUrl("/api/documents"))).Status.ShouldBe(201);
        await host.WaitForLedgerAsync();

        probe.Pages.ShouldNotBeEmpty();
        var tenantDatabase = await store.Storage.FindOrCreateDatabase(Tenants.Default);
        foreach (var page in probe.Pages)
        {
            page.Database.ShouldBeSameAs(tenantDatabase);
            // Obsolete in favour of Id (server and database name), yet it is what master-table tenancy names each database by: its tenant.
#pragma warning disable CS0618
            page.Database.Identifier.ShouldBe(Tenants.Default);
#pragma warning restore CS0618
            page.Database.Id.Name.ShouldBe(database.Name);
            page.DatabaseName.ShouldBe(database.Name);
            page.TenantId.ShouldBe(PinnedSessionTenant);
        }
        // The ledger's subscription runs there too: its leaves are in the tenant's database.
        (await database.ScalarAsync<long>("select count(*) from {schema}.ledger_leaves"))
            .ShouldBe(await database.ScalarAsync<long>("select count(*) from {schema}.mt_events"));
        await host.StopAsync();
    }

    /// <summary>The daemon opens the page's session for the database, not for a tenant: it carries Marten's default tenant id.</summary>
    const string PinnedSessionTenant = "*DEFAULT*";

    sealed record Page(IMartenDatabase Database, string DatabaseName, string TenantId);

    sealed class DatabaseProbe : SubscriptionBase
    {
        public ConcurrentQueue<Page> Pages { get; } = new();

        public DatabaseProbe()
        {
            Name = "TenancyProbe";
        }

        public override Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller, IDocumentOperations operations,
            CancellationToken cancellationToken)
        {
            var name = new NpgsqlConnectionStringBuilder(((PostgresqlDatabase)operations.Database).DataSource.ConnectionString).Database!;
            Pages.Enqueue(new Page(operations.Database, name, operations.TenantId));
            return Task.FromResult<IChangeListener>(NullChangeListener.Instance);
        }
    }
}
