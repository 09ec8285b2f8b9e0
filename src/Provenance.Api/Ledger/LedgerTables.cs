using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Provenance.Api.EventStore;
using Provenance.Ledger;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Ledger;

/// <summary>
/// The ledger's own tables beside Marten's. <c>ledger_leaves</c> maps each event's global sequence to its dense leaf index:
/// Marten's sequence has gaps (rolled-back transactions take numbers and never commit; the daemon skips such gaps once
/// they are proven dead), so leaf <c>i</c> is the i-th lowest <c>seq_id</c> present in <c>mt_events</c>, never <c>seq_id</c> itself.
/// <c>ledger_nodes</c> holds every perfect subtree hash above the leaves (level 0, the leaf hashes, is <c>ledger_leaves.leaf_hash</c>),
/// written in the daemon's transaction, and so are the entry bundles (<c>ledger_entry_chunks</c>); with the hash tiles, read from
/// <c>ledger_leaves</c> (level 0) and <c>ledger_nodes</c>, they are the public log's resources (c2sp.org/tlog-tiles).
/// </summary>
public static class LedgerTables
{
    public const string Leaves = "ledger_leaves";
    public const string Nodes = "ledger_nodes";
    public const string Checkpoints = "ledger_checkpoints";
    public const string SigningKeys = "ledger_signing_keys";
    /// <summary>
    /// The entry bundles, as the chunks the pages of the Merkle subscription wrote: each page inserts, for each bundle it adds to, one
    /// row of its consecutive entries starting at offset <c>first</c> in the bundle; a bundle is its chunks in order of <c>first</c>.
    /// Appending to one row per bundle instead rewrote the whole (TOASTed, up to 256-entry) bundle on every page: 21 MB of WAL for
    /// 16,512 appends, the ledger's largest write (bench/README.md, "Ledger cost").
    /// </summary>
    public const string EntryBundles = "ledger_entry_chunks";
    public const string Cosignatures = "ledger_cosignatures";
    public const string Timestamps = "ledger_timestamps";
    public const string FieldSeals = "ledger_field_seals";

    /// <summary>
    /// The seals of a format-2 event as a JSON array <c>[[path, base64 salt or null, base64 commitment], …]</c> (null when none), for an
    /// <c>mt_events</c> row aliased <paramref name="alias"/>: one correlated subquery on the seals' primary key.
    /// </summary>
    public static string SealsColumn(string schema, string alias) =>
        $"(select json_agg(json_build_array(s.path, encode(s.salt, 'base64'), encode(s.commitment, 'base64')) order by s.path)::text " +
        $"from {schema}.{FieldSeals} s where s.seq_id = {alias}.seq_id)";

    public static IReadOnlyList<FieldSeal> ParseSeals(string? json)
    {
        if (json is null) return [];
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(s => new FieldSeal(s[0].GetString()!,
            s[1].ValueKind == JsonValueKind.Null ? null : Convert.FromBase64String(s[1].GetString()!), Convert.FromBase64String(s[2].GetString()!))).ToList();
    }

    public static IEnumerable<Table> SchemaObjects(string schema)
    {
        var leaves = new Table(new PostgresqlObjectName(schema, Leaves, SchemaUtils.IdentifierUsage.General));
        leaves.AddColumn<long>("leaf_index").AsPrimaryKey();
        leaves.AddColumn<long>("seq_id").NotNull().AddIndex(i => i.IsUnique = true);
        leaves.AddColumn<Guid>("stream_id").NotNull();
        leaves.AddColumn<long>("version").NotNull();
        leaves.AddColumn("leaf_hash", "bytea").NotNull();
        leaves.AddColumn("chain_prev", "bytea").NotNull();
        // SHA-256 of the canonical payload: lets verification tell "payload changed" from "payload moved to another sequence".
        leaves.AddColumn("payload_hash", "bytea").NotNull();
        // The leaf format (README §2, §2a): 1 for leaves committed before format 2 existed, 2 since.
        leaves.AddColumn("format", "smallint").NotNull().DefaultValueByExpression("1");
        leaves.Indexes.Add(new IndexDefinition($"ix_{Leaves}_stream") { Columns = ["stream_id", "leaf_index"] });
        yield return leaves;

        // The perfect subtrees above the leaves (level ≥ 1). Level 0 is each leaf's hash, read from ledger_leaves: storing it here too
        // cost about 0.35 KB of WAL per append (bench/README.md, "Ledger cost"). Installations from before hold level-0 rows here
        // as well; nothing reads them.
        var nodes = new Table(new PostgresqlObjectName(schema, Nodes, SchemaUtils.IdentifierUsage.General));
        nodes.AddColumn<int>("level").AsPrimaryKey();
        nodes.AddColumn<long>("idx").AsPrimaryKey();
        nodes.AddColumn("hash", "bytea").NotNull();
        yield return nodes;

        // c2sp.org/tlog-tiles hash tiles are not stored: tile (L, N) of width W is the nodes (8·L, 256·N … 256·N + W − 1) of
        // ledger_nodes, read by one range of its primary key (PublicLog.HashesAsync). A table of tiles rewritten on every page
        // cost 0.45 KB of WAL per append for a copy of what ledger_nodes already holds (bench/README.md, "Ledger cost").

        // Entry bundles: the leaf encodings of 256 consecutive leaves, uint16 length-prefixed, in chunks (see EntryBundles).
        var bundles = new Table(new PostgresqlObjectName(schema, EntryBundles, SchemaUtils.IdentifierUsage.General));
        bundles.AddColumn<long>("idx").AsPrimaryKey();
        bundles.AddColumn<int>("first").AsPrimaryKey();
        bundles.AddColumn<int>("width").NotNull();
        bundles.AddColumn("entries", "bytea").NotNull();
        yield return bundles;

        // Beside each format-2 event, its sealed fields: salt and commitment, the salt dropped when the value is erased (README §2a).
        var seals = new Table(new PostgresqlObjectName(schema, FieldSeals, SchemaUtils.IdentifierUsage.General));
        seals.AddColumn<long>("seq_id").AsPrimaryKey();
        seals.AddColumn<string>("path").AsPrimaryKey();
        seals.AddColumn("salt", "bytea");
        seals.AddColumn("commitment", "bytea").NotNull();
        yield return seals;

        var checkpoints = new Table(new PostgresqlObjectName(schema, Checkpoints, SchemaUtils.IdentifierUsage.General));
        checkpoints.AddColumn<long>("tree_size").AsPrimaryKey();
        checkpoints.AddColumn("root_hash", "bytea").NotNull();
        checkpoints.AddColumn<string>("note").NotNull();
        checkpoints.AddColumn("created_at", "timestamptz").NotNull();
        yield return checkpoints;

        // Witness cosignatures of a checkpoint (c2sp.org/tlog-cosignature), one signature line per witness key.
        var cosignatures = new Table(new PostgresqlObjectName(schema, Cosignatures, SchemaUtils.IdentifierUsage.General));
        cosignatures.AddColumn<long>("tree_size").AsPrimaryKey();
        cosignatures.AddColumn<string>("verifier_key").AsPrimaryKey();
        cosignatures.AddColumn<string>("line").NotNull();
        cosignatures.AddColumn("cosigned_at", "timestamptz").NotNull();
        cosignatures.AddColumn("received_at", "timestamptz").NotNull();
        yield return cosignatures;

        // RFC 3161 TimeStampResp (DER) of a checkpoint's note as the log signed it, verified on receipt.
        var timestamps = new Table(new PostgresqlObjectName(schema, Timestamps, SchemaUtils.IdentifierUsage.General));
        timestamps.AddColumn<long>("tree_size").AsPrimaryKey();
        timestamps.AddColumn<string>("authority").AsPrimaryKey();
        timestamps.AddColumn("response", "bytea").NotNull();
        timestamps.AddColumn("gen_time", "timestamptz").NotNull();
        timestamps.AddColumn("received_at", "timestamptz").NotNull();
        yield return timestamps;

        var keys = new Table(new PostgresqlObjectName(schema, SigningKeys, SchemaUtils.IdentifierUsage.General));
        keys.AddColumn<string>("origin").AsPrimaryKey();
        keys.AddColumn<string>("signer_key").NotNull();
        keys.AddColumn("created_at", "timestamptz").NotNull();
        yield return keys;
    }
}

/// <summary>One stored leaf: where an event sits in the tree and what it committed to.</summary>
public sealed record StoredLeaf(long LeafIndex, long Sequence, Guid StreamId, long Version, byte[] LeafHash, byte[] ChainPrev, byte[] PayloadHash,
    byte Format = LeafEncoding.FormatVersion);

/// <summary>
/// An <c>mt_events</c> row (<see cref="StoredEvent"/>, read with its seals) as the ledger hashes it: the payload is the jsonb text read
/// back, <see cref="StoredEvent.Seals"/> the sealed fields kept beside it (format 2).
/// </summary>
public static class LedgerRows
{
    /// <summary>
    /// The ledger entry of this event in leaf <paramref name="format"/>, chained to <paramref name="previousHash"/>, with what its payload
    /// field commits to: the canonical payload's SHA-256 (format 1) or the payload digest over its seals (format 2). Throws
    /// <see cref="FormatException"/> when a sealed field is missing from the payload.
    /// </summary>
    public static (LedgerEntry Entry, byte[] PayloadHash) ToEntry(this StoredEvent ev, ReadOnlyMemory<byte> previousHash, byte format = LeafEncoding.FormatVersion,
        byte[]? canonicalPayload = null)
    {
        // The caller may pass the RFC 8785 bytes of ev.Data it already computed (the Merkle subscription seals from them).
        var canonical = canonicalPayload ?? CanonicalJson.Canonicalize(ev.Data);
        var timestamp = LeafEncoding.TruncateToMicroseconds(ev.Timestamp);
        if (format == LeafEncoding.FormatVersion2)
        {
            var digest = FieldCommitments.PayloadDigest(canonical, ev.Seals ?? []);
            return (new LedgerEntry(ev.Sequence, ev.StreamId, ev.Version, ev.Type, timestamp, ActorOf(canonical), digest, previousHash) { Format = format }, digest);
        }
        return (new LedgerEntry(ev.Sequence, ev.StreamId, ev.Version, ev.Type, timestamp, ActorOf(canonical), canonical, previousHash), SHA256.HashData(canonical));
    }

    /// <summary><see cref="ToEntry"/> for verification: a sealed field removed from the payload is a changed payload, not a crash.</summary>
    public static (LedgerEntry? Entry, byte[] PayloadHash) TryToEntry(this StoredEvent ev, ReadOnlyMemory<byte> previousHash, byte format)
    {
        try
        {
            return ev.ToEntry(previousHash, format);
        }
        catch (FormatException)
        {
            return (null, []);
        }
    }

    /// <summary>Every Provenance event record carries <c>Actor</c>; Marten's own events (tombstones) commit to an empty actor.</summary>
    static string ActorOf(byte[] canonical)
    {
        using var json = JsonDocument.Parse(canonical);
        return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("actor", out var actor)
            && actor.ValueKind == JsonValueKind.String ? actor.GetString()! : "";
    }
}

/// <summary>
/// Reads the ledger's tables with plain SQL (one round trip per call), and Marten's events through <see cref="StoredEvents"/>, always
/// with the seals the ledger keeps beside them. The Merkle node fetch (<see cref="InclusionAsync"/>, <see cref="FindNodesAsync"/>) is raw
/// SQL on purpose: the proof benchmark (bench/README.md, ProofMillion) needs the leaf and its tile siblings in one statement.
/// </summary>
public sealed class LedgerDatabase(Archives archives, string schema, StoredEvents events) : IMerkleNodeSource
{
    public string Schema => schema;
    /// <summary>The current archive's database (<see cref="CurrentArchive"/>).</summary>
    public NpgsqlDataSource DataSource => archives.Current.DataSource;
    public StoredEvents Events => events;
    string T(string table) => $"{schema}.{table}";

    /// <summary>The events at the given sequences, in sequence order, with their seals.</summary>
    public Task<IReadOnlyList<StoredEvent>> EventsAsync(long[] sequences, CancellationToken ct) => events.AtSequencesAsync(sequences, ct, withSeals: true);

    /// <summary>
    /// The events at the given sequences, in sequence order, without seals: for the Merkle subscription, whose events are not in the tree
    /// yet and so have none (it seals them itself).
    /// </summary>
    public Task<IReadOnlyList<StoredEvent>> NewEventsAsync(long[] sequences, CancellationToken ct) => events.AtSequencesAsync(sequences, ct);

    /// <summary>Every event of one stream, in version order, with their seals.</summary>
    public Task<IReadOnlyList<StoredEvent>> EventsOfStreamAsync(Guid streamId, CancellationToken ct) => events.OfStreamAsync(streamId, ct, withSeals: true);

    /// <summary>Up to <paramref name="limit"/> events after <paramref name="afterSequence"/>, in sequence order, with their seals.</summary>
    public Task<IReadOnlyList<StoredEvent>> EventPageAsync(long afterSequence, int limit, CancellationToken ct)
        => events.PageAsync(afterSequence, limit, ct, withSeals: true);

    /// <summary>Every field erased by a committed redaction in the whole ledger (one indexed query on the event type).</summary>
    public async Task<HashSet<(Guid Stream, long Version, string Path)>> ErasedFieldsAsync(CancellationToken ct)
        => SealedFields.ErasedBy(await events.OfTypeAsync(events.Names.Of<Documents.DocumentRedacted>(), ct), events.Names);

    static StoredLeaf ReadLeaf(NpgsqlDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetGuid(2), r.GetInt64(3), (byte[])r[4], (byte[])r[5], (byte[])r[6], (byte)r.GetInt16(7));

    const string LeafColumns = "leaf_index, seq_id, stream_id, version, leaf_hash, chain_prev, payload_hash, format";

    public async Task<IReadOnlyList<StoredLeaf>> LeafPageAsync(long fromIndex, int limit, CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand($"select {LeafColumns} from {T(LedgerTables.Leaves)} where leaf_index >= $1 order by leaf_index limit $2");
        command.Parameters.Add(new NpgsqlParameter { Value = fromIndex });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadAllAsync(command, ReadLeaf, ct);
    }

    public async Task<StoredLeaf?> LeafBySequenceAsync(long sequence, CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand($"select {LeafColumns} from {T(LedgerTables.Leaves)} where seq_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = sequence });
        return (await ReadAllAsync(command, ReadLeaf, ct)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<StoredLeaf>> LeavesOfStreamAsync(Guid streamId, CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand($"select {LeafColumns} from {T(LedgerTables.Leaves)} where stream_id = $1 order by leaf_index");
        command.Parameters.Add(new NpgsqlParameter { Value = streamId });
        return await ReadAllAsync(command, ReadLeaf, ct);
    }

    /// <summary>The leaf hash of the newest leaf of each given stream (the hash the next event of that stream chains to).</summary>
    public async Task<Dictionary<Guid, byte[]>> LastLeafOfStreamsAsync(Guid[] streams, CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand(
            $"select s.id, l.leaf_hash from unnest($1::uuid[]) as s(id) cross join lateral " +
            $"(select leaf_hash from {T(LedgerTables.Leaves)} where stream_id = s.id order by leaf_index desc limit 1) l");
        command.Parameters.Add(new NpgsqlParameter { Value = streams, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        var rows = await ReadAllAsync(command, r => (r.GetGuid(0), (byte[])r[1]), ct);
        return rows.ToDictionary(r => r.Item1, r => r.Item2);
    }

    /// <summary>
    /// The tree's tail: its size, the sequence and hash of its last leaf, and whether the public log's last entry bundle
    /// holds exactly those leaves (false for a ledger grown before the bundles existed, which
    /// <see cref="RebuildPublicLogAsync"/> then rebuilds), in one statement: a backward probe of the leaf index's primary
    /// key and one range of the entry chunks' key. The Merkle subscription compares it with the tail its last page left to know its
    /// cached state is still the stored one.
    /// </summary>
    public async Task<TreeTail> TreeTailAsync(CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand($"""
            with tail as (select leaf_index + 1 as size, seq_id, leaf_hash from {T(LedgerTables.Leaves)} order by leaf_index desc limit 1)
            select t.size, t.seq_id, t.leaf_hash,
                coalesce((select sum(width) from {T(LedgerTables.EntryBundles)} where idx = (t.size - 1) / {TlogTiles.Width}) = (t.size - 1) % {TlogTiles.Width} + 1, false)
            from tail t
            """);
        var rows = await ReadAllAsync(command, r => new TreeTail(r.GetInt64(0), r.GetInt64(1), (byte[])r[2], r.GetBoolean(3)), ct);
        return rows.Count == 0 ? TreeTail.Empty : rows[0];
    }

    /// <summary>The tree size (number of leaves) and the sequence of the last leaf; (0, 0) when empty.</summary>
    public async Task<(long Size, long LastSequence)> TreeStateAsync(CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand(
            $"select coalesce(max(leaf_index) + 1, 0), coalesce(max(seq_id), 0) from {T(LedgerTables.Leaves)}");
        var rows = await ReadAllAsync(command, r => (r.GetInt64(0), r.GetInt64(1)), ct);
        return rows[0];
    }

    /// <summary>The leaf inputs (entries) of the given leaves, read from their entry bundles in one query; absent ones are left out.</summary>
    public async Task<Dictionary<long, byte[]>> EntriesAsync(IReadOnlyCollection<long> leafIndexes, CancellationToken ct)
    {
        var result = new Dictionary<long, byte[]>();
        if (leafIndexes.Count == 0) return result;
        await using var command = DataSource.CreateCommand($"select idx, string_agg(entries, ''::bytea order by first) from {T(LedgerTables.EntryBundles)} where idx = any($1) group by idx");
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = leafIndexes.Select(i => i / TlogTiles.Width).Distinct().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint,
        });
        var bundles = await ReadAllAsync(command, r => (r.GetInt64(0), (byte[])r[1]), ct);
        var byIndex = bundles.ToDictionary(b => b.Item1, b => EntryBundle.Split(b.Item2));
        foreach (var leaf in leafIndexes)
        {
            if (byIndex.TryGetValue(leaf / TlogTiles.Width, out var entries) && leaf % TlogTiles.Width < entries.Count)
            {
                result[leaf] = entries[(int)(leaf % TlogTiles.Width)].ToArray();
            }
        }
        return result;
    }

    /// <summary>
    /// Rebuilds the entry bundles (from the events, chained as the leaves record; the hash tiles are read from the nodes) of the tree
    /// of <paramref name="size"/> leaves, in one transaction. Refuses an event that no longer hashes to its leaf: the log publishes
    /// what the tree committed to, or nothing.
    /// </summary>
    public async Task RebuildPublicLogAsync(long size, CancellationToken ct)
    {
        await using var connection = await DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var clear = new NpgsqlCommand(
            // ledger_entry_bundles and ledger_tiles: the tables of installations before the chunks and before tiles were read from the
            // nodes; the bundles' entries are rebuilt here.
            $"delete from {T(LedgerTables.EntryBundles)}; drop table if exists {T("ledger_entry_bundles")}; drop table if exists {T("ledger_tiles")}", connection, transaction))
        {
            await clear.ExecuteNonQueryAsync(ct);
        }
        const int page = 16 * TlogTiles.Width;
        for (long from = 0; from < size; from += page)
        {
            var leaves = (await LeafPageAsync(from, page, ct)).Where(l => l.LeafIndex < size).ToList();
            var rows = (await EventsAsync(leaves.Select(l => l.Sequence).ToArray(), ct)).ToDictionary(r => r.Sequence);
            var erased = await ErasedFieldsAsync(ct);
            var bundles = new List<(long Index, int Width, byte[] Entries)>();
            foreach (var chunk in leaves.Chunk(TlogTiles.Width))
            {
                var entries = chunk.Select(leaf =>
                {
                    if (!rows.TryGetValue(leaf.Sequence, out var row))
                    {
                        throw new InvalidOperationException($"Event {leaf.Sequence} is missing; refusing to publish the entry of leaf {leaf.LeafIndex}.");
                    }
                    var (matches, redactedFormat1, _, _) = LeafJudgement.Judge(row, leaf, leaf.ChainPrev, erased);
                    // An erased format-1 event is published without the erased values: its entry no longer hashes to its leaf (README §2a).
                    return matches || redactedFormat1
                        ? LeafEncoding.Encode(row.ToEntry(leaf.ChainPrev, leaf.Format).Entry)
                        : throw new InvalidOperationException($"Event {leaf.Sequence} no longer hashes to leaf {leaf.LeafIndex}; refusing to publish its entry.");
                });
                bundles.Add((chunk[0].LeafIndex / TlogTiles.Width, chunk.Length, EntryBundle.Encode(entries)));
            }
            await using var insert = new NpgsqlCommand(
                $"insert into {T(LedgerTables.EntryBundles)} (idx, first, width, entries) select i, 0, w, e from unnest($1::bigint[], $2::int[], $3::bytea[]) as u(i, w, e)", connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter { Value = bundles.Select(b => b.Index).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = bundles.Select(b => b.Width).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = bundles.Select(b => b.Entries).ToArray() });
            await insert.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Nodes at tree level 8 and above, once read: a stored node is a perfect subtree, so its hash never changes. A proof then reads
    /// its leaf and that leaf's level-0 hash tile in one query and takes the rest from here (about N/128 hashes for N leaves). Keyed by
    /// archive too: every archive has a tree of its own.
    /// </summary>
    readonly System.Collections.Concurrent.ConcurrentDictionary<(string Archive, NodeId Node), byte[]> _upperNodes = new();
    const int UpperNodeLimit = 200_000;

    /// <summary>
    /// The inclusion proof of the event at <paramref name="sequence"/> in the tree of <paramref name="treeSize"/> leaves, and its leaf
    /// (null when the event has no leaf yet, or is not among the first <paramref name="treeSize"/>): one round trip reads the leaf with
    /// its siblings below level 8, the nodes above come from <see cref="_upperNodes"/>, and only those not seen
    /// before cost a second query.
    /// </summary>
    public async Task<(StoredLeaf? Leaf, InclusionProof? Proof)> InclusionAsync(long sequence, long treeSize, CancellationToken ct)
    {
        // The leaf and its siblings below level 8 (node (k, (i >> k) xor 1)) in one statement: nine index probes, one round trip.
        await using var command = DataSource.CreateCommand(
            $"select {LeafColumns}, n.level as node_level, n.idx as node_idx, n.hash as node_hash from {T(LedgerTables.Leaves)} l " +
            $"left join lateral (select level, idx, hash from {T(LedgerTables.Nodes)} where (level, idx) in " +
            $"(select k, (l.leaf_index >> k) # 1 from generate_series(1, {TlogTiles.Height - 1}) k) " +
            $"union all select 0, s.leaf_index, s.leaf_hash from {T(LedgerTables.Leaves)} s where s.leaf_index = l.leaf_index # 1) n on true where l.seq_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = sequence });
        var rows = await ReadAllAsync(command, r => (Leaf: ReadLeaf(r), Node: r.IsDBNull(r.GetOrdinal("node_hash")) ? null
            : new MerkleNode(r.GetInt32(r.GetOrdinal("node_level")), r.GetInt64(r.GetOrdinal("node_idx")), (byte[])r["node_hash"])), ct);
        if (rows.Count == 0) return (null, null);
        var leaf = rows[0].Leaf;
        if (leaf.LeafIndex >= treeSize) return (leaf, null);
        var archive = archives.Current.Id;
        var siblings = rows.Where(r => r.Node is not null).ToDictionary(r => new NodeId(r.Node!.Level, r.Node.Index), r => r.Node!.Hash);
        var plan = ProofPlan.ForInclusion(leaf.LeafIndex, treeSize);
        var hashes = new byte[plan.Nodes.Count][];
        var missing = new List<int>();
        for (var i = 0; i < plan.Nodes.Count; i++)
        {
            var id = plan.Nodes[i];
            if (siblings.TryGetValue(id, out var sibling)) hashes[i] = sibling;
            else if (_upperNodes.TryGetValue((archive, id), out var cached)) hashes[i] = cached;
            else missing.Add(i);
        }
        if (missing.Count > 0)
        {
            var found = await FindNodesAsync(missing.Select(i => plan.Nodes[i]).ToList(), ct);
            foreach (var i in missing)
            {
                var id = plan.Nodes[i];
                hashes[i] = found.TryGetValue(id, out var hash) ? hash : throw new KeyNotFoundException($"Merkle node {id} is not stored.");
                if (id.Level >= TlogTiles.Height && _upperNodes.Count < UpperNodeLimit) _upperNodes.TryAdd((archive, id), hash);
            }
        }
        return (leaf, plan.Assemble(hashes));
    }

    public byte[] GetNode(int level, long index) =>
        GetNodesAsync([new NodeId(level, index)]).AsTask().GetAwaiter().GetResult()[0];

    /// <summary>All requested node hashes in one query; throws <see cref="KeyNotFoundException"/> naming the first absent node.</summary>
    public async ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<NodeId> ids, CancellationToken cancellationToken = default)
    {
        var found = await FindNodesAsync(ids, cancellationToken);
        return ids.Select(id => found.TryGetValue(id, out var hash) ? hash : throw new KeyNotFoundException($"Merkle node {id} is not stored.")).ToArray();
    }

    /// <summary>The stored hashes among <paramref name="ids"/> (absent ones are left out).</summary>
    public async Task<Dictionary<NodeId, byte[]>> FindNodesAsync(IReadOnlyList<NodeId> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return [];
        // Level 0 is the leaves' own hashes (ledger_leaves); rows at level 0 that older installations wrote to ledger_nodes are not read.
        await using var command = DataSource.CreateCommand(
            $"select n.level, n.idx, n.hash from {T(LedgerTables.Nodes)} n join unnest($1::int[], $2::bigint[]) as q(level, idx) " +
            "on n.level = q.level and n.idx = q.idx where q.level > 0 " +
            $"union all select 0, l.leaf_index, l.leaf_hash from {T(LedgerTables.Leaves)} l join unnest($1::int[], $2::bigint[]) as q(level, idx) " +
            "on q.level = 0 and l.leaf_index = q.idx");
        command.Parameters.Add(new NpgsqlParameter { Value = ids.Select(i => i.Level).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = ids.Select(i => i.Index).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        var rows = await ReadAllAsync(command, r => (new NodeId(r.GetInt32(0), r.GetInt64(1)), (byte[])r[2]), ct);
        var result = new Dictionary<NodeId, byte[]>();
        foreach (var (id, hash) in rows) result[id] = hash;
        return result;
    }

    static async Task<List<T>> ReadAllAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct)) list.Add(read(reader));
        return list;
    }
}

/// <summary>The last leaf of the tree (the tree's size, that leaf's event sequence and its hash) and whether the public log covers it.</summary>
public sealed record TreeTail(long Size, long LastSequence, byte[] LastLeafHash, bool PublicLogCovers)
{
    public static readonly TreeTail Empty = new(0, 0, [], true);

    public bool SameAs(TreeTail other) => Size == other.Size && LastSequence == other.LastSequence && LastLeafHash.AsSpan().SequenceEqual(other.LastLeafHash);
}
