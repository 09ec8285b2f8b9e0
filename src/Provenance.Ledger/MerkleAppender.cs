namespace Provenance.Ledger;

/// <summary>
/// Grows an RFC 6962 tree one leaf at a time, keeping only the right-edge frontier (a compact range
/// over [0, size): one perfect subtree per set bit of size, at most 63 hashes). Each append returns
/// the perfect-subtree nodes it completed, for the caller to persist; if persisting fails, restore from
/// the store rather than reuse this instance. Not thread-safe.
/// </summary>
public sealed class MerkleAppender
{
    // Largest subtree first, so frontier[i] has id FrontierIds(Size)[i].
    readonly List<byte[]> frontier;

    MerkleAppender(long size, List<byte[]> frontier)
    {
        Size = size;
        this.frontier = frontier;
    }

    public MerkleAppender() : this(0, []) { }

    /// <summary>Number of leaves appended so far.</summary>
    public long Size { get; private set; }

    /// <summary>The right-edge nodes of the current tree, largest subtree first.</summary>
    public IReadOnlyList<MerkleNode> Frontier =>
        FrontierIds(Size).Select((id, i) => new MerkleNode(id.Level, id.Index, frontier[i])).ToArray();

    /// <summary>The nodes to load to restore an appender at <paramref name="size"/>: one per set bit, largest first.</summary>
    public static IReadOnlyList<NodeId> FrontierIds(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var ids = new List<NodeId>();
        for (var level = 62; level >= 0; level--)
        {
            if (((size >> level) & 1) == 1)
            {
                ids.Add(new NodeId(level, (size >> level) - 1));
            }
        }
        return ids;
    }

    /// <summary>Restores an appender from the hashes of <see cref="FrontierIds"/>(<paramref name="size"/>), in that order.</summary>
    public static MerkleAppender Restore(long size, IReadOnlyList<byte[]> frontierHashes)
    {
        var expected = FrontierIds(size).Count;
        if (frontierHashes.Count != expected)
        {
            throw new ArgumentException($"A tree of size {size} has {expected} frontier nodes, not {frontierHashes.Count}.", nameof(frontierHashes));
        }
        foreach (var hash in frontierHashes)
        {
            RequireHashSize(hash, nameof(frontierHashes));
        }
        return new MerkleAppender(size, frontierHashes.Select(h => (byte[])h.Clone()).ToList());
    }

    public static MerkleAppender Restore(long size, IMerkleNodeSource source) =>
        Restore(size, FrontierIds(size).Select(id => source.GetNode(id.Level, id.Index)).ToArray());

    public static async ValueTask<MerkleAppender> RestoreAsync(long size, IMerkleNodeSource source, CancellationToken cancellationToken = default) =>
        Restore(size, await source.GetNodesAsync(FrontierIds(size), cancellationToken));

    /// <summary>
    /// Appends leaf number <see cref="Size"/> and returns the nodes it completes: the leaf itself at level 0,
    /// then each parent whose right-most leaf it is, bottom-up.
    /// </summary>
    public IReadOnlyList<MerkleNode> Append(ReadOnlySpan<byte> leafHash)
    {
        if (leafHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException($"A leaf hash has {MerkleHash.Size} bytes.", nameof(leafHash));
        }

        var index = Size;
        var hash = leafHash.ToArray();
        var completed = new List<MerkleNode> { new(0, index, hash) };
        for (var level = 0; ((index >> level) & 1) == 1; level++)
        {
            var left = frontier[^1];
            frontier.RemoveAt(frontier.Count - 1);
            hash = MerkleHash.NodeHash(left, hash);
            completed.Add(new MerkleNode(level + 1, index >> (level + 1), hash));
        }
        frontier.Add((byte[])hash.Clone());
        Size = index + 1;
        return completed;
    }

    /// <summary>The root hash of the tree of <see cref="Size"/> leaves.</summary>
    public byte[] Root()
    {
        if (frontier.Count == 0)
        {
            return MerkleHash.EmptyRoot;
        }
        var root = frontier[^1];
        for (var i = frontier.Count - 2; i >= 0; i--)
        {
            root = MerkleHash.NodeHash(frontier[i], root);
        }
        return (byte[])root.Clone();
    }

    static void RequireHashSize(byte[] hash, string parameter)
    {
        if (hash.Length != MerkleHash.Size)
        {
            throw new ArgumentException($"A node hash has {MerkleHash.Size} bytes.", parameter);
        }
    }
}
