using Provenance.Api.Hosting;
using Provenance.Api.Tenancy;
using Shouldly;

namespace Provenance.Tests.Tenancy;

/// <summary><c>Provenance:Tenancy:Servers:&lt;name&gt;</c> (CONTRACTS.md "Tenants"), checked at start-up.</summary>
public sealed class Configuring_tenancy_servers
{
    const string Configured = "Host=127.0.0.1;Port=5432;Username=postgres;Database=provenance";

    static ProvenanceOptions With(params (string Name, string ConnectionString)[] servers)
    {
        var options = new ProvenanceOptions { ConnectionString = Configured };
        foreach (var (name, connectionString) in servers) options.Tenancy.Servers[name] = connectionString;
        return options;
    }

    [Fact]
    public void Without_servers_the_default_server_is_the_configured_database()
    {
        var options = With();
        new TenancyOptionsValidation().Validate(null, options).Succeeded.ShouldBeTrue();
        options.Tenancy.ServerConnectionString(Tenants.Default, options.ConnectionString).ShouldBe(Configured);
        options.Tenancy.ServerConnectionString("second", options.ConnectionString).ShouldBeNull();
    }

    [Fact]
    public void Named_servers_are_used_as_configured()
    {
        var options = With(("default", "Host=one;Username=postgres"), ("second", "Host=two;Port=5434;Username=postgres"));
        new TenancyOptionsValidation().Validate(null, options).Succeeded.ShouldBeTrue();
        options.Tenancy.ServerConnectionString(Tenants.Default, options.ConnectionString).ShouldBe("Host=one;Username=postgres");
        options.Tenancy.ServerConnectionString("second", options.ConnectionString).ShouldBe("Host=two;Port=5434;Username=postgres");
    }

    [Fact]
    public void A_bad_server_name_or_connection_string_stops_the_start_saying_which()
    {
        var result = new TenancyOptionsValidation().Validate(null, With(("Second", "Host=two"), ("third", " "), ("fourth", "not a connection string")));
        result.Failed.ShouldBeTrue();
        result.Failures.ShouldNotBeNull().Count().ShouldBe(3);
        result.FailureMessage.ShouldContain("Provenance:Tenancy:Servers:Second: a server name is");
        result.FailureMessage.ShouldContain("Provenance:Tenancy:Servers:third is empty");
        result.FailureMessage.ShouldContain("Provenance:Tenancy:Servers:fourth is not a PostgreSQL connection string");
    }
}
