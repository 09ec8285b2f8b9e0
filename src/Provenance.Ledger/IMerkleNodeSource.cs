namespace Provenance.Ledger;

/// <summary>Read access to persisted perfect-subtree hashes (see <see cref="NodeId"/>).</summary>
public interface IMerkleNodeSource
{
    /// <summary>Returns the hash of one stored node; throws <see cref="KeyNotFoundException"/> when it is absent.</summary>
    byte[] GetNode(int level, long index);

    /// <summary>
    /// Returns the hashes of <paramref name="ids"/> in the same order, in one round trip;
    /// throws <see cref="KeyNotFoundException"/> when any is absent.
    /// </summary>
    ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<NodeId> ids, CancellationToken cancellationToken = default);
}
