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

    /// <summary>C2SP tlog-witnesses asked to cosign every checkpoint (<c>Provenance:Ledger:Witnesses:N:Url</c> and <c>:VerifierKey</c>).</summary>
    public List<WitnessOptions> Witnesses { get; set; } = [];

    /// <summary>How many of <see cref="Witnesses"/> must cosign before a checkpoint is published as witnessed; default all.</summary>
    public int? WitnessQuorum { get; set; }

    /// <summary>Readiness reports Degraded while the newest checkpoint has gone without its quorum for longer than this.</summary>
    public TimeSpan WitnessQuorumTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the witnessing and time-stamping loop looks for checkpoints still to submit.</summary>
    public TimeSpan WitnessPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The first wait after a witness or time-stamp authority failed (doubles per failure, up to 64×).</summary>
    public TimeSpan WitnessRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Per-request timeout for witnesses and time-stamp authorities.</summary>
    public TimeSpan WitnessTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>RFC 3161 time-stamp authorities that date every checkpoint (<c>Provenance:Ledger:TimestampAuthorities:N:Url</c>, <c>:TrustAnchorFile</c>).</summary>
    public List<TimestampAuthorityOptions> TimestampAuthorities { get; set; } = [];

    /// <summary>The quorum in force: <see cref="WitnessQuorum"/>, or every configured witness.</summary>
    public int EffectiveWitnessQuorum => WitnessQuorum ?? Witnesses.Count;

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
        for (var i = 0; i < Witnesses.Count; i++)
        {
            var w = Witnesses[i];
            if (!Uri.TryCreate(w.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                yield return $"Provenance:Ledger:Witnesses:{i}:Url must be the witness's http(s) submission prefix.";
            if (!Provenance.Ledger.CosignatureVerifier.TryParse(w.VerifierKey ?? "", out _, out var error))
                yield return $"Provenance:Ledger:Witnesses:{i}:VerifierKey: {error}";
        }
        if (Witnesses.Select(w => w.VerifierKey).Distinct().Count() != Witnesses.Count) yield return "Provenance:Ledger:Witnesses lists a verifier key twice.";
        if (WitnessQuorum is { } q && (q < 0 || q > Witnesses.Count))
            yield return $"Provenance:Ledger:WitnessQuorum must be between 0 and the {Witnesses.Count} configured witnesses.";
        if (WitnessPollInterval <= TimeSpan.Zero || WitnessRetryInterval <= TimeSpan.Zero || WitnessTimeout <= TimeSpan.Zero || WitnessQuorumTimeout <= TimeSpan.Zero)
            yield return "Provenance:Ledger:WitnessPollInterval, WitnessRetryInterval, WitnessTimeout and WitnessQuorumTimeout must be positive.";
        for (var i = 0; i < TimestampAuthorities.Count; i++)
        {
            var a = TimestampAuthorities[i];
            if (!Uri.TryCreate(a.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                yield return $"Provenance:Ledger:TimestampAuthorities:{i}:Url must be an http(s) URL.";
            if (a.TrustAnchorFile is null || !File.Exists(a.TrustAnchorFile))
                yield return $"Provenance:Ledger:TimestampAuthorities:{i}:TrustAnchorFile must name a PEM file of the authority's trust anchor.";
            else
            {
                string? problem = null;
                try
                {
                    Provenance.Ledger.RfcTimestamp.ReadCertificates(File.ReadAllText(a.TrustAnchorFile));
                }
                catch (Exception e) when (e is FormatException or IOException or Org.BouncyCastle.Security.Certificates.CertificateException)
                {
                    problem = e.Message;
                }
                if (problem is not null) yield return $"Provenance:Ledger:TimestampAuthorities:{i}:TrustAnchorFile: {problem}";
            }
        }
    }
}

/// <summary>One witness: its submission prefix (<c>/add-checkpoint</c> is appended) and its cosignature verifier key (type 0x04).</summary>
public sealed class WitnessOptions
{
    public string Url { get; set; } = "";

    public string? VerifierKey { get; set; }
}

/// <summary>One RFC 3161 time-stamp authority: where to POST requests and the PEM certificate(s) its certificate must chain to.</summary>
public sealed class TimestampAuthorityOptions
{
    public string Url { get; set; } = "";

    public string? TrustAnchorFile { get; set; }
}
