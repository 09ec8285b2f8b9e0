using System.Text.Json;
using Marten;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Hosting;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Health;

public static class HealthEndpoints
{
    public static IServiceCollection AddProvenanceHealthChecks(this IServiceCollection services)
    {
        services.AddSingleton<ProjectionProgressCheck>();
        services.AddSingleton<SeedProgress>();
        services.AddHealthChecks()
            .AddCheck<DatabaseCheck>("database", tags: ["ready"])
            .AddCheck<ProjectionProgressCheck>("projections", tags: ["ready"])
            .AddCheck<SeedCheck>("seed", tags: ["ready"]);
        return services;
    }

    /// <summary>
    /// <c>/health/live</c>: the process serves requests. <c>/health/ready</c>: it can also reach PostgreSQL, its projections advance, and the
    /// configured seed corpus is loaded (so ops/run.sh says "running" only once the sample documents are there).
    /// </summary>
    public static void MapProvenanceHealthChecks(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteJson });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteJson });
    }

    public const string InstanceHeader = "Provenance-Instance";

    private static Task WriteJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers[InstanceHeader] = context.RequestServices.GetRequiredService<IOptions<ProvenanceOptions>>().Value.InstanceId;
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), e.Value.Description }),
        }, cancellationToken: context.RequestAborted);
    }
}

public sealed class DatabaseCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await using var command = dataSource.CreateCommand("select 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy("PostgreSQL answers.");
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL is unreachable: {e.Message}");
        }
    }
}

/// <summary>
/// An async projection is stalled when it is behind the event store's high-water mark and has not moved for
/// <see cref="ProvenanceOptions.ProjectionStallTimeout"/>. Behind but moving is healthy: that is catching up. Every archive's database
/// has its own daemon progress; a stall in any of them is named with its archive.
/// </summary>
public sealed class ProjectionProgressCheck(IDocumentStore store, Archives archives, TimeProvider time, IOptions<ProvenanceOptions> options)
    : IHealthCheck
{
    private readonly Dictionary<(string Archive, string Shard), (long Sequence, DateTimeOffset Since)> _seen = [];
    private readonly Lock _lock = new();

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
    {
        try
        {
            var now = time.GetUtcNow();
            var stalled = new List<string>();
            var summary = new List<string>();
            foreach (var archive in await archives.AllAsync(ct))
            {
                var shards = await store.Advanced.AllProjectionProgress(archive.Id, ct);
                var highWater = shards.FirstOrDefault(s => s.ShardName == "HighWaterMark")?.Sequence ?? 0;
                var prefix = archive.Id == Tenants.Default ? "" : $"{archive.Id}: ";
                var mark = prefix.Length == 0 ? "High-water mark" : $"{prefix}high-water mark";
                summary.Add($"{mark} {highWater}; {Math.Max(0, shards.Count - 1)} async shard(s) advancing");
                lock (_lock)
                {
                    foreach (var shard in shards.Where(s => s.ShardName != "HighWaterMark"))
                    {
                        var key = (archive.Id, shard.ShardName);
                        if (!_seen.TryGetValue(key, out var last) || last.Sequence != shard.Sequence)
                        {
                            _seen[key] = (shard.Sequence, now);
                        }
                        else if (shard.Sequence < highWater && now - last.Since > options.Value.ProjectionStallTimeout)
                        {
                            stalled.Add($"{prefix}{shard.ShardName} at {shard.Sequence} of {highWater}");
                        }
                    }
                }
            }
            return stalled.Count == 0
                ? HealthCheckResult.Healthy(string.Join("; ", summary) + ".")
                : HealthCheckResult.Unhealthy($"Stalled: {string.Join(", ", stalled)}.");
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"Projection progress is unreadable: {e.Message}");
        }
    }
}

/// <summary>Whether the configured seed corpus (<c>Provenance:SeedManifest</c>) is loaded yet; nothing to wait for without one.</summary>
public sealed class SeedProgress(IOptions<ProvenanceOptions> options)
{
    volatile bool _loaded = string.IsNullOrWhiteSpace(options.Value.SeedManifest);

    public bool Loaded => _loaded;

    public void MarkLoaded() => _loaded = true;
}

/// <summary>Unhealthy (503) while the seed corpus is still loading: a client told "ready" finds the sample documents.</summary>
public sealed class SeedCheck(SeedProgress progress) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(progress.Loaded ? HealthCheckResult.Healthy("The seed corpus is loaded (or none is configured).")
            : HealthCheckResult.Unhealthy("The seed corpus is still loading."));
}
