using Microsoft.Extensions.DependencyInjection;
using Shouldly;
using Wolverine.Persistence.Durability;
using Wolverine.Runtime;

namespace Provenance.Tests.Tenancy;

/// <summary>
/// Under master-table tenancy Wolverine keeps a main message store (on the master table's database) and one per tenant database. With
/// the master table in the default tenant's database and one schema, both are the same envelope tables: they must be one durability
/// agent, not two recovering the same envelopes (the plan's open risk 2). Wolverine names an agent by server, database and schema, and
/// runs one agent per name.
/// </summary>
public sealed class One_durability_agent_per_database(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task The_main_message_store_and_the_default_tenants_are_one_durability_agent()
    {
        var runtime = Host.Services.GetRequiredService<IWolverineRuntime>();
        var storage = runtime.Storage.ShouldBeOfType<MultiTenantedMessageStore>();
        var stores = storage.ActiveDatabases();
        stores.Count.ShouldBe(2, "the main store and the default tenant's");
        stores.Select(s => s.Uri).Distinct().ShouldHaveSingleItem().ShouldBe(storage.Main.Uri);
        (await storage.GetDatabaseAsync(Api.Tenancy.Tenants.Default)).ShouldBeSameAs(storage.Main, "the default tenant's envelopes are the main store's");

        runtime.Agents.AllRunningAgentUris().Where(u => u.Scheme == storage.Main.Uri.Scheme).ShouldHaveSingleItem().ShouldBe(storage.Main.Uri);
    }
}
