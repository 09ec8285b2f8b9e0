namespace Provenance.Ledger;

/// <summary>Fetches one tlog-tiles resource; null when the log does not have it (HTTP 404, a missing file).</summary>
public delegate Task<byte[]?> TileFetcher(TileRef tile, CancellationToken cancellationToken);

/// <summary>
/// The perfect-subtree hashes of the tree of <paramref name="treeSize"/> leaves, read from its hash tiles: node (8·L + r, i) is
/// recomputed from the 2^r hashes it spans in one level-L tile. Lets <see cref="ProofPlan"/> build any proof from tiles alone.
/// </summary>
public sealed class TiledNodeSource(long treeSize, TileFetcher fetch) : IMerkleNodeSource
{
    public long TreeSize => treeSize;

    public byte[] GetNode(int level, long index) =>
        GetNodesAsync([new NodeId(level, index)]).AsTask().GetAwaiter().GetResult()[0];

    public async ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<NodeId> ids, CancellationToken cancellationToken = default)
    {
        var placed = ids.Select(Place).ToArray();
        var tiles = new Dictionary<TileRef, byte[]>();
        foreach (var tile in placed.Select(p => p.Tile).Distinct())
        {
            var bytes = await fetch(tile, cancellationToken)
                ?? throw new KeyNotFoundException($"The log has no tile {tile.Path}.");
            if (bytes.Length != tile.Width * MerkleHash.Size)
            {
                throw new InvalidDataException($"Tile {tile.Path} has {bytes.Length} bytes, not {tile.Width * MerkleHash.Size}.");
            }
            tiles[tile] = bytes;
        }
        return placed.Select(p => TlogTiles.SubtreeHash(tiles[p.Tile], p.Position, p.Count)).ToArray();
    }

    (TileRef Tile, int Position, int Count) Place(NodeId id)
    {
        if (id.Level > 62 || id.Index < 0 || (id.Index + 1) << id.Level > treeSize || (id.Index + 1) << id.Level <= 0)
        {
            throw new KeyNotFoundException($"Merkle node {id} is not in a tree of {treeSize} leaves.");
        }
        var level = id.Level / TlogTiles.Height;
        var rise = id.Level % TlogTiles.Height;
        var first = id.Index << rise;
        var tileIndex = first >> TlogTiles.Height;
        var tile = new TileRef(level, tileIndex, TlogTiles.WidthIn(level, tileIndex, treeSize));
        return (tile, (int)(first & (TlogTiles.Width - 1)), 1 << rise);
    }
}
