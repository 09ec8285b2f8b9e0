using Npgsql;
using NpgsqlTypes;
using Provenance.Ledger;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Provenance.Api.Ledger;

/// <summary>
/// The document map (Provenance.Ledger README §8) in PostgreSQL. <c>ledger_map_nodes</c> keeps every version of every node: a
/// checkpoint of tree size N writes, at version N, the nodes its documents' changes since the previous map touched, so the map as of
/// any checkpoint is the newest row at or below its size at each position. <c>ledger_map_roots</c> holds each version's root.
/// </summary>
public sealed class DocumentMapStore(LedgerDatabase ledger)
{
    public const string Nodes = "ledger_map_nodes";
    public const string Roots = "ledger_map_roots";

    public static IEnumerable<Table> SchemaObjects(string schema)
    {
        var nodes = new Table(new PostgresqlObjectName(schema, Nodes, SchemaUtils.IdentifierUsage.General));
        nodes.AddColumn<int>("depth").AsPrimaryKey();
        nodes.AddColumn("path", "bytea").AsPrimaryKey();
        nodes.AddColumn<long>("version").AsPrimaryKey();
        nodes.AddColumn("hash", "bytea").NotNull();
        nodes.AddColumn("leaf_key", "bytea");
        nodes.AddColumn("leaf_value", "bytea");
        yield return nodes;

        var roots = new Table(new PostgresqlObjectName(schema, Roots, SchemaUtils.IdentifierUsage.General));
        roots.AddColumn<long>("tree_size").AsPrimaryKey();
        roots.AddColumn("root_hash", "bytea").NotNull();
        roots.AddColumn<long>("documents_changed").NotNull();
        yield return roots;
    }

    internal LedgerDatabase Ledger => ledger;
    string T(string table) => $"{ledger.Schema}.{table}";

    /// <summary>The newest map version (the tree size it covers) and its root; (0, empty root) before the first.</summary>
    public async Task<(long TreeSize, byte[] Root)> LatestAsync(CancellationToken ct)
    {
        await using var command = ledger.DataSource.CreateCommand($"select tree_size, root_hash from {T(Roots)} order by tree_size desc limit 1");
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt64(0), (byte[])reader[1]) : (0, DocumentMap.Empty);
    }

    /// <summary>The root of the map at exactly <paramref name="treeSize"/>; null when no map was committed at that size.</summary>
    public async Task<byte[]?> RootAtAsync(long treeSize, CancellationToken ct)
    {
        await using var command = ledger.DataSource.CreateCommand($"select root_hash from {T(Roots)} where tree_size = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = treeSize });
        return await command.ExecuteScalarAsync(ct) as byte[];
    }

    /// <summary>
    /// Each document with a leaf in <c>[from, to)</c> and its value among the first <paramref name="to"/> leaves: its count there and its
    /// newest leaf. Two index reads per document (the <c>(stream_id, leaf_index)</c> index).
    /// </summary>
    public async Task<IReadOnlyList<MapValue>> ChangedAsync(long from, long to, CancellationToken ct)
    {
        var leaves = T(LedgerTables.Leaves);
        await using var command = ledger.DataSource.CreateCommand(
            $"select c.stream_id, n.count, l.seq_id, l.leaf_index, l.leaf_hash from (select distinct stream_id from {leaves} where leaf_index >= $1 and leaf_index < $2) c " +
            $"cross join lateral (select count(*) as count from {leaves} where stream_id = c.stream_id and leaf_index < $2) n " +
            $"cross join lateral (select seq_id, leaf_index, leaf_hash from {leaves} where stream_id = c.stream_id and leaf_index < $2 order by leaf_index desc limit 1) l");
        command.Parameters.Add(new NpgsqlParameter { Value = from });
        command.Parameters.Add(new NpgsqlParameter { Value = to });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var values = new List<MapValue>();
        while (await reader.ReadAsync(ct)) values.Add(new MapValue(reader.GetGuid(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), (byte[])reader[4]));
        return values;
    }

    /// <summary>The map's new nodes and root at <paramref name="treeSize"/>, from the latest map version below it.</summary>
    public async Task<(byte[] Root, IReadOnlyList<MapNode> Nodes, int Changed)> ComputeAsync(long treeSize, CancellationToken ct)
    {
        var (previous, root) = await LatestAsync(ct);
        if (previous >= treeSize) throw new InvalidOperationException($"The document map already covers {previous} leaves.");
        var changed = await ChangedAsync(previous, treeSize, ct);
        var update = await MapTree.UpdateAsync(AsOf(previous), changed.Select(v => (DocumentMap.Key(v.DocumentId), v.Encode())), ct);
        return (changed.Count == 0 ? root : update.Root, update.Nodes, changed.Count);
    }

    /// <summary>Queues the inserts of a computed map version on <paramref name="batch"/> (committed with the checkpoint).</summary>
    public void AddWrites(NpgsqlBatch batch, long treeSize, byte[] root, IReadOnlyList<MapNode> nodes, int changed)
    {
        var insertNodes = new NpgsqlBatchCommand(
            $"insert into {T(Nodes)} (depth, path, version, hash, leaf_key, leaf_value) " +
            "select d, p, $3, h, k, v from unnest($1::int[], $2::bytea[], $4::bytea[], $5::bytea[], $6::bytea[]) as n(d, p, h, k, v) on conflict do nothing");
        insertNodes.Parameters.Add(new NpgsqlParameter { Value = nodes.Select(n => n.Position.Depth).ToArray() });
        insertNodes.Parameters.Add(new NpgsqlParameter { Value = nodes.Select(n => n.Position.PrefixBytes()).ToArray() });
        insertNodes.Parameters.Add(new NpgsqlParameter { Value = treeSize });
        insertNodes.Parameters.Add(new NpgsqlParameter { Value = nodes.Select(n => n.Hash).ToArray() });
        insertNodes.Parameters.Add(new NpgsqlParameter { Value = nodes.Select(n => n.LeafKey).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        insertNodes.Parameters.Add(new NpgsqlParameter { Value = nodes.Select(n => n.LeafValue).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        batch.BatchCommands.Add(insertNodes);
        var insertRoot = new NpgsqlBatchCommand($"insert into {T(Roots)} (tree_size, root_hash, documents_changed) values ($1, $2, $3) on conflict do nothing");
        insertRoot.Parameters.Add(new NpgsqlParameter { Value = treeSize });
        insertRoot.Parameters.Add(new NpgsqlParameter { Value = root });
        insertRoot.Parameters.Add(new NpgsqlParameter { Value = (long)changed });
        batch.BatchCommands.Add(insertRoot);
    }

    /// <summary>The map as of <paramref name="treeSize"/>.</summary>
    public IMapNodeSource AsOf(long treeSize) => new Source(this, treeSize);

    /// <summary>The completeness proof of <paramref name="documentId"/> at a checkpoint; null when no map was committed at its size.</summary>
    public async Task<CompletenessProof?> ProveAsync(Guid documentId, long treeSize, CancellationToken ct)
    {
        if (await RootAtAsync(treeSize, ct) is not { } root) return null;
        var proof = await MapTree.ProveAsync(AsOf(treeSize), DocumentMap.Key(documentId), ct);
        return CompletenessProof.From(treeSize, root, proof);
    }

    sealed class Source(DocumentMapStore store, long version) : IMapNodeSource
    {
        public async ValueTask<IReadOnlyDictionary<MapPosition, MapNode>> GetMapNodesAsync(IReadOnlyCollection<MapPosition> positions, CancellationToken ct = default)
        {
            var result = new Dictionary<MapPosition, MapNode>();
            if (positions.Count == 0) return result;
            var list = positions.Distinct().ToList();
            await using var command = store.Ledger.DataSource.CreateCommand(
                $"select q.depth, q.path, n.hash, n.leaf_key, n.leaf_value from unnest($1::int[], $2::bytea[]) as q(depth, path) cross join lateral " +
                $"(select hash, leaf_key, leaf_value from {store.T(Nodes)} where depth = q.depth and path = q.path and version <= $3 order by version desc limit 1) n");
            command.Parameters.Add(new NpgsqlParameter { Value = list.Select(p => p.Depth).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = list.Select(p => p.PrefixBytes()).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = version });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var position = new MapPosition(reader.GetInt32(0), Convert.ToHexStringLower((byte[])reader[1]));
                result[position] = new MapNode(position, (byte[])reader[2], reader.IsDBNull(3) ? null : (byte[])reader[3], reader.IsDBNull(4) ? null : (byte[])reader[4]);
            }
            return result;
        }
    }
}
