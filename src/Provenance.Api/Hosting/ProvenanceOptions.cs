using System.ComponentModel.DataAnnotations;

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

    /// <summary>A seed manifest to load once at start-up (ops/run.sh sets it to seeds/manifest.json).</summary>
    public string? SeedManifest { get; set; }

    /// <summary>How long a pending idempotent request keeps its key before another attempt may take it over.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan IdempotencyPendingTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Run the async projection daemon in this process (Solo). Off on nodes that use Wolverine-managed distribution.</summary>
    public DaemonHosting Daemon { get; set; } = DaemonHosting.Solo;

    /// <summary>How long an async projection may lag without progress before /health/ready reports it stalled.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ProjectionStallTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Tamper evidence: checkpoint key and origin, checkpoint and fixity schedules (<c>Provenance:Ledger:*</c>).</summary>
    public Ledger.LedgerOptions Ledger { get; set; } = new();
}

public enum DaemonHosting
{
    /// <summary>One node: Marten's daemon runs every async projection here.</summary>
    Solo,
    /// <summary>Several nodes: Wolverine's leader assigns projection agents across nodes.</summary>
    Distributed,
}
