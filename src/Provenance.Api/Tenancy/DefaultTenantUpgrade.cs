using Marten;
using Npgsql;
using Weasel.Postgresql;

namespace Provenance.Api.Tenancy;

/// <summary>
/// The one data change that turns a database from before tenancy into the <see cref="Tenants.Default"/> tenant's: its streams
/// belong to Marten's <c>*DEFAULT*</c> tenant, and Marten's append function refuses an event for a stream of another tenant
/// ("The tenantid does not match the existing stream", P0001), so every edit of an old document would fail. Idempotent, run at
/// every start (after the schema); a few rows per document, once. Old rows of <c>mt_events</c> keep their <c>*DEFAULT*</c>: nothing
/// reads that column (Marten does not filter events by tenant in a database of one tenant, nor does the ledger's leaf encoding).
/// </summary>
public static class DefaultTenantUpgrade
{
    public static async Task<int> RunAsync(IDocumentStore store, ILogger logger, CancellationToken ct)
    {
        var database = (PostgresqlDatabase)await store.Storage.FindOrCreateDatabase(Tenants.Default);
        var schema = store.Options.Events.DatabaseSchemaName;
        await using var command = database.DataSource.CreateCommand(
            $"update {schema}.mt_streams set tenant_id = $1 where tenant_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = Tenants.Default });
        command.Parameters.Add(new NpgsqlParameter { Value = JasperFx.StorageConstants.DefaultTenantId });
        var moved = await command.ExecuteNonQueryAsync(ct);
        if (moved > 0) logger.LogInformation("Upgraded to tenancy: {Streams} stream(s) now belong to tenant '{Tenant}'", moved, Tenants.Default);
        return moved;
    }
}
