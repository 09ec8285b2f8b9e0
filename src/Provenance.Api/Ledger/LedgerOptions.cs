namespace Provenance.Api.Ledger;

/// <summary>Settings under <c>Provenance:Ledger</c>: the checkpoint signing key, its origin, and how often to checkpoint and check fixity.</summary>
public sealed class LedgerOptions
{
    /// <summary>The log's identity in checkpoints and the signing key's name.</summary>
    public string Origin { get; set; } = "provenance.local/ledger";

    /// <summary>A signer key <c>PRIVATE+KEY+&lt;origin&gt;+&lt;id&gt;+&lt;base64&gt;</c>; production should set this or <see cref="SignerKeyFile"/>.</summary>
    public string? SignerKey { get; set; }

    /// <summary>A file holding the signer key. With neither set, a key is generated once and kept in the database.</summary>
    public string? SignerKeyFile { get; set; }

    /// <summary>Sign a checkpoint once this many new leaves have accumulated.</summary>
    public long CheckpointEveryEvents { get; set; } = 1000;

    /// <summary>Sign a checkpoint when the tree has grown and the last one is older than this.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the checkpoint writer looks at the tree size.</summary>
    public TimeSpan CheckpointPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often every stored content blob is re-hashed; zero turns the schedule off.</summary>
    public TimeSpan FixityInterval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Serve the entry bundles under <c>/log/tile/entries/</c> to anyone. They carry event metadata (titles, actors, reasons), so by
    /// default they need an API key of any role; the hash tiles and the checkpoint are always public.
    /// </summary>
    public bool PublicEntries { get; set; }

    /// <summary>Events read per page by verification and per daemon batch by the Merkle subscription.</summary>
    public int PageSize { get; set; } = 1000;

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Origin) || Origin.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '+'))
            yield return "Provenance:Ledger:Origin must be a non-empty note key name (no spaces or '+').";
        if (SignerKey is not null && SignerKeyFile is not null)
            yield return "Set Provenance:Ledger:SignerKey or Provenance:Ledger:SignerKeyFile, not both.";
        if (SignerKeyFile is not null && !File.Exists(SignerKeyFile))
            yield return $"Provenance:Ledger:SignerKeyFile '{SignerKeyFile}' does not exist.";
        if (CheckpointEveryEvents < 1) yield return "Provenance:Ledger:CheckpointEveryEvents must be at least 1.";
        if (CheckpointInterval <= TimeSpan.Zero || CheckpointPollInterval <= TimeSpan.Zero)
            yield return "Provenance:Ledger:CheckpointInterval and CheckpointPollInterval must be positive.";
        if (FixityInterval < TimeSpan.Zero) yield return "Provenance:Ledger:FixityInterval must not be negative.";
        if (PageSize is < 10 or > 100_000) yield return "Provenance:Ledger:PageSize must be between 10 and 100000.";
    }
}
