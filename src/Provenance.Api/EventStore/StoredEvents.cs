using System.Text.Json;
using System.Text.Json.Serialization;
using JasperFx.Events;
using Marten;
using Npgsql;
using NpgsqlTypes;
using Provenance.Api.Ledger;
using Provenance.Ledger;
using Provenance.Api.Tenancy;

namespace Provenance.Api.EventStore;

/// <summary>
/// One row of Marten's <c>mt_events</c>, by its named columns: the payload is the jsonb text as stored (the ledger hashes it).
/// <see cref="Seals"/> are the sealed fields the ledger keeps beside a format-2 event, read only when asked for (null otherwise).
/// </summary>
public sealed record StoredEvent(
    long Sequence, Guid Id, Guid StreamId, long Version, string Type, DateTimeOffset Timestamp, string? CorrelationId, string? CausationId,
    string Data)
{
    public IReadOnlyList<FieldSeal>? Seals { get; init; }

    /// <summary>The payload as the event record it was appended as (Marten's own JSON settings: camelCase, enums as strings).</summary>
    public T DataAs<T>() => JsonSerializer.Deserialize<T>(Data, EventJson.Options)
                            ?? throw new InvalidDataException($"Event {Sequence} ({Type}) has an empty payload.");
}

/// <summary>The JSON settings Marten stores event payloads with (see <see cref="EventStoreSetup"/>).</summary>
public static class EventJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };
}

/// <summary>
/// The stored name of each event type, taken once from Marten's own mapping (never spelled out by hand elsewhere). Read on first use,
/// so that what the store's own configuration builds (the Merkle subscription) may hold it before the store exists.
/// </summary>
public sealed class EventTypeNames
{
    readonly Lazy<(Dictionary<Type, string> ByType, Dictionary<string, Type> ByName)> _mapping;

    public EventTypeNames(Func<IDocumentStore> store) => _mapping = new(() =>
    {
        var known = store().Options.Events.AllKnownEventTypes().ToList();
        return (known.ToDictionary(t => t.EventType, t => t.EventTypeName), known.ToDictionary(t => t.EventTypeName, t => t.EventType, StringComparer.Ordinal));
    });

    public string Of<T>() => Of(typeof(T));

    public string Of(Type type) => _mapping.Value.ByType.TryGetValue(type, out var name)
        ? name
        : throw new InvalidOperationException($"{type.Name} is not a registered event type.");

    /// <summary>The event record stored under <paramref name="name"/>, or null for a name Marten does not map (its own tombstones).</summary>
    public Type? TypeOf(string name) => _mapping.Value.ByName.GetValueOrDefault(name);

    /// <summary>Every registered type's stored name.</summary>
    public IReadOnlyCollection<string> All => _mapping.Value.ByType.Values;
}

/// <summary>
/// The one reader of Marten's event tables. Every query names its columns and returns <see cref="StoredEvent"/>; a page of
/// one stream is a range of Marten's unique (stream_id, version) index, a page of the ledger or the feed a range of its seq_id key.
/// Raw SQL, because these reads must see the payload exactly as stored (the ledger hashes <c>data::text</c>), read the ledger's seals
/// beside it in the same statement, and cost one round trip. The two statements elsewhere that join <c>mt_events</c> inside a write
/// (the webhook delivery claim and replay, <see cref="Feed.WebhookDispatcher"/>, <see cref="Feed.DeliveriesEndpoint"/>) use
/// <see cref="ColumnsOf"/> or stay set-based for the same reason: one statement, no rows through the application.
/// </summary>
public sealed class StoredEvents(Archives archives, string schema, EventTypeNames names)
{
    /// <summary>The current archive's database (<see cref="CurrentArchive"/>).</summary>
    NpgsqlDataSource DataSource => archives.Current.DataSource;

    public EventTypeNames Names => names;
    string Events => $"{schema}.mt_events";

    /// <summary>The columns <see cref="Read"/> reads, in its order, of an <c>mt_events</c> row aliased <paramref name="alias"/>.</summary>
    public static string ColumnsOf(string alias) =>
        $"{alias}.seq_id, {alias}.id, {alias}.stream_id, {alias}.version, {alias}.type, {alias}.timestamp, {alias}.correlation_id, " +
        $"{alias}.causation_id, {alias}.data::text";

    const int ColumnCount = 9;

    string Columns(bool withSeals) => ColumnsOf("e") + (withSeals ? ", " + LedgerTables.SealsColumn(schema, "e") : "");

    /// <summary>The event whose <see cref="ColumnsOf"/> start at column <paramref name="first"/> of the current row.</summary>
    public static StoredEvent Read(NpgsqlDataReader r, int first = 0) => new(r.GetInt64(first), r.GetGuid(first + 1), r.GetGuid(first + 2),
        r.GetInt64(first + 3), r.GetString(first + 4), r.GetFieldValue<DateTimeOffset>(first + 5), r.IsDBNull(first + 6) ? null : r.GetString(first + 6),
        r.IsDBNull(first + 7) ? null : r.GetString(first + 7), r.GetString(first + 8));

    static Func<NpgsqlDataReader, StoredEvent> Reader(bool withSeals) => withSeals
        ? r => Read(r) with { Seals = LedgerTables.ParseSeals(r.IsDBNull(ColumnCount) ? null : r.GetString(ColumnCount)) }
        : r => Read(r);

    /// <summary>
    /// The events of one stream after <paramref name="afterVersion"/>, in stream order, optionally of some types only, up to a time, and
    /// with the ledger's seals (only where the ledger is configured: its table holds them).
    /// </summary>
    public async Task<IReadOnlyList<StoredEvent>> OfStreamAsync(Guid stream, CancellationToken ct, long afterVersion = 0, int limit = int.MaxValue,
        IReadOnlyCollection<string>? types = null, DateTimeOffset? until = null, bool withSeals = false)
    {
        await using var command = DataSource.CreateCommand($"""
            select {Columns(withSeals)} from {Events} e
            where e.stream_id = $1 and e.version > $2 and ($3::text[] is null or e.type = any($3)) and ($4::timestamptz is null or e.timestamp <= $4)
            order by e.version limit $5
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterVersion });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)types?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)until ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await ReadAllAsync(command, Reader(withSeals), ct);
    }

    /// <summary>The events at the given global sequences (absent ones are left out), in sequence order: probes of the seq_id key.</summary>
    public async Task<IReadOnlyList<StoredEvent>> AtSequencesAsync(long[] sequences, CancellationToken ct, bool withSeals = false)
    {
        await using var command = DataSource.CreateCommand($"select {Columns(withSeals)} from {Events} e where e.seq_id = any($1) order by e.seq_id");
        command.Parameters.Add(new NpgsqlParameter { Value = sequences, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        return await ReadAllAsync(command, Reader(withSeals), ct);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> events after global sequence <paramref name="after"/> (and at most <paramref name="until"/>), in
    /// sequence order, optionally of some types or one stream only: a range of the seq_id key. Only the filters given are in the statement.
    /// </summary>
    public async Task<IReadOnlyList<StoredEvent>> PageAsync(long after, int limit, CancellationToken ct, long? until = null,
        IReadOnlyCollection<string>? types = null, Guid? stream = null, bool withSeals = false)
    {
        var where = new List<string> { "e.seq_id > $1" };
        var parameters = new List<NpgsqlParameter> { new NpgsqlParameter<long> { TypedValue = after } };
        if (until is { } last)
        {
            parameters.Add(new NpgsqlParameter<long> { TypedValue = last });
            where.Add($"e.seq_id <= ${parameters.Count}");
        }
        if (types is not null)
        {
            parameters.Add(new NpgsqlParameter { Value = types.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            where.Add($"e.type = any(${parameters.Count})");
        }
        if (stream is { } id)
        {
            parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
            where.Add($"e.stream_id = ${parameters.Count}");
        }
        parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var command = DataSource.CreateCommand(
            $"select {Columns(withSeals)} from {Events} e where {string.Join(" and ", where)} order by e.seq_id limit ${parameters.Count}");
        command.Parameters.AddRange(parameters.ToArray());
        return await ReadAllAsync(command, Reader(withSeals), ct);
    }

    /// <summary>Every event of one type (Marten's index on the type column).</summary>
    public async Task<IReadOnlyList<StoredEvent>> OfTypeAsync(string type, CancellationToken ct, bool withSeals = false)
    {
        await using var command = DataSource.CreateCommand($"select {Columns(withSeals)} from {Events} e where e.type = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = type });
        return await ReadAllAsync(command, Reader(withSeals), ct);
    }

    /// <summary>
    /// Marten's daemon high-water mark (<c>mt_event_progression</c> row <c>HighWaterMark</c>): every sequence up to it is committed or
    /// proven dead. 0 before the daemon first ran.
    /// </summary>
    public async Task<long> HighWaterMarkAsync(CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand(
            $"select coalesce((select last_seq_id from {schema}.mt_event_progression where name = 'HighWaterMark'), 0)");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The newest committed sequence (0 when empty) as an SQL expression, for a write that records it in the same statement.</summary>
    public string MaxSequenceExpression => $"(select coalesce(max(seq_id), 0) from {Events})";

    /// <summary>
    /// Which streams name each content digest (or <paramref name="digest"/> only) in their payload's <c>contentDigest</c>, in events of
    /// any type but <paramref name="exceptType"/>: distinct (digest, stream) pairs, ordered.
    /// </summary>
    public async Task<IReadOnlyList<(string Digest, Guid Stream)>> StreamsNamingDigestAsync(string exceptType, string? digest, CancellationToken ct)
    {
        // The type is Marten's mapped name (EventTypeNames), never user input: inlined, as a literal the planner sees.
        await using var command = DataSource.CreateCommand(
            $"select distinct data->>'contentDigest', stream_id from {Events} " +
            $"where data ? 'contentDigest' and type <> '{exceptType}' and ($1::text is null or data->>'contentDigest' = $1) order by 1, 2");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)digest ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await ReadAllAsync(command, r => (r.GetString(0), r.GetGuid(1)), ct);
    }

    /// <summary>
    /// Of the events of <paramref name="type"/>, the newest per (stream, payload <c>contentDigest</c>) whose payload <c>outcome</c> is
    /// <paramref name="outcome"/>: its stream, digest and payload <c>detail</c>.
    /// </summary>
    public async Task<IReadOnlyList<(Guid Stream, string Digest, string? Detail)>> LatestPerDigestWithOutcomeAsync(string type, string outcome,
        CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand(
            $"select stream_id, digest, detail from (select distinct on (stream_id, data->>'contentDigest') stream_id, " +
            $"data->>'contentDigest' as digest, data->>'outcome' as outcome, data->>'detail' as detail from {Events} " +
            $"where type = '{type}' order by stream_id, data->>'contentDigest', seq_id desc) latest where outcome = '{outcome}'");
        return await ReadAllAsync(command, r => (r.GetGuid(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)), ct);
    }

    static async Task<IReadOnlyList<T>> ReadAllAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct)) rows.Add(read(reader));
        return rows;
    }
}
