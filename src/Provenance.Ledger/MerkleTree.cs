namespace Provenance.Ledger;

/// <summary>
/// The recursive definitions of RFC 6962 §2.1 over a full list of leaf hashes: MTH, PATH and PROOF.
/// O(n) per call; the reference the node-store planner (<see cref="ProofPlan"/>) is checked against.
/// </summary>
public static class MerkleTree
{
    /// <summary>MTH(D[n]) where D holds the leaf hashes (MTH({d}) = leaf hash).</summary>
    public static byte[] ComputeRoot(IReadOnlyList<byte[]> leafHashes) =>
        leafHashes.Count == 0 ? MerkleHash.EmptyRoot : Mth(leafHashes, 0, leafHashes.Count);

    /// <summary>PATH(m, D[n]) of RFC 6962 §2.1.1.</summary>
    public static IReadOnlyList<byte[]> InclusionPath(long leafIndex, IReadOnlyList<byte[]> leafHashes)
    {
        if (leafIndex < 0 || leafIndex >= leafHashes.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(leafIndex));
        }
        var path = new List<byte[]>();
        Path((int)leafIndex, leafHashes, 0, leafHashes.Count, path);
        return path;
    }

    /// <summary>PROOF(m, D[n]) of RFC 6962 §2.1.2.</summary>
    public static IReadOnlyList<byte[]> ConsistencyPath(long fromSize, IReadOnlyList<byte[]> leafHashes)
    {
        if (fromSize < 1 || fromSize > leafHashes.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(fromSize));
        }
        var path = new List<byte[]>();
        SubProof((int)fromSize, leafHashes, 0, leafHashes.Count, true, path);
        return path;
    }

    static byte[] Mth(IReadOnlyList<byte[]> d, int start, int count)
    {
        if (count == 1)
        {
            return d[start];
        }
        var k = LargestPowerOfTwoBelow(count);
        return MerkleHash.NodeHash(Mth(d, start, k), Mth(d, start + k, count - k));
    }

    // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k, else PATH(m - k, D[k:n]) : MTH(D[0:k]).
    static void Path(int m, IReadOnlyList<byte[]> d, int start, int count, List<byte[]> path)
    {
        if (count == 1)
        {
            return;
        }
        var k = LargestPowerOfTwoBelow(count);
        if (m < k)
        {
            Path(m, d, start, k, path);
            path.Add(Mth(d, start + k, count - k));
        }
        else
        {
            Path(m - k, d, start + k, count - k, path);
            path.Add(Mth(d, start, k));
        }
    }

    // SUBPROOF(m, D[n], b) of RFC 6962 §2.1.2.
    static void SubProof(int m, IReadOnlyList<byte[]> d, int start, int count, bool wholeSubtree, List<byte[]> path)
    {
        if (m == count)
        {
            if (!wholeSubtree)
            {
                path.Add(Mth(d, start, count));
            }
            return;
        }
        var k = LargestPowerOfTwoBelow(count);
        if (m <= k)
        {
            SubProof(m, d, start, k, wholeSubtree, path);
            path.Add(Mth(d, start + k, count - k));
        }
        else
        {
            SubProof(m - k, d, start + k, count - k, false, path);
            path.Add(Mth(d, start, k));
        }
    }

    // Written out again, not shared with ProofPlan, so the reference stays independent of what it checks.
    static int LargestPowerOfTwoBelow(int n)
    {
        var k = 1;
        while (k << 1 < n)
        {
            k <<= 1;
        }
        return k;
    }
}
