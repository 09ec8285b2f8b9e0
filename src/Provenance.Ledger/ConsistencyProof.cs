namespace Provenance.Ledger;

/// <summary>An RFC 9162 consistency proof that the tree of <paramref name="FromSize"/> leaves is a prefix of the tree of <paramref name="ToSize"/> leaves.</summary>
public sealed record ConsistencyProof(long FromSize, long ToSize, IReadOnlyList<byte[]> Path)
{
    /// <summary>
    /// The verification algorithm of RFC 9162 §2.1.4.2 for 0 &lt; FromSize &lt; ToSize; equal sizes are
    /// consistent with an empty path and equal roots, and nothing is provable from the empty tree.
    /// </summary>
    public VerificationResult Verify(ReadOnlySpan<byte> fromRoot, ReadOnlySpan<byte> toRoot)
    {
        if (FromSize < 1)
        {
            return VerificationResult.Invalid("A consistency proof from the empty tree proves nothing.");
        }
        if (ToSize < FromSize)
        {
            return VerificationResult.Invalid($"Tree size {ToSize} is smaller than {FromSize}.");
        }
        if (FromSize == ToSize)
        {
            if (Path.Count != 0)
            {
                return VerificationResult.Invalid("Equal tree sizes need an empty consistency path.");
            }
            return fromRoot.SequenceEqual(toRoot)
                ? VerificationResult.Valid
                : VerificationResult.Invalid("Equal tree sizes have different root hashes.");
        }
        if (fromRoot.Length != MerkleHash.Size || toRoot.Length != MerkleHash.Size)
        {
            return VerificationResult.Invalid($"Root hashes have {MerkleHash.Size} bytes.");
        }
        if (Path.Count == 0)
        {
            return VerificationResult.Invalid("The consistency path is empty.");
        }
        if (Path.Any(p => p is null || p.Length != MerkleHash.Size))
        {
            return VerificationResult.Invalid($"Every consistency path hash has {MerkleHash.Size} bytes.");
        }

        var path = new List<byte[]>(Path);
        if ((FromSize & (FromSize - 1)) == 0)
        {
            path.Insert(0, fromRoot.ToArray());
        }

        var fn = FromSize - 1;
        var sn = ToSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0)
            {
                return VerificationResult.Invalid("The consistency path is longer than the tree is deep.");
            }
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.NodeHash(c, fr);
                sr = MerkleHash.NodeHash(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = MerkleHash.NodeHash(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }

        if (sn != 0)
        {
            return VerificationResult.Invalid("The consistency path is shorter than the tree is deep.");
        }
        if (!fr.AsSpan().SequenceEqual(fromRoot))
        {
            return VerificationResult.Invalid("The consistency path does not lead to the old root hash.");
        }
        return sr.AsSpan().SequenceEqual(toRoot)
            ? VerificationResult.Valid
            : VerificationResult.Invalid("The consistency path does not lead to the new root hash.");
    }
}
