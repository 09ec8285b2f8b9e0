namespace Provenance.Ledger;

/// <summary>The last tile of one level of an audited tree, kept to compare with what the log serves next time.</summary>
public sealed record TileEdge(int Level, long Index, byte[] Hashes)
{
    public int Width => Hashes.Length / MerkleHash.Size;
}

/// <summary>Where one stream's chain stood at the end of the audited entries.</summary>
public sealed record StreamHead(long Version, byte[] LeafHash);

/// <summary>
/// What a monitor keeps between audits: the verified tree (size, root, the partial tile of each level) and, when entries were
/// audited, the last sequence and each stream's newest leaf. Everything in it was authenticated against a signed root.
/// </summary>
public sealed record AuditState(long TreeSize, byte[] RootHash, IReadOnlyList<TileEdge> Edges)
{
    /// <summary>Null when the entries were not audited up to <see cref="TreeSize"/>.</summary>
    public EntryAudit? Entries { get; init; }

    public static AuditState Empty(bool withEntries) =>
        new(0, MerkleHash.EmptyRoot, []) { Entries = withEntries ? new EntryAudit(-1, []) : null };
}

/// <summary>The entry chain as audited so far.</summary>
public sealed record EntryAudit(long LastSequence, Dictionary<Guid, StreamHead> Streams);

/// <summary>What went wrong, by kind, so a caller can tell a split view from a bad entry.</summary>
public enum AuditFailure
{
    None,
    SplitView,
    RewrittenTile,
    BadTile,
    MissingTile,
    BadEntry,
    BrokenChain,
}

public sealed record AuditOutcome(AuditFailure Failure, string? Reason, AuditState? State, long TilesRead, long EntriesRead, long BytesRead)
{
    public bool Passed => Failure == AuditFailure.None;
}

/// <summary>Progress of a long catch-up: tiles (and bundles) read so far at one level.</summary>
public readonly record struct AuditProgress(int Level, long Done, long Total);

/// <summary>
/// Audits a c2sp.org/tlog-tiles log from its tiles alone, never from a proof the log computes. From a kept, verified tree of size
/// N0 to a signed checkpoint of size N1 it reads, per level, the tiles from the one that held N0's edge on; it checks that the
/// hashes served before are served again (the old edge is a prefix of the new tile), that every hash of a level-(L+1) tile
/// is the hash of the full level-L tile below it, and that the partial tiles of N1 hash up to the signed root. Every tile read is
/// so authenticated against the root (the check golang.org/x/mod/sumdb/tlog's TileHashReader leaves out when several
/// subtrees of the root share one tile), and the old tree's hashes being unchanged inside the new one proves consistency.
/// With entries, each entry must hash to its level-0 hash, chain to its stream's previous leaf and increase the sequence.
/// </summary>
public sealed class LogAudit(TileFetcher fetch, int parallelism = 8)
{
    public IProgress<AuditProgress>? Progress { get; init; }

    long tilesRead, entriesRead, bytesRead;

    public async Task<AuditOutcome> AuditAsync(AuditState previous, Checkpoint next, bool withEntries, CancellationToken ct = default)
    {
        tilesRead = entriesRead = bytesRead = 0;
        try
        {
            return await RunAsync(previous, next, withEntries, ct);
        }
        catch (AuditException e)
        {
            return Outcome(e.Failure, e.Message, null);
        }
    }

    AuditOutcome Outcome(AuditFailure failure, string? reason, AuditState? state) => new(failure, reason, state, tilesRead, entriesRead, bytesRead);

    async Task<AuditOutcome> RunAsync(AuditState previous, Checkpoint next, bool withEntries, CancellationToken ct)
    {
        var (n0, n1) = (previous.TreeSize, next.TreeSize);
        if (n1 < n0)
        {
            return Outcome(AuditFailure.SplitView, $"The checkpoint is for {n1} leaves, fewer than the {n0} verified before: the log went back.", null);
        }
        if (n1 == n0 && !next.RootHash.AsSpan().SequenceEqual(previous.RootHash))
        {
            return Outcome(AuditFailure.SplitView,
                $"Split view: two signed checkpoints for tree size {n1} with different roots ({Convert.ToBase64String(previous.RootHash)} before, " +
                $"{Convert.ToBase64String(next.RootHash)} now).", null);
        }
        var entries = withEntries ? previous.Entries ?? throw new ArgumentException("Entries were not audited up to the kept size.", nameof(previous)) : null;
        if (entries is not null) entries = entries with { Streams = new Dictionary<Guid, StreamHead>(entries.Streams) };

        var edges = new List<TileEdge>();
        // Hashes of level L computed from the full level-(L-1) tiles read, keyed by position: each must be in the level-L tile.
        var computedParents = new Dictionary<long, byte[]>();
        for (var level = 0; level < TlogTiles.LevelCount(n1); level++)
        {
            var oldCount = TlogTiles.HashesAtLevel(level, n0);
            var firstTile = oldCount / TlogTiles.Width;
            var oldEdge = previous.Edges.FirstOrDefault(e => e.Level == level && e.Index == firstTile);
            if (oldCount % TlogTiles.Width != 0 && oldEdge is null)
            {
                throw new ArgumentException($"The kept state has no edge tile at level {level}.", nameof(previous));
            }
            var refs = TlogTiles.TilesOfLevel(level, n1, firstTile).ToList();
            var parents = new Dictionary<long, byte[]>();
            var bundles = level == 0 && entries is not null
                ? Pipeline(refs.Select(r => r with { IsEntries = true }).ToList(), ct).GetAsyncEnumerator(ct)
                : null;
            long done = 0;
            await foreach (var (tile, hashes) in Pipeline(refs, ct))
            {
                CheckTile(tile, hashes, level == 0 ? null : computedParents, oldEdge, n0);
                if (bundles is not null)
                {
                    if (!await bundles.MoveNextAsync()) throw new InvalidOperationException("Bundle pipeline ended early.");
                    entries = CheckEntries(bundles.Current.Tile, bundles.Current.Bytes, hashes, n0, entries!);
                }
                if (tile.IsFull) parents[tile.Index] = TlogTiles.FullTileHash(hashes);
                else edges.Add(new TileEdge(level, tile.Index, hashes));
                Progress?.Report(new AuditProgress(level, ++done, refs.Count));
            }
            if (bundles is not null) await bundles.DisposeAsync();
            computedParents = parents;
        }

        var root = RootFromEdges(n1, edges);
        if (!root.AsSpan().SequenceEqual(next.RootHash))
        {
            return Outcome(AuditFailure.BadTile,
                $"The tiles do not hash to the signed root: they give {Convert.ToBase64String(root)}, the checkpoint of {n1} leaves says " +
                $"{Convert.ToBase64String(next.RootHash)}.", null);
        }
        return Outcome(AuditFailure.None, null, new AuditState(n1, next.RootHash, edges) { Entries = entries });
    }

    static void CheckTile(TileRef tile, byte[] hashes, Dictionary<long, byte[]>? computedParents, TileEdge? oldEdge, long n0)
    {
        if (hashes.Length != tile.Width * MerkleHash.Size)
        {
            throw new AuditException(AuditFailure.BadTile, $"Tile {tile.Path} has {hashes.Length} bytes, not {tile.Width * MerkleHash.Size}.");
        }
        var from = 0;
        if (oldEdge is not null && oldEdge.Index == tile.Index)
        {
            if (!hashes.AsSpan(0, oldEdge.Hashes.Length).SequenceEqual(oldEdge.Hashes))
            {
                var at = FirstDifference(hashes, oldEdge.Hashes);
                throw new AuditException(AuditFailure.RewrittenTile,
                    $"Tile {tile.Path} differs from the one verified at tree size {n0} (hash {at} of {oldEdge.Path()}): the log rewrote what it served before.");
            }
            from = oldEdge.Width;
        }
        if (computedParents is null) return;
        for (var i = from; i < tile.Width; i++)
        {
            var position = tile.Index * TlogTiles.Width + i;
            if (!computedParents.TryGetValue(position, out var expected))
            {
                throw new InvalidOperationException($"No level-{tile.Level - 1} tile was read for hash {position} of level {tile.Level}.");
            }
            if (!hashes.AsSpan(i * MerkleHash.Size, MerkleHash.Size).SequenceEqual(expected))
            {
                throw new AuditException(AuditFailure.BadTile,
                    $"Hash {i} of tile {tile.Path} is not the hash of tile {new TileRef(tile.Level - 1, position, TlogTiles.Width).Path} below it.");
            }
        }
    }

    static EntryAudit CheckEntries(TileRef bundle, byte[] bytes, byte[] leafHashes, long n0, EntryAudit entries)
    {
        IReadOnlyList<ReadOnlyMemory<byte>> split;
        try
        {
            split = EntryBundle.Split(bytes);
        }
        catch (FormatException e)
        {
            throw new AuditException(AuditFailure.BadEntry, $"Entry bundle {bundle.Path}: {e.Message}");
        }
        if (split.Count != bundle.Width)
        {
            throw new AuditException(AuditFailure.BadEntry, $"Entry bundle {bundle.Path} holds {split.Count} entries, not {bundle.Width}.");
        }
        var streams = entries.Streams;
        var lastSequence = entries.LastSequence;
        for (var i = 0; i < split.Count; i++)
        {
            var leafIndex = bundle.Index * TlogTiles.Width + i;
            var leafHash = MerkleHash.LeafHash(split[i].Span);
            if (!leafHash.AsSpan().SequenceEqual(leafHashes.AsSpan(i * MerkleHash.Size, MerkleHash.Size)))
            {
                throw new AuditException(AuditFailure.BadEntry, $"Entry {leafIndex} (in {bundle.Path}) does not hash to leaf {leafIndex} of the tree.");
            }
            if (leafIndex < n0) continue;

            LedgerEntry entry;
            try
            {
                entry = LeafEncoding.Decode(split[i].Span);
            }
            catch (FormatException e)
            {
                throw new AuditException(AuditFailure.BadEntry, $"Entry {leafIndex} is not a leaf encoding: {e.Message}");
            }
            if (entry.Sequence <= lastSequence)
            {
                throw new AuditException(AuditFailure.BrokenChain, $"Entry {leafIndex} has sequence {entry.Sequence}, not above the previous {lastSequence}.");
            }
            lastSequence = entry.Sequence;
            if (streams.TryGetValue(entry.StreamId, out var head))
            {
                if (entry.Version <= head.Version)
                {
                    throw new AuditException(AuditFailure.BrokenChain,
                        $"Entry {leafIndex} (sequence {entry.Sequence}) is version {entry.Version} of stream {entry.StreamId}, not after version {head.Version}.");
                }
                if (!entry.PreviousHash.Span.SequenceEqual(head.LeafHash))
                {
                    throw new AuditException(AuditFailure.BrokenChain,
                        $"Entry {leafIndex} (sequence {entry.Sequence}, stream {entry.StreamId} version {entry.Version}) chains to " +
                        $"{Convert.ToHexStringLower(entry.PreviousHash.Span)}, not to the stream's previous leaf {Convert.ToHexStringLower(head.LeafHash)}.");
                }
            }
            else if (!entry.PreviousHash.Span.SequenceEqual(LedgerEntry.NoPreviousHash.Span))
            {
                throw new AuditException(AuditFailure.BrokenChain,
                    $"Entry {leafIndex} (sequence {entry.Sequence}) is the first of stream {entry.StreamId} but chains to " +
                    $"{Convert.ToHexStringLower(entry.PreviousHash.Span)}, not to 32 zero bytes.");
            }
            streams[entry.StreamId] = new StreamHead(entry.Version, leafHash);
        }
        return entries with { LastSequence = lastSequence };
    }

    /// <summary>MTH of the tree of <paramref name="treeSize"/> leaves from its partial tiles (the right edge), smallest subtree first.</summary>
    static byte[] RootFromEdges(long treeSize, IReadOnlyList<TileEdge> edges)
    {
        if (treeSize == 0) return MerkleHash.EmptyRoot;
        byte[]? root = null;
        foreach (var id in MerkleAppender.FrontierIds(treeSize).Reverse())
        {
            var level = id.Level / TlogTiles.Height;
            var rise = id.Level % TlogTiles.Height;
            var first = id.Index << rise;
            var edge = edges.Single(e => e.Level == level && e.Index == first >> TlogTiles.Height);
            var node = TlogTiles.SubtreeHash(edge.Hashes, (int)(first & (TlogTiles.Width - 1)), 1 << rise);
            root = root is null ? node : MerkleHash.NodeHash(node, root);
        }
        return root!;
    }

    async IAsyncEnumerable<(TileRef Tile, byte[] Bytes)> Pipeline(IReadOnlyList<TileRef> refs,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var pending = new Queue<(TileRef, Task<byte[]>)>();
        var next = 0;
        while (next < refs.Count && pending.Count < parallelism) pending.Enqueue((refs[next], FetchAsync(refs[next++], ct)));
        while (pending.Count > 0)
        {
            var (tile, task) = pending.Dequeue();
            var bytes = await task;
            if (next < refs.Count) pending.Enqueue((refs[next], FetchAsync(refs[next++], ct)));
            yield return (tile, bytes);
        }
    }

    async Task<byte[]> FetchAsync(TileRef tile, CancellationToken ct)
    {
        var bytes = await fetch(tile, ct);
        // A log may drop a partial tile once the full one exists: its prefix is the partial tile.
        if (bytes is null && !tile.IsFull && await fetch(tile with { Width = TlogTiles.Width }, ct) is { } full)
        {
            bytes = tile.IsEntries ? full[..EntryBundle.PrefixLength(full, tile.Width)] : full[..(tile.Width * MerkleHash.Size)];
        }
        if (bytes is null) throw new AuditException(AuditFailure.MissingTile, $"The log does not serve {tile.Path}, which its checkpoint needs.");
        Interlocked.Add(ref bytesRead, bytes.Length);
        Interlocked.Increment(ref tile.IsEntries ? ref entriesRead : ref tilesRead);
        return bytes;
    }

    static int FirstDifference(byte[] a, byte[] b)
    {
        for (var i = 0; i < b.Length; i++) if (a[i] != b[i]) return i / MerkleHash.Size;
        return -1;
    }

    sealed class AuditException(AuditFailure failure, string message) : Exception(message)
    {
        public AuditFailure Failure { get; } = failure;
    }
}

static class TileEdgeExtensions
{
    public static string Path(this TileEdge edge) => new TileRef(edge.Level, edge.Index, edge.Width).Path;
}
