namespace Provenance.Ledger;

/// <summary>
/// An RFC 9162 inclusion proof: the audit path of leaf <paramref name="LeafIndex"/> in the tree of
/// <paramref name="TreeSize"/> leaves, from the leaf's sibling up to the root's child.
/// </summary>
public sealed record InclusionProof(long LeafIndex, long TreeSize, IReadOnlyList<byte[]> AuditPath)
{
    /// <summary>The verification algorithm of RFC 9162 §2.1.3.2.</summary>
    public VerificationResult Verify(ReadOnlySpan<byte> leafHash, ReadOnlySpan<byte> rootHash)
    {
        if (LeafIndex < 0 || LeafIndex >= TreeSize)
        {
            return VerificationResult.Invalid($"Leaf index {LeafIndex} is not in a tree of size {TreeSize}.");
        }
        if (leafHash.Length != MerkleHash.Size)
        {
            return VerificationResult.Invalid($"The leaf hash has {leafHash.Length} bytes, not {MerkleHash.Size}.");
        }
        if (AuditPath.Any(p => p is null || p.Length != MerkleHash.Size))
        {
            return VerificationResult.Invalid($"Every audit path hash has {MerkleHash.Size} bytes.");
        }

        var fn = LeafIndex;
        var sn = TreeSize - 1;
        var r = leafHash.ToArray();
        foreach (var p in AuditPath)
        {
            if (sn == 0)
            {
                return VerificationResult.Invalid("The audit path is longer than the tree is deep.");
            }
            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.NodeHash(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = MerkleHash.NodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }

        if (sn != 0)
        {
            return VerificationResult.Invalid("The audit path is shorter than the tree is deep.");
        }
        return r.AsSpan().SequenceEqual(rootHash)
            ? VerificationResult.Valid
            : VerificationResult.Invalid("The audit path does not lead to the root hash.");
    }
}
