using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using Provenance.Ledger;

namespace Provenance.Api.Ledger;

/// <summary>
/// Grows the Merkle tree as events commit. Marten's daemon hands this subscription pages of events in global sequence
/// order, one page at a time; for each page it computes every event's chained leaf, appends it to a
/// <see cref="MerkleAppender"/> restored from the stored frontier, and queues the new leaves and nodes on
/// <paramref name="operations"/> so they commit in the same transaction as the daemon's progress.
/// Leaf indexes are dense (0, 1, 2, ...) while sequences have gaps: see <see cref="LedgerTables"/>.
/// </summary>
public sealed class MerkleSubscription : SubscriptionBase
{
    public const string SubscriptionName = "MerkleLedger";
    readonly LedgerDatabase _ledger;

    public MerkleSubscription(LedgerDatabase ledger, int batchSize)
    {
        _ledger = ledger;
        Name = SubscriptionName;
        // Every committed event is a leaf, archived or not: verification re-reads all of mt_events.
        IncludeArchivedEvents = true;
        Options.BatchSize = batchSize;
    }

    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller,
        IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var (size, lastSequence) = await _ledger.TreeStateAsync(cancellationToken);
        // A replayed page (after a restart between commit and progress, or a rebuild) adds nothing twice.
        var sequences = page.Events.Select(e => e.Sequence).Where(s => s > lastSequence).Distinct().Order().ToArray();
        if (sequences.Length == 0) return NullChangeListener.Instance;

        var rows = await _ledger.EventsAsync(sequences, cancellationToken);
        if (rows.Count != sequences.Length)
        {
            throw new InvalidOperationException(
                $"The daemon delivered {sequences.Length} events but mt_events holds {rows.Count} of them; refusing to build leaves.");
        }

        var previous = await _ledger.LastLeafOfStreamsAsync(rows.Select(r => r.StreamId).Distinct().ToArray(), cancellationToken);
        var appender = await MerkleAppender.RestoreAsync(size, _ledger, cancellationToken);
        var leaves = new List<StoredLeaf>(rows.Count);
        var nodes = new List<MerkleNode>(rows.Count * 2);
        foreach (var row in rows)
        {
            var chainPrev = previous.TryGetValue(row.StreamId, out var p) ? p : LedgerEntry.NoPreviousHash.ToArray();
            var (entry, payloadHash) = row.ToEntry(chainPrev);
            var leafHash = LeafEncoding.LeafHash(entry);
            leaves.Add(new StoredLeaf(appender.Size, row.Sequence, row.StreamId, row.Version, leafHash, chainPrev, payloadHash));
            nodes.AddRange(appender.Append(leafHash));
            previous[row.StreamId] = leafHash;
        }

        var schema = _ledger.Schema;
        operations.QueueSqlCommand(
            $"insert into {schema}.{LedgerTables.Leaves} (leaf_index, seq_id, stream_id, version, leaf_hash, chain_prev, payload_hash) " +
            "select * from unnest(?::bigint[], ?::bigint[], ?::uuid[], ?::bigint[], ?::bytea[], ?::bytea[], ?::bytea[])",
            leaves.Select(l => l.LeafIndex).ToArray(), leaves.Select(l => l.Sequence).ToArray(), leaves.Select(l => l.StreamId).ToArray(),
            leaves.Select(l => l.Version).ToArray(), leaves.Select(l => l.LeafHash).ToArray(), leaves.Select(l => l.ChainPrev).ToArray(),
            leaves.Select(l => l.PayloadHash).ToArray());
        operations.QueueSqlCommand(
            $"insert into {schema}.{LedgerTables.Nodes} (level, idx, hash) select * from unnest(?::int[], ?::bigint[], ?::bytea[])",
            nodes.Select(n => n.Level).ToArray(), nodes.Select(n => n.Index).ToArray(), nodes.Select(n => n.Hash).ToArray());
        return NullChangeListener.Instance;
    }
}
