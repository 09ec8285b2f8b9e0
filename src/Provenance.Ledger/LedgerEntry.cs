namespace Provenance.Ledger;

/// <summary>
/// One committed event as the ledger sees it. <paramref name="CanonicalPayload"/> holds the RFC 8785 bytes of the
/// event body; <paramref name="PreviousHash"/> is the leaf hash of the previous event of the same stream, or 32 zero
/// bytes for version 1. The leaf is <see cref="LeafEncoding.LeafHash"/> of this record. In leaf format 2 (<see cref="Format"/>)
/// <paramref name="CanonicalPayload"/> is the 32-byte payload digest of <see cref="FieldCommitments.PayloadDigest"/> instead.
/// </summary>
public sealed record LedgerEntry(
    long Sequence,
    Guid StreamId,
    long Version,
    string EventType,
    DateTimeOffset Timestamp,
    string Actor,
    ReadOnlyMemory<byte> CanonicalPayload,
    ReadOnlyMemory<byte> PreviousHash)
{
    /// <summary>The <see cref="PreviousHash"/> of the first event of a stream: 32 zero bytes.</summary>
    public static ReadOnlyMemory<byte> NoPreviousHash => new byte[MerkleHash.Size];

    /// <summary>The leaf format: 1 commits to the payload itself, 2 to its digest with redactable fields as salted commitments.</summary>
    public byte Format { get; init; } = LeafEncoding.FormatVersion;
}
