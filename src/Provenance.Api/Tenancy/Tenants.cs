using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Hosting;

namespace Provenance.Api.Tenancy;

/// <summary>
/// Issue #20: every archive is a tenant with a PostgreSQL database of its own, registered in Marten's master table
/// (<c>mt_tenant_databases</c>, in the default tenant's database and the API's schema). Step 1 has one tenant, <see cref="Default"/>:
/// the database of <c>Provenance:ConnectionString</c>, which is what a single-database installation already has, so it upgrades in
/// place (its events, ledger, checkpoints and daemon progress stay where they are; Marten never reads <c>mt_events.tenant_id</c>
/// under database-per-tenant, so the old rows' <c>*DEFAULT*</c> and new rows' <c>default</c> are alike to it and to the ledger).
/// </summary>
public static class Tenants
{
    /// <summary>The tenant of every session, request and command that names none (until keys carry their tenant, issue #20 step 2).</summary>
    public const string Default = "default";

    /// <summary>Tenant ids and server names: a DNS label (an origin <c>&lt;tenant&gt;.&lt;host&gt;/ledger</c>, a database name, a key prefix).</summary>
    public static readonly Regex Id = new("^[a-z][a-z0-9-]{0,30}$", RegexOptions.CultureInvariant);
}

/// <summary>
/// <c>Provenance:Tenancy</c>. <see cref="Servers"/>: the PostgreSQL servers a tenant database may be placed on, by name, each an
/// administrative connection string (CONTRACTS.md "Tenants"). Without a server named <c>default</c>, <c>default</c> is the server of
/// <c>Provenance:ConnectionString</c>.
/// </summary>
public sealed class TenancyOptions
{
    public Dictionary<string, string> Servers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Every server a tenant may be placed on: those configured, and <c>default</c> always.</summary>
    public IReadOnlyList<string> Names => Servers.Keys.Append(Tenants.Default).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>The connection string of the server named <paramref name="name"/>, or null if none is configured.</summary>
    public string? ServerConnectionString(string name, string? defaultConnectionString)
        => Servers.TryGetValue(name, out var connectionString) ? connectionString
            : name == Tenants.Default ? defaultConnectionString : null;

    public IEnumerable<string> Problems()
    {
        foreach (var (name, connectionString) in Servers)
        {
            if (!Tenants.Id.IsMatch(name))
            {
                yield return $"Provenance:Tenancy:Servers:{name}: a server name is a lowercase letter, then up to 30 lowercase letters, digits or '-'.";
            }
            else if (string.IsNullOrWhiteSpace(connectionString))
            {
                yield return $"Provenance:Tenancy:Servers:{name} is empty: give the server's PostgreSQL connection string.";
            }
            else if (!IsConnectionString(connectionString))
            {
                yield return $"Provenance:Tenancy:Servers:{name} is not a PostgreSQL connection string.";
            }
        }
    }

    static bool IsConnectionString(string value)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(value);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>Start-up validation of <c>Provenance:Tenancy</c>, each problem in its own message.</summary>
public sealed class TenancyOptionsValidation : IValidateOptions<ProvenanceOptions>
{
    public ValidateOptionsResult Validate(string? name, ProvenanceOptions options)
    {
        var problems = options.Tenancy.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
