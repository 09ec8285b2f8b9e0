using System.Text.Json;
using System.Text.Json.Serialization;
using JasperFx.Events;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Provenance.Api.Hosting;

namespace Provenance.Api.EventStore;

/// <summary>One row of Marten's <c>mt_events</c>, by its named columns: the payload is the jsonb text as stored.</summary>
public sealed record StoredEvent(
    long Sequence, Guid Id, Guid StreamId, long Version, string Type, DateTimeOffset Timestamp, string? CorrelationId, string? CausationId,
    string Data)
{
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

/// <summary>The stored name of each event type, taken once from Marten's own mapping (never spelled out by hand elsewhere).</summary>
public sealed class EventTypeNames
{
    readonly Dictionary<Type, string> _byType;

    public EventTypeNames(IDocumentStore store)
        => _byType = store.Options.Events.AllKnownEventTypes().ToDictionary(t => t.EventType, t => t.EventTypeName);

    public string Of<T>() => Of(typeof(T));

    public string Of(Type type) => _byType.TryGetValue(type, out var name)
        ? name
        : throw new InvalidOperationException($"{type.Name} is not a registered event type.");

    /// <summary>Every registered type's stored name.</summary>
    public IReadOnlyCollection<string> All => _byType.Values;
}

/// <summary>
/// The one reader of Marten's event tables. Every query names its columns and returns <see cref="StoredEvent"/>; a page of
/// one stream is a range of Marten's unique (stream_id, version) index, a page of the ledger a range of its seq_id key.
/// Raw SQL, because these reads must see the payload exactly as stored (the ledger hashes it) and cost one round trip.
/// </summary>
public sealed class StoredEvents(NpgsqlDataSource dataSource, IOptions<ProvenanceOptions> options)
{
    const string Columns = "seq_id, id, stream_id, version, type, timestamp, correlation_id, causation_id, data::text";
    string Events => $"{options.Value.Schema}.mt_events";

    static StoredEvent Read(NpgsqlDataReader r) => new(r.GetInt64(0), r.GetGuid(1), r.GetGuid(2), r.GetInt64(3), r.GetString(4),
        r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.GetString(8));

    /// <summary>The events of one stream after <paramref name="afterVersion"/>, in stream order, optionally of some types only.</summary>
    public async Task<IReadOnlyList<StoredEvent>> OfStreamAsync(Guid stream, CancellationToken ct, long afterVersion = 0, int limit = int.MaxValue,
        IReadOnlyCollection<string>? types = null, DateTimeOffset? until = null)
    {
        await using var command = dataSource.CreateCommand($"""
            select {Columns} from {Events}
            where stream_id = $1 and version > $2 and ($3::text[] is null or type = any($3)) and ($4::timestamptz is null or timestamp <= $4)
            order by version limit $5
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterVersion });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)types?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)until ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await ReadAllAsync(command, ct);
    }

    static async Task<IReadOnlyList<StoredEvent>> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var events = new List<StoredEvent>();
        while (await reader.ReadAsync(ct)) events.Add(Read(reader));
        return events;
    }
}
