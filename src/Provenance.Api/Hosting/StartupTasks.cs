using Marten;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Seeds;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Hosting;

/// <summary>
/// Once the host has started: the schema of every tenant database, the default tenant's upgrade from before tenancy, the bootstrap admin
/// key, then the seed corpus if one is configured.
/// </summary>
public sealed class StartupTasks(IServiceProvider services, IOptions<ProvenanceOptions> options, IHostApplicationLifetime lifetime,
    Health.SeedProgress seeded, ILogger<StartupTasks> logger) : BackgroundService
{
    /// <summary>The admin key is in place before the server takes its first request.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IDocumentStore>();
        await ApplySchemaAsync(store, logger);
        await DefaultTenantUpgrade.RunAsync(store, logger, cancellationToken);
        await services.GetRequiredService<ArchiveDirectory>().RegisterDefaultAsync(cancellationToken);
        if (options.Value.AdminKey is { } adminKey)
        {
            await InstallAdminKeyAsync(store, adminKey, services.GetRequiredService<TimeProvider>(), cancellationToken);
        }
        await base.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Creates or updates every table. On a new database another part of the host that starts at the same time (Marten's daemon,
    /// Wolverine's agents) may create an event-store object first, and the migration then fails with 42P07/42710 "already exists", or
    /// 23505 on pg_type when both run the same CREATE TABLE IF NOT EXISTS (seen with the tenant master table, which Marten's daemon
    /// creates when it first lists the tenant databases); applying again finds it in place, so a first start never fails on that race.
    /// </summary>
    public static Task ApplySchemaAsync(IDocumentStore store, ILogger logger)
        => ApplySchemaAsync(() => store.Storage.ApplyAllConfiguredChangesToDatabaseAsync(), logger, CancellationToken.None);

    /// <summary>
    /// <paramref name="apply"/> (a migration of every table, of the store or of one database), again after the first-start race described
    /// at <see cref="ApplySchemaAsync(IDocumentStore, ILogger)"/>: a new archive's database meets the same race with the daemon.
    /// </summary>
    public static async Task ApplySchemaAsync(Func<Task> apply, ILogger logger, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await apply();
                return;
            }
            catch (Marten.Exceptions.MartenSchemaException e) when (attempt < 5 && e.InnerException is Npgsql.PostgresException
                { SqlState: Npgsql.PostgresErrorCodes.DuplicateTable or Npgsql.PostgresErrorCodes.DuplicateObject or Npgsql.PostgresErrorCodes.UniqueViolation })
            {
                logger.LogWarning("Schema migration raced another start-up migration ({Message}); applying again", e.InnerException.Message);
                await Task.Delay(200 * attempt, ct);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var scope = services.CreateAsyncScope();
        // Empty means none, so a replica can switch off the seeding it would inherit (docker-compose.yml's api-2).
        if (options.Value.SeedManifest is { } manifest && !string.IsNullOrWhiteSpace(manifest))
        {
            try
            {
                await scope.ServiceProvider.GetRequiredService<SeedLoader>().LoadAsync(manifest, stoppingToken);
                seeded.MarkLoaded();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogCritical(e, "Loading the seed corpus from {Manifest} failed", manifest);
                lifetime.StopApplication();
            }
        }
    }

    public static async Task InstallAdminKeyAsync(IDocumentStore store, string adminKey, TimeProvider time, CancellationToken ct)
    {
        await using var session = store.LightweightSession(Tenants.Default);
        var existing = await session.LoadAsync<ApiKey>(ApiKey.BootstrapId, ct);
        var hash = ApiKey.Hash(adminKey);
        if (existing is { RevokedAt: null } && existing.KeyHash == hash) return;
        session.Store(new ApiKey
        {
            Id = ApiKey.BootstrapId,
            Name = "admin",
            Roles = [Roles.Admin],
            KeyHash = hash,
            Prefix = ApiKey.PrefixOf(adminKey),
            CreatedAt = time.GetUtcNow(),
            CreatedBy = "PROVENANCE_ADMIN_KEY",
        });
        await session.SaveChangesAsync(ct);
    }
}
