namespace Provenance.Ledger;

/// <summary>
/// Address of a perfect subtree: level 0 holds leaf hashes, and node (level, index)
/// covers leaves [index·2^level, (index+1)·2^level).
/// </summary>
public readonly record struct NodeId(int Level, long Index)
{
    public long FirstLeaf => Index << Level;

    public long LeafCount => 1L << Level;

    public override string ToString() => $"({Level}, {Index})";
}

/// <summary>The hash of a perfect subtree, as persisted by the node store.</summary>
public sealed record MerkleNode(int Level, long Index, byte[] Hash)
{
    public NodeId Id => new(Level, Index);
}
