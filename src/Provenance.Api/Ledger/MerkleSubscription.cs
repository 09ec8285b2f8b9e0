using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using Provenance.Api.Tenancy;
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
    /// <summary>Streams whose last leaf hash is kept between pages; past this many the cache starts again empty.</summary>
    const int StreamHeadLimit = 100_000;
    readonly LedgerDatabase _ledger;
    readonly Archives _archives;
    // Per archive (tenant database): what the last page left, once committed: the tree's tail, its frontier and the last leaf of each
    // stream it saw. Valid only while the stored tail is that tail (the daemon commits the page after this returns; a failed commit, a
    // rebuild or another node growing the tree changes the tail, and everything is then read again). The daemon runs one page at a time
    // per subscription and database; databases run side by side, each with its own state.
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    sealed class State
    {
        public TreeTail? Tail;
        public MerkleAppender? Appender;
        public readonly Dictionary<Guid, byte[]> StreamHeads = new();
    }

    public MerkleSubscription(LedgerDatabase ledger, Archives archives, int batchSize)
    {
        _ledger = ledger;
        _archives = archives;
        Name = SubscriptionName;
        // Every committed event is a leaf, archived or not: verification re-reads all of mt_events.
        IncludeArchivedEvents = true;
        Options.BatchSize = batchSize;
    }

    /// <summary>
    /// One page of one archive's events: the daemon hands each tenant database's pages with <paramref name="operations"/> on that
    /// database, so the ledger's reads are pointed at it too (<see cref="CurrentArchive"/>) and its leaves commit there.
    /// </summary>
    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller,
        IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var archive = _archives.OfDatabase(operations.Database);
        using var scope = CurrentArchive.Enter(archive);
        return await ProcessPageAsync(_states.GetOrAdd(archive.Id, _ => new State()), page, operations, cancellationToken);
    }

    async Task<IChangeListener> ProcessPageAsync(State state, EventRange page, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var tail = await _ledger.TreeTailAsync(cancellationToken);
        if (state.Tail is null || !state.Tail.SameAs(tail))
        {
            // First page of this process, or the tree is not what the last page left: read everything again.
            state.Tail = null;
            state.Appender = null;
            state.StreamHeads.Clear();
        }
        // A ledger grown before the public log existed (or whose entry bundles were lost) gets them rebuilt before it grows further.
        if (!tail.PublicLogCovers) await _ledger.RebuildPublicLogAsync(tail.Size, cancellationToken);
        var (size, lastSequence) = (tail.Size, tail.LastSequence);
        // A replayed page (after a restart between commit and progress, or a rebuild) adds nothing twice.
        var sequences = page.Events.Select(e => e.Sequence).Where(s => s > lastSequence).Distinct().Order().ToArray();
        if (sequences.Length == 0) return NullChangeListener.Instance;

        var rows = await _ledger.NewEventsAsync(sequences, cancellationToken);
        if (rows.Count != sequences.Length)
        {
            throw new InvalidOperationException(
                $"The daemon delivered {sequences.Length} events but mt_events holds {rows.Count} of them; refusing to build leaves.");
        }

        var streams = rows.Select(r => r.StreamId).Distinct().ToArray();
        var previous = new Dictionary<Guid, byte[]>(streams.Length);
        var unknown = new List<Guid>();
        foreach (var stream in streams)
        {
            if (state.StreamHeads.TryGetValue(stream, out var head)) previous[stream] = head;
            else unknown.Add(stream);
        }
        if (unknown.Count > 0)
        {
            foreach (var (stream, head) in await _ledger.LastLeafOfStreamsAsync(unknown.ToArray(), cancellationToken)) previous[stream] = head;
        }
        // Until this page commits, the cached state is not the stored one.
        var appender = state.Appender ?? await MerkleAppender.RestoreAsync(size, _ledger, cancellationToken);
        state.Tail = null;
        state.Appender = null;
        var leaves = new List<StoredLeaf>(rows.Count);
        var nodes = new List<MerkleNode>(rows.Count * 2);
        var bundles = new SortedDictionary<long, (int First, int Width, MemoryStream Entries)>();
        var seals = new List<(long Sequence, FieldSeal Seal)>();
        foreach (var unsealed in rows)
        {
            // Format 2: every redactable field present is sealed with a fresh salt, kept beside the event (never in the entry bundle).
            var canonical = CanonicalJson.Canonicalize(unsealed.Data);
            var row = unsealed with { Seals = FieldCommitments.Seal(canonical, SealedFields.For(unsealed.Type, _ledger.Events.Names)) };
            seals.AddRange(row.Seals!.Select(s => (row.Sequence, s)));
            var chainPrev = previous.TryGetValue(row.StreamId, out var p) ? p : LedgerEntry.NoPreviousHash.ToArray();
            var (entry, payloadHash) = row.ToEntry(chainPrev, LeafEncoding.FormatVersion2, canonical);
            var encoded = LeafEncoding.Encode(entry);
            if (encoded.Length > EntryBundle.MaxEntryBytes)
            {
                throw new InvalidOperationException(
                    $"Event {row.Sequence} encodes to {encoded.Length} bytes, more than an entry bundle carries ({EntryBundle.MaxEntryBytes}); refusing to build leaves.");
            }
            var leafHash = MerkleHash.LeafHash(encoded);
            var bundleIndex = appender.Size / TlogTiles.Width;
            if (!bundles.TryGetValue(bundleIndex, out var bundle)) bundle = ((int)(appender.Size % TlogTiles.Width), 0, new MemoryStream());
            EntryBundle.Append(bundle.Entries, encoded);
            bundles[bundleIndex] = (bundle.First, bundle.Width + 1, bundle.Entries);
            leaves.Add(new StoredLeaf(appender.Size, row.Sequence, row.StreamId, row.Version, leafHash, chainPrev, payloadHash, LeafEncoding.FormatVersion2));
            nodes.AddRange(appender.Append(leafHash));
            previous[row.StreamId] = leafHash;
        }

        var schema = _ledger.Schema;
        operations.QueueSqlCommand(
            $"insert into {schema}.{LedgerTables.Leaves} (leaf_index, seq_id, stream_id, version, leaf_hash, chain_prev, payload_hash, format) " +
            "select * from unnest(?::bigint[], ?::bigint[], ?::uuid[], ?::bigint[], ?::bytea[], ?::bytea[], ?::bytea[], ?::smallint[])",
            leaves.Select(l => l.LeafIndex).ToArray(), leaves.Select(l => l.Sequence).ToArray(), leaves.Select(l => l.StreamId).ToArray(),
            leaves.Select(l => l.Version).ToArray(), leaves.Select(l => l.LeafHash).ToArray(), leaves.Select(l => l.ChainPrev).ToArray(),
            leaves.Select(l => l.PayloadHash).ToArray(), leaves.Select(l => (short)l.Format).ToArray());
        if (seals.Count > 0)
        {
            operations.QueueSqlCommand(
                $"insert into {schema}.{LedgerTables.FieldSeals} (seq_id, path, salt, commitment) select * from unnest(?::bigint[], ?::text[], ?::bytea[], ?::bytea[])",
                seals.Select(s => s.Sequence).ToArray(), seals.Select(s => s.Seal.Path).ToArray(), seals.Select(s => s.Seal.Salt!).ToArray(),
                seals.Select(s => s.Seal.Commitment).ToArray());
        }
        // Level 0 is the leaves' own hashes, kept in ledger_leaves: only the parents are nodes (LedgerTables).
        var parents = nodes.Where(n => n.Level > 0).ToArray();
        if (parents.Length > 0)
        {
            operations.QueueSqlCommand(
                $"insert into {schema}.{LedgerTables.Nodes} (level, idx, hash) select * from unnest(?::int[], ?::bigint[], ?::bytea[])",
                parents.Select(n => n.Level).ToArray(), parents.Select(n => n.Index).ToArray(), parents.Select(n => n.Hash).ToArray());
        }

        // The hash tiles are the nodes just queued (read from ledger_nodes); the entries go into a chunk of their bundle. The daemon never
        // hands a page twice past lastSequence (see above), so each chunk is new.
        operations.QueueSqlCommand(
            $"insert into {schema}.{LedgerTables.EntryBundles} (idx, first, width, entries) select * from unnest(?::bigint[], ?::int[], ?::int[], ?::bytea[])",
            bundles.Keys.ToArray(), bundles.Values.Select(b => b.First).ToArray(), bundles.Values.Select(b => b.Width).ToArray(), bundles.Values.Select(b => b.Entries.ToArray()).ToArray());

        // The state this page leaves, for the next page to use if the stored tail then proves it committed.
        if (state.StreamHeads.Count + streams.Length > StreamHeadLimit) state.StreamHeads.Clear();
        foreach (var stream in streams) state.StreamHeads[stream] = previous[stream];
        var last = leaves[^1];
        state.Tail = new TreeTail(last.LeafIndex + 1, last.Sequence, last.LeafHash, true);
        state.Appender = appender;
        return NullChangeListener.Instance;
    }
}
