using Marten;
using Marten.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Hosting;

namespace Provenance.Api.Tenancy;

/// <summary>
/// Provisions, lists and disables archives. Creating one: <c>CREATE DATABASE</c> on the named server (the claim on the id: a second
/// creation of the same id, on any node, fails there), its row in Marten's master table, every table of the schema in it, its first admin
/// key, then its registry record. Wolverine's agents (projections, the ledger's subscription, the webhook fan-out) find the new database
/// when they next list the tenant databases, with no restart.
/// </summary>
public sealed class ArchiveDirectory(IDocumentStore store, Archives archives, IOptions<ProvenanceOptions> options, TimeProvider time,
    Identifiers ids, ILogger<ArchiveDirectory> logger)
{
    public TenancyOptions Tenancy => options.Value.Tenancy;

    public async Task<(TenantResource? Created, string? Conflict)> CreateAsync(CreateTenant command, string actor, CancellationToken ct)
    {
        var id = command.Id!;
        await using (var query = store.QuerySession(Tenants.Default))
        {
            if (await query.LoadAsync<ArchiveRecord>(id, ct) is not null) return (null, $"An archive '{id}' exists already.");
        }
        var settings = options.Value;
        var server = Tenancy.ServerConnectionString(command.Server!, settings.ConnectionString)!;
        var database = DatabaseNameFor(id);
        if (database.Length > 63) return (null, $"The archive's database name '{database}' would be longer than PostgreSQL's 63 characters; choose a shorter id.");

        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync(ct);
            try
            {
                // An identifier cannot be a parameter; the name is ours (a database name and a checked tenant id), quoted all the same.
                await using var create = new NpgsqlCommand($"create database \"{database}\"", connection);
                await create.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                return (null, $"Database '{database}' already exists on server '{command.Server}': another creation of '{id}' is under way, or an "
                    + "earlier one was not finished; drop that database or choose another id.");
            }
        }

        var tenantConnection = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        var tenancy = (MasterTableTenancy)store.Options.Tenancy;
        await tenancy.AddTenantAsync(id, tenantConnection);
        var tenant = await store.Options.Tenancy.GetTenantAsync(id);
        await StartupTasks.ApplySchemaAsync(() => tenant.Database.ApplyAllConfiguredChangesToDatabaseAsync(ct: ct), logger, ct);

        var secret = ApiKey.NewSecret(id);
        var now = time.GetUtcNow();
        await using (var session = store.LightweightSession(id))
        {
            session.Store(new ApiKey
            {
                Id = ids.NewId(), Name = "admin", Roles = [Roles.Admin], KeyHash = ApiKey.Hash(secret), Prefix = ApiKey.PrefixOf(secret),
                CreatedAt = now, CreatedBy = actor,
            });
            await session.SaveChangesAsync(ct);
        }
        var record = new ArchiveRecord
        {
            Id = id, DisplayName = command.DisplayName!.Trim(), Server = command.Server!, Database = database, CreatedAt = now, CreatedBy = actor,
        };
        await using (var session = store.LightweightSession(Tenants.Default))
        {
            session.Insert(record);
            await session.SaveChangesAsync(ct);
        }
        archives.Forget(id);
        logger.LogInformation("Created archive '{Archive}' in database {Database} on server '{Server}'", id, database, command.Server);
        return (TenantResource.Of(record, archives) with { AdminKey = secret }, null);
    }

    public async Task<IReadOnlyList<TenantResource>> ListAsync(CancellationToken ct)
    {
        await using var session = store.QuerySession(Tenants.Default);
        var records = await session.Query<ArchiveRecord>().ToListAsync(ct);
        return records.OrderBy(r => r.Id != Tenants.Default).ThenBy(r => r.Id, StringComparer.Ordinal).Select(r => TenantResource.Of(r, archives)).ToList();
    }

    public async Task<TenantResource?> FindAsync(string id, CancellationToken ct)
    {
        if (!Tenants.Id.IsMatch(id)) return null;
        await using var session = store.QuerySession(Tenants.Default);
        return await session.LoadAsync<ArchiveRecord>(id, ct) is { } record ? TenantResource.Of(record, archives) : null;
    }

    public async Task<TenantResource?> DisableAsync(string id, string actor, CancellationToken ct)
    {
        if (!Tenants.Id.IsMatch(id)) return null;
        await using var session = store.LightweightSession(Tenants.Default);
        if (await session.LoadAsync<ArchiveRecord>(id, ct) is not { } record) return null;
        if (record.DisabledAt is null)
        {
            record.DisabledAt = time.GetUtcNow();
            record.DisabledBy = actor;
            session.Store(record);
            await session.SaveChangesAsync(ct);
            archives.Forget(id);
            await ((MasterTableTenancy)store.Options.Tenancy).DisableTenantAsync(id);
            logger.LogInformation("Disabled archive '{Archive}'", id);
        }
        return TenantResource.Of(record, archives);
    }

    /// <summary>
    /// The record of the installation's own archive, written once (on first start after the upgrade), so that it is listed like the others.
    /// </summary>
    public async Task RegisterDefaultAsync(CancellationToken ct)
    {
        await using var session = store.LightweightSession(Tenants.Default);
        if (await session.LoadAsync<ArchiveRecord>(Tenants.Default, ct) is not null) return;
        var database = new NpgsqlConnectionStringBuilder(options.Value.ConnectionString).Database ?? "";
        session.Store(new ArchiveRecord
        {
            Id = Tenants.Default, DisplayName = "Default archive", Server = Tenants.Default, Database = database, CreatedAt = time.GetUtcNow(),
            CreatedBy = "installation",
        });
        await session.SaveChangesAsync(ct);
    }

    /// <summary>
    /// An archive's database on its server: the default archive's database name, two underscores, the id (its '-' as '_'). Ids use no
    /// '_', so no two ids share a name; the double underscore keeps them apart from the names people give databases.
    /// </summary>
    public string DatabaseNameFor(string id)
        => $"{new NpgsqlConnectionStringBuilder(options.Value.ConnectionString).Database ?? "provenance"}__{id.Replace('-', '_')}";
}
