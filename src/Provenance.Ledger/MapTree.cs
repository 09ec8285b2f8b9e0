namespace Provenance.Ledger;

/// <summary>
/// A node position in the document map: its depth (0 = root) and the first <c>Depth</c> bits of the keys below it, packed
/// most significant bit first into <c>ceil(Depth / 8)</c> bytes with the unused low bits zero, written as lowercase hex.
/// </summary>
public readonly record struct MapPosition(int Depth, string Prefix)
{
    public static MapPosition Root { get; } = new(0, "");

    /// <summary>The position at <paramref name="depth"/> on the path of <paramref name="key"/>.</summary>
    public static MapPosition Of(ReadOnlySpan<byte> key, int depth)
    {
        if (depth is < 0 or > DocumentMap.Depth) throw new ArgumentOutOfRangeException(nameof(depth));
        var bytes = key[..((depth + 7) / 8)].ToArray();
        if (depth % 8 != 0) bytes[^1] &= (byte)(0xFF << (8 - depth % 8));
        return new MapPosition(depth, Convert.ToHexStringLower(bytes));
    }

    /// <summary>The sibling of the position at <paramref name="depth"/> (≥ 1) on the path of <paramref name="key"/>.</summary>
    public static MapPosition SiblingOf(ReadOnlySpan<byte> key, int depth)
    {
        var flipped = key.ToArray();
        flipped[(depth - 1) >> 3] ^= (byte)(0x80 >> ((depth - 1) & 7));
        return Of(flipped, depth);
    }

    public byte[] PrefixBytes() => Convert.FromHexString(Prefix);

    public override string ToString() => $"{Depth}/{Prefix}";
}

/// <summary>A stored map node: a leaf (with its key and value) where it is alone in its subtree, otherwise an inner node.</summary>
public sealed record MapNode(MapPosition Position, byte[] Hash, byte[]? LeafKey = null, byte[]? LeafValue = null)
{
    public bool IsLeaf => LeafKey is not null;
}

/// <summary>Reads the map's nodes as of one version; positions without a node are left out.</summary>
public interface IMapNodeSource
{
    ValueTask<IReadOnlyDictionary<MapPosition, MapNode>> GetMapNodesAsync(IReadOnlyCollection<MapPosition> positions, CancellationToken ct = default);
}

/// <summary>The new root and every node an update wrote (each replaces the node at its position).</summary>
public sealed record MapUpdateResult(byte[] Root, IReadOnlyList<MapNode> Nodes);

/// <summary>Incremental updates and proofs over a persisted <see cref="DocumentMap"/>, reading one round trip per tree level touched.</summary>
public static class MapTree
{
    sealed class Work(MapPosition position, List<(byte[] Key, byte[] Value)> updates, bool knownEmpty)
    {
        public MapPosition Position { get; } = position;
        public List<(byte[] Key, byte[] Value)> Updates { get; } = updates;
        public bool KnownEmpty { get; } = knownEmpty;
        public (byte[] Key, byte[] Value)? Leaf { get; set; }
        public Work? Left { get; set; }
        public Work? Right { get; set; }
        public byte[] LeftHash { get; set; } = DocumentMap.Empty;
        public byte[] RightHash { get; set; } = DocumentMap.Empty;
        public byte[]? Hash { get; set; }
    }

    /// <summary>
    /// Sets each key to its value (the last one given wins) in the map <paramref name="before"/> holds and returns the new root and
    /// the nodes to store: the changed paths only, O(k log n) for k keys among n.
    /// </summary>
    public static async Task<MapUpdateResult> UpdateAsync(IMapNodeSource before, IEnumerable<(byte[] Key, byte[] Value)> updates, CancellationToken ct = default)
    {
        var distinct = new Dictionary<string, (byte[] Key, byte[] Value)>();
        foreach (var u in updates)
        {
            if (u.Key.Length != DocumentMap.KeySize) throw new ArgumentException($"A map key has {DocumentMap.KeySize} bytes.", nameof(updates));
            distinct[Convert.ToHexString(u.Key)] = u;
        }
        if (distinct.Count == 0)
        {
            var root = await before.GetMapNodesAsync([MapPosition.Root], ct);
            return new MapUpdateResult(root.TryGetValue(MapPosition.Root, out var r) ? r.Hash : DocumentMap.Empty, []);
        }

        var top = new Work(MapPosition.Root, distinct.Values.ToList(), knownEmpty: false);
        var all = new List<Work>();
        var level = new List<Work> { top };
        var siblings = new List<(Work Parent, bool Left, MapPosition Position)>();
        for (var depth = 0; level.Count > 0 || siblings.Count > 0; depth++)
        {
            var wanted = level.Where(w => !w.KnownEmpty).Select(w => w.Position).Concat(siblings.Select(s => s.Position)).Distinct().ToList();
            var found = wanted.Count == 0 ? new Dictionary<MapPosition, MapNode>() : await before.GetMapNodesAsync(wanted, ct);
            foreach (var (parent, left, position) in siblings)
            {
                var hash = found.TryGetValue(position, out var n) ? n.Hash : DocumentMap.Empty;
                if (left) parent.LeftHash = hash;
                else parent.RightHash = hash;
            }
            siblings = [];
            var next = new List<Work>();
            foreach (var work in level)
            {
                all.Add(work);
                var existing = work.KnownEmpty ? null : found.GetValueOrDefault(work.Position);
                var items = work.Updates;
                var inner = existing is { IsLeaf: false };
                if (existing is { IsLeaf: true } leaf && !items.Any(i => i.Key.AsSpan().SequenceEqual(leaf.LeafKey)))
                {
                    items = [.. items, (leaf.LeafKey!, leaf.LeafValue!)];
                }
                if (!inner && items.Count == 1)
                {
                    work.Leaf = items[0];
                    continue;
                }
                if (depth == DocumentMap.Depth) throw new InvalidOperationException("Two leaves with the same key reached the bottom of the map.");
                foreach (var goLeft in new[] { true, false })
                {
                    var side = items.Where(i => DocumentMap.Bit(i.Key, depth) != goLeft).ToList();
                    var childPosition = MapPosition.Of(ChildPath(work.Position, goLeft), depth + 1);
                    if (side.Count > 0)
                    {
                        var child = new Work(childPosition, side, knownEmpty: !inner);
                        if (goLeft) work.Left = child;
                        else work.Right = child;
                        next.Add(child);
                    }
                    else if (inner)
                    {
                        siblings.Add((work, goLeft, childPosition));
                    }
                }
            }
            level = next;
        }

        for (var i = all.Count - 1; i >= 0; i--)
        {
            var w = all[i];
            w.Hash = w.Leaf is { } l
                ? DocumentMap.LeafHash(l.Key, l.Value)
                : DocumentMap.NodeHash(w.Left?.Hash ?? w.LeftHash, w.Right?.Hash ?? w.RightHash);
        }
        var nodes = all.Select(w => new MapNode(w.Position, w.Hash!, w.Leaf?.Key, w.Leaf?.Value)).ToList();
        return new MapUpdateResult(top.Hash!, nodes);
    }

    /// <summary>A 32-byte path whose first <c>Depth + 1</c> bits are the position's followed by the child's direction.</summary>
    static byte[] ChildPath(MapPosition position, bool left)
    {
        var path = new byte[DocumentMap.KeySize];
        position.PrefixBytes().CopyTo(path, 0);
        if (!left) path[position.Depth >> 3] |= (byte)(0x80 >> (position.Depth & 7));
        return path;
    }

    /// <summary>How many levels a proof reads per round trip.</summary>
    const int LevelsPerRead = 32;

    /// <summary>The proof of the key's value (or of its absence) in the map <paramref name="source"/> holds.</summary>
    public static async Task<MapProof> ProveAsync(IMapNodeSource source, byte[] key, CancellationToken ct = default)
    {
        if (key.Length != DocumentMap.KeySize) throw new ArgumentException($"A map key has {DocumentMap.KeySize} bytes.", nameof(key));
        var siblings = new List<byte[]>();
        Dictionary<MapPosition, MapNode> found = [];
        for (var depth = 0; depth <= DocumentMap.Depth; depth++)
        {
            if (depth % LevelsPerRead == 0)
            {
                var positions = new List<MapPosition>();
                for (var d = depth; d < Math.Min(depth + LevelsPerRead, DocumentMap.Depth + 1); d++)
                {
                    positions.Add(MapPosition.Of(key, d));
                    if (d > 0) positions.Add(MapPosition.SiblingOf(key, d));
                }
                found = new Dictionary<MapPosition, MapNode>(await source.GetMapNodesAsync(positions, ct));
            }
            if (depth > 0)
            {
                siblings.Add(found.TryGetValue(MapPosition.SiblingOf(key, depth), out var sibling) ? sibling.Hash : DocumentMap.Empty);
            }
            if (!found.TryGetValue(MapPosition.Of(key, depth), out var node)) return new MapProof(key, siblings, null, null, null);
            if (node.IsLeaf)
            {
                return node.LeafKey.AsSpan().SequenceEqual(key)
                    ? new MapProof(key, siblings, node.LeafValue, null, null)
                    : new MapProof(key, siblings, null, node.LeafKey, node.LeafValue);
            }
        }
        throw new InvalidOperationException("The map holds an inner node at depth 256.");
    }
}

/// <summary>
/// A proof that <see cref="Key"/> maps to <see cref="Value"/> (membership) or to nothing (<see cref="Value"/> null: the subtree where it
/// would sit is empty, or holds only the leaf of <see cref="OtherKey"/>). <see cref="Siblings"/> run from the root's children down
/// (sibling i is the other child of the node at depth i), empty subtrees as 32 zero bytes.
/// </summary>
public sealed record MapProof(byte[] Key, IReadOnlyList<byte[]> Siblings, byte[]? Value, byte[]? OtherKey, byte[]? OtherValue)
{
    public VerificationResult Verify(ReadOnlySpan<byte> root)
    {
        if (Key.Length != DocumentMap.KeySize) return VerificationResult.Invalid($"The map key has {Key.Length} bytes, not {DocumentMap.KeySize}.");
        if (Siblings.Count > DocumentMap.Depth) return VerificationResult.Invalid($"A map proof has at most {DocumentMap.Depth} siblings, not {Siblings.Count}.");
        if (Siblings.Any(s => s.Length != MerkleHash.Size)) return VerificationResult.Invalid("Every sibling of a map proof has 32 bytes.");
        byte[] hash;
        if (Value is not null)
        {
            if (OtherKey is not null) return VerificationResult.Invalid("A map proof shows either the key's value or another leaf, not both.");
            hash = DocumentMap.LeafHash(Key, Value);
        }
        else if (OtherKey is not null)
        {
            if (OtherKey.Length != DocumentMap.KeySize || OtherValue is null)
                return VerificationResult.Invalid("The other leaf of a non-membership proof has a 32-byte key and a value.");
            if (OtherKey.AsSpan().SequenceEqual(Key)) return VerificationResult.Invalid("The other leaf of a non-membership proof has the key itself.");
            for (var i = 0; i < Siblings.Count; i++)
            {
                if (DocumentMap.Bit(OtherKey, i) != DocumentMap.Bit(Key, i))
                    return VerificationResult.Invalid("The other leaf of a non-membership proof is not on the key's path.");
            }
            hash = DocumentMap.LeafHash(OtherKey, OtherValue);
        }
        else
        {
            hash = DocumentMap.Empty;
        }
        for (var depth = Siblings.Count - 1; depth >= 0; depth--)
        {
            hash = DocumentMap.Bit(Key, depth) ? DocumentMap.NodeHash(Siblings[depth], hash) : DocumentMap.NodeHash(hash, Siblings[depth]);
        }
        return hash.AsSpan().SequenceEqual(root)
            ? VerificationResult.Valid
            : VerificationResult.Invalid($"The map proof leads to root {Convert.ToBase64String(hash)}, not the checkpoint's {Convert.ToBase64String(root)}.");
    }
}

/// <summary>A versioned map node store held in memory: each update is a new version, read as of any version.</summary>
public sealed class InMemoryMapStore
{
    readonly Dictionary<MapPosition, SortedList<long, MapNode>> nodes = [];

    public int Count => nodes.Values.Sum(v => v.Count);

    public void Add(long version, IEnumerable<MapNode> written)
    {
        foreach (var node in written)
        {
            if (!nodes.TryGetValue(node.Position, out var versions)) nodes[node.Position] = versions = [];
            versions[version] = node;
        }
    }

    /// <summary>The map as of <paramref name="version"/>: the newest node at or below it at each position.</summary>
    public IMapNodeSource AsOf(long version) => new View(this, version);

    sealed class View(InMemoryMapStore store, long version) : IMapNodeSource
    {
        public ValueTask<IReadOnlyDictionary<MapPosition, MapNode>> GetMapNodesAsync(IReadOnlyCollection<MapPosition> positions, CancellationToken ct = default)
        {
            var result = new Dictionary<MapPosition, MapNode>();
            foreach (var p in positions.Distinct())
            {
                if (!store.nodes.TryGetValue(p, out var versions)) continue;
                for (var i = versions.Count - 1; i >= 0; i--)
                {
                    if (versions.Keys[i] <= version)
                    {
                        result[p] = versions.Values[i];
                        break;
                    }
                }
            }
            return ValueTask.FromResult<IReadOnlyDictionary<MapPosition, MapNode>>(result);
        }
    }
}
