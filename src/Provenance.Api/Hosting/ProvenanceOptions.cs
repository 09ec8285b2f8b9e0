using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Provenance.Api.Hosting;

/// <summary>Settings under <c>Provenance</c> in appsettings.json or <c>Provenance__*</c> environment variables.</summary>
public sealed class ProvenanceOptions
{
    public const string Section = "Provenance";

    /// <summary>PostgreSQL connection string; <c>ConnectionStrings:Provenance</c> is read when this is empty.</summary>
    public string? ConnectionString { get; set; }

    [Required, RegularExpression("^[a-z_][a-z0-9_]*$", ErrorMessage = "Schema must be a lowercase PostgreSQL identifier.")]
    public string Schema { get; set; } = "provenance";

    /// <summary>Largest accepted document content, in bytes (default 25 MB).</summary>
    [Range(1, 2L * 1024 * 1024 * 1024)]
    public long MaxContentBytes { get; set; } = 25L * 1024 * 1024;

    /// <summary>The bootstrap admin key (environment: <c>PROVENANCE_ADMIN_KEY</c>).</summary>
    public string? AdminKey { get; set; }

    /// <summary>
    /// The system administrator's key (environment: <c>PROVENANCE_SYSTEM_KEY</c>), outside every archive: it creates, lists and disables
    /// archives (<c>/api/tenants</c>). Unset: no archive can be created.
    /// </summary>
    public string? SystemKey { get; set; }

    /// <summary>
    /// Names this process in the <c>Provenance-Instance</c> header of <c>/health/live</c> and <c>/health/ready</c>, so whoever started it
    /// can tell its answer from another process's on the same port (ops/run.sh sets a fresh one per run). Default: random per process.
    /// </summary>
    [Required, RegularExpression("^[A-Za-z0-9._-]{1,100}$", ErrorMessage = "InstanceId must be 1 to 100 letters, digits, '.', '_' or '-'.")]
    public string InstanceId { get; set; } = Guid.NewGuid().ToString("N");

    /// <summary>A seed manifest to load once at start-up (ops/run.sh sets it to seeds/manifest.json).</summary>
    public string? SeedManifest { get; set; }

    /// <summary>Run the async projection daemon in this process (Solo). Off on nodes that use Wolverine-managed distribution.</summary>
    public DaemonHosting Daemon { get; set; } = DaemonHosting.Solo;

    /// <summary>Distributed mode only: how nodes see each other and how soon a dead node's agents move (<c>Provenance:Cluster:*</c>).</summary>
    public ClusterOptions Cluster { get; set; } = new();

    /// <summary>How long an async projection may lag without progress before /health/ready reports it stalled.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ProjectionStallTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Under a steady stream of appends, the async daemon looks for new events at most once per this window, so each of its agents
    /// commits a page of the window's events in one transaction; an append after a quiet spell is seen at once (see
    /// <see cref="EventStore.BatchingWakeup"/>). Zero: every append wakes it. At most one second.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan DaemonBatchWindow { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Tamper evidence: checkpoint key and origin, checkpoint and fixity schedules (<c>Provenance:Ledger:*</c>).</summary>
    public Ledger.LedgerOptions Ledger { get; set; } = new();

    /// <summary>The PostgreSQL servers tenant databases may live on (<c>Provenance:Tenancy:Servers:&lt;name&gt;</c>).</summary>
    public Tenancy.TenancyOptions Tenancy { get; set; } = new();
}

/// <summary>
/// Wolverine's node bookkeeping when <see cref="DaemonHosting.Distributed"/>: every node writes a heartbeat each
/// <see cref="HeartbeatInterval"/>; the leader treats a node whose heartbeat is older than <see cref="StaleNodeTimeout"/> as dead
/// (after two consecutive observations) and assigns its projection and subscription agents to the live nodes. A node killed with
/// SIGKILL therefore stops projecting for roughly StaleNodeTimeout + 2 × HeartbeatInterval; a clean shutdown hands over at once.
/// </summary>
public sealed class ClusterOptions
{
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Keep it several heartbeats long: a live node that misses it (a long pause, a slow database) loses its agents.</summary>
    public TimeSpan StaleNodeTimeout { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<string> Problems()
    {
        if (HeartbeatInterval < TimeSpan.FromMilliseconds(200) || HeartbeatInterval > TimeSpan.FromMinutes(10))
        {
            yield return "Provenance:Cluster:HeartbeatInterval must be between 00:00:00.200 and 00:10:00.";
        }
        if (StaleNodeTimeout > TimeSpan.FromHours(1)) yield return "Provenance:Cluster:StaleNodeTimeout must not exceed 01:00:00.";
        if (StaleNodeTimeout < HeartbeatInterval * 3)
        {
            yield return "Provenance:Cluster:StaleNodeTimeout must be at least three HeartbeatIntervals, or live nodes are taken for dead.";
        }
    }
}

/// <summary>Start-up validation of <c>Provenance:Cluster</c>, each problem in its own message.</summary>
public sealed class ClusterOptionsValidation : IValidateOptions<ProvenanceOptions>
{
    public ValidateOptionsResult Validate(string? name, ProvenanceOptions options)
    {
        var problems = options.Cluster.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

public enum DaemonHosting
{
    /// <summary>One node: Marten's daemon runs every async projection here.</summary>
    Solo,
    /// <summary>Several nodes: Wolverine's leader assigns projection agents across nodes.</summary>
    Distributed,
}
