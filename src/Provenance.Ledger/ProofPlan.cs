namespace Provenance.Ledger;

/// <summary>
/// Plans proofs over a store of perfect-subtree nodes: which nodes to fetch (O(log n), in one round trip)
/// and how to assemble the proof from them. Each proof element is the hash of a subtree [a, b) of the
/// RFC 6962 recursion; when it is not perfect it is recombined from the perfect subtrees that decompose it.
/// </summary>
public static class ProofPlan
{
    /// <summary>PATH(leafIndex, D[0:treeSize]) of RFC 6962 §2.1.1.</summary>
    public static ProofPlan<InclusionProof> ForInclusion(long leafIndex, long treeSize)
    {
        if (leafIndex < 0 || leafIndex >= treeSize)
        {
            throw new ArgumentOutOfRangeException(nameof(leafIndex), $"Leaf {leafIndex} is not in a tree of size {treeSize}.");
        }

        var ranges = new List<(long Start, long End)>();
        long start = 0, end = treeSize;
        while (end - start > 1)
        {
            var split = start + LargestPowerOfTwoBelow(end - start);
            if (leafIndex < split)
            {
                ranges.Add((split, end));
                end = split;
            }
            else
            {
                ranges.Add((start, split));
                start = split;
            }
        }
        ranges.Reverse();
        return ProofPlan<InclusionProof>.Create(ranges, path => new InclusionProof(leafIndex, treeSize, path));
    }

    /// <summary>PROOF(fromSize, D[0:toSize]) of RFC 6962 §2.1.2.</summary>
    public static ProofPlan<ConsistencyProof> ForConsistency(long fromSize, long toSize)
    {
        if (fromSize < 1 || fromSize > toSize)
        {
            throw new ArgumentOutOfRangeException(nameof(fromSize), $"No consistency proof from size {fromSize} to size {toSize}: it needs 0 < from ≤ to.");
        }

        var ranges = new List<(long Start, long End)>();
        long start = 0, end = toSize;
        var fromIsWholeSubtree = true;
        while (fromSize != end)
        {
            var split = start + LargestPowerOfTwoBelow(end - start);
            if (fromSize <= split)
            {
                ranges.Add((split, end));
                end = split;
            }
            else
            {
                ranges.Add((start, split));
                start = split;
                fromIsWholeSubtree = false;
            }
        }
        if (!fromIsWholeSubtree)
        {
            ranges.Add((start, end));
        }
        ranges.Reverse();
        return ProofPlan<ConsistencyProof>.Create(ranges, path => new ConsistencyProof(fromSize, toSize, path));
    }

    /// <summary>MTH(D[0:treeSize]).</summary>
    public static ProofPlan<byte[]> ForRoot(long treeSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        return treeSize == 0
            ? ProofPlan<byte[]>.Create([], _ => MerkleHash.EmptyRoot)
            : ProofPlan<byte[]>.Create([(0, treeSize)], hashes => hashes[0]);
    }

    /// <summary>
    /// Splits [start, end) into perfect subtrees, largest first. Only valid for the subtrees of the
    /// RFC 6962 recursion (start aligned to a power of two ≥ end - start), whose hash is then
    /// NodeHash(p1, NodeHash(p2, … pk)).
    /// </summary>
    internal static List<NodeId> PerfectSubtrees(long start, long end)
    {
        var ids = new List<NodeId>();
        while (start < end)
        {
            var level = 63 - long.LeadingZeroCount(end - start);
            ids.Add(new NodeId((int)level, start >> (int)level));
            start += 1L << (int)level;
        }
        return ids;
    }

    internal static long LargestPowerOfTwoBelow(long n) => 1L << (int)(63 - long.LeadingZeroCount(n - 1));
}

/// <summary>The nodes one proof needs, and how to assemble it once they are fetched.</summary>
public sealed class ProofPlan<T>
{
    // For each proof element, the positions in Nodes of the perfect subtrees it is made of, largest first.
    readonly IReadOnlyList<int[]> elements;
    readonly Func<IReadOnlyList<byte[]>, T> assemble;

    ProofPlan(IReadOnlyList<NodeId> nodes, IReadOnlyList<int[]> elements, Func<IReadOnlyList<byte[]>, T> assemble)
    {
        Nodes = nodes;
        this.elements = elements;
        this.assemble = assemble;
    }

    /// <summary>The distinct nodes to fetch, in the order <see cref="Assemble"/> expects their hashes.</summary>
    public IReadOnlyList<NodeId> Nodes { get; }

    internal static ProofPlan<T> Create(IReadOnlyList<(long Start, long End)> ranges, Func<IReadOnlyList<byte[]>, T> assemble)
    {
        var nodes = new List<NodeId>();
        var positions = new Dictionary<NodeId, int>();
        var elements = new List<int[]>();
        foreach (var (start, end) in ranges)
        {
            var element = new List<int>();
            foreach (var id in ProofPlan.PerfectSubtrees(start, end))
            {
                if (!positions.TryGetValue(id, out var position))
                {
                    position = nodes.Count;
                    positions.Add(id, position);
                    nodes.Add(id);
                }
                element.Add(position);
            }
            elements.Add([.. element]);
        }
        return new ProofPlan<T>(nodes, elements, assemble);
    }

    /// <summary>Builds the result from the hashes of <see cref="Nodes"/>, in the same order.</summary>
    public T Assemble(IReadOnlyList<byte[]> hashes)
    {
        if (hashes.Count != Nodes.Count)
        {
            throw new ArgumentException($"The plan needs {Nodes.Count} node hashes, not {hashes.Count}.", nameof(hashes));
        }
        if (hashes.Any(h => h is null || h.Length != MerkleHash.Size))
        {
            throw new ArgumentException($"Every node hash has {MerkleHash.Size} bytes.", nameof(hashes));
        }

        var path = new byte[elements.Count][];
        for (var e = 0; e < elements.Count; e++)
        {
            var parts = elements[e];
            var hash = hashes[parts[^1]];
            for (var p = parts.Length - 2; p >= 0; p--)
            {
                hash = MerkleHash.NodeHash(hashes[parts[p]], hash);
            }
            path[e] = (byte[])hash.Clone();
        }
        return assemble(path);
    }

    /// <summary>Fetches the nodes one by one and assembles the result.</summary>
    public T Execute(IMerkleNodeSource source) =>
        Assemble(Nodes.Select(id => source.GetNode(id.Level, id.Index)).ToArray());

    /// <summary>Fetches all the nodes in one <see cref="IMerkleNodeSource.GetNodesAsync"/> call and assembles the result.</summary>
    public async ValueTask<T> ExecuteAsync(IMerkleNodeSource source, CancellationToken cancellationToken = default) =>
        Assemble(Nodes.Count == 0 ? [] : await source.GetNodesAsync(Nodes, cancellationToken));
}
