using System.Globalization;
using System.Text;

namespace Provenance.Ledger;

/// <summary>
/// A c2sp.org/tlog-proof@v1 offline proof: the entry's index, its RFC 6962 audit path and the signed checkpoint it leads to.
/// <paramref name="Extra"/> carries the entry itself (its <see cref="LeafEncoding"/> bytes), so the proof file and the log's key
/// are all a verifier needs; the spec leaves extra data unauthenticated, and it is: only its leaf hash is trusted, once proven.
/// </summary>
public sealed record TlogProof(long Index, IReadOnlyList<byte[]> AuditPath, string Checkpoint, byte[]? Extra)
{
    public const string Header = "c2sp.org/tlog-proof@v1";

    /// <summary>Proofs are refused beyond this size: 64 path lines and a checkpoint with its cosignatures fit easily.</summary>
    public const int MaxBytes = 256 * 1024;

    public string Format()
    {
        var text = new StringBuilder(Header).Append('\n');
        if (Extra is not null) text.Append("extra ").Append(Convert.ToBase64String(Extra)).Append('\n');
        text.Append("index ").Append(Index.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var hash in AuditPath) text.Append(Convert.ToBase64String(hash)).Append('\n');
        return text.Append('\n').Append(Checkpoint).ToString();
    }

    public override string ToString() => Format();

    /// <summary>Parses the text format; throws <see cref="FormatException"/> naming the first thing that is wrong.</summary>
    public static TlogProof Parse(string text)
    {
        if (text.Length > MaxBytes) throw new FormatException($"A tlog-proof is at most {MaxBytes} bytes.");
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0) throw new FormatException("Malformed tlog-proof: no empty line before the checkpoint.");
        var lines = text[..split].Split('\n');
        var checkpoint = text[(split + 2)..];
        if (lines[0] != Header) throw new FormatException($"Not a tlog-proof: the first line is not \"{Header}\".");

        var at = 1;
        byte[]? extra = null;
        if (at < lines.Length && lines[at].StartsWith("extra ", StringComparison.Ordinal))
        {
            if (!NoteText.TryDecodeBase64(lines[at]["extra ".Length..], out var decoded)) throw new FormatException("Malformed tlog-proof: the extra data is not base64.");
            extra = decoded;
            at++;
        }
        if (at >= lines.Length || !lines[at].StartsWith("index ", StringComparison.Ordinal)) throw new FormatException("Malformed tlog-proof: no index line.");
        var index = lines[at]["index ".Length..];
        if (index.Length is 0 or > 19 || !index.All(char.IsAsciiDigit) || (index.Length > 1 && index[0] == '0')
            || !long.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var leafIndex))
        {
            throw new FormatException("Malformed tlog-proof: the index is an ASCII decimal without leading zeroes.");
        }
        var path = new List<byte[]>();
        foreach (var line in lines[(at + 1)..])
        {
            if (!NoteText.TryDecodeBase64(line, out var hash) || hash.Length != MerkleHash.Size)
            {
                throw new FormatException($"Malformed tlog-proof: \"{line}\" is not a base64 SHA-256 hash.");
            }
            path.Add(hash);
        }
        if (path.Count > 63) throw new FormatException("Malformed tlog-proof: an audit path has at most 63 hashes.");
        return new TlogProof(leafIndex, path, checkpoint, extra);
    }

    /// <summary>
    /// The four steps of the spec with the log's key: the leaf hash from the extra data (an entry, or a 32-byte leaf hash),
    /// the checkpoint's signature and origin, then the inclusion of that leaf under the signed root.
    /// </summary>
    public TlogProofVerification Verify(NoteVerifier logKey, string? expectedOrigin = null)
    {
        if (Extra is null) return new(false, "The proof carries no entry (no extra line): nothing to prove.", null, null, null);
        // An encoded entry is never 32 bytes (its fixed fields alone take 85), so 32 bytes can only be the leaf hash itself.
        var leafHash = Extra.Length == MerkleHash.Size ? Extra : MerkleHash.LeafHash(Extra);
        LedgerEntry? entry = null;
        if (Extra.Length != MerkleHash.Size)
        {
            try
            {
                entry = LeafEncoding.Decode(Extra);
            }
            catch (FormatException e)
            {
                return new(false, $"The extra data is not a ledger entry: {e.Message}", null, null, null);
            }
        }
        var checkpoint = Ledger.Checkpoint.Verify(Checkpoint, logKey, expectedOrigin);
        if (!checkpoint.IsValid) return new(false, $"checkpoint: {checkpoint.Reason}", null, leafHash, entry);
        var proof = new InclusionProof(Index, checkpoint.Checkpoint!.TreeSize, AuditPath);
        var result = proof.Verify(leafHash, checkpoint.Checkpoint.RootHash);
        return result.IsValid
            ? new(true, null, checkpoint.Checkpoint, leafHash, entry)
            : new(false, $"inclusion: {result.Reason}", checkpoint.Checkpoint, leafHash, entry);
    }
}

/// <summary>The outcome of <see cref="TlogProof.Verify"/>: the signed checkpoint once its signature held, the proven leaf and its entry.</summary>
public sealed record TlogProofVerification(bool IsValid, string? Reason, Checkpoint? Checkpoint, byte[]? LeafHash, LedgerEntry? Entry);
