namespace Provenance.Ledger;

/// <summary>A node store held in memory: for tests, offline tools and small trees.</summary>
public sealed class InMemoryNodeStore : IMerkleNodeSource
{
    readonly Dictionary<NodeId, byte[]> nodes = [];

    public int Count => nodes.Count;

    public void Add(MerkleNode node) => nodes[node.Id] = node.Hash;

    public void AddRange(IEnumerable<MerkleNode> newNodes)
    {
        foreach (var node in newNodes)
        {
            Add(node);
        }
    }

    public byte[] GetNode(int level, long index) =>
        nodes.TryGetValue(new NodeId(level, index), out var hash)
            ? hash
            : throw new KeyNotFoundException($"Merkle node {new NodeId(level, index)} is not stored.");

    public ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<NodeId> ids, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<byte[]>>(ids.Select(id => GetNode(id.Level, id.Index)).ToArray());
}
