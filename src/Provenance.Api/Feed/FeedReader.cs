using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Provenance.Api.Hosting;

namespace Provenance.Api.Feed;

/// <summary>One stored event as the feed reads it: raw JSON data, global sequence, its stream (the document).</summary>
public sealed record FeedEvent(long Sequence, Guid Id, Guid StreamId, long Version, string Alias, string Data, DateTimeOffset Timestamp)
{
    public string CloudEventType => CloudEventTypes.FromAlias(Alias);
}

public sealed record FeedFilter(IReadOnlyList<string>? Types, Guid? Document)
{
    public static readonly FeedFilter All = new(null, null);
}

/// <summary>A page of events and the position to continue after (never past the safe high-water mark).</summary>
public sealed record FeedSlice(IReadOnlyList<FeedEvent> Events, long Next, long HighWaterMark);

/// <summary>
/// Reads the event store in global order, gap-free.
/// Marten allocates sequence numbers before commit, so a transaction can make seq N+1 visible while N is still in flight.
/// The feed therefore never reads past Marten's daemon high-water mark (<c>mt_event_progression</c> row <c>HighWaterMark</c>):
/// Marten 9 advances it only over contiguous committed sequences, and crosses a hole only after proving that no live
/// transaction can still fill it (its gap-liveness probe checks pg_locks, pg_stat_activity and the snapshot's in-progress xids)
/// or after a failed append filled it with a tombstone. A reader that has moved past position P can thus never be handed an
/// event below P later. The price is latency: events appear when the daemon's high-water poll sees them.
/// </summary>
public sealed class FeedReader(NpgsqlDataSource dataSource, IOptions<ProvenanceOptions> options, EventCatalogue catalogue)
{
    public const int MaxPage = 500;
    private string Schema => options.Value.Schema;

    public async Task<long> HighWaterMarkAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"select coalesce((select last_seq_id from {Schema}.mt_event_progression where name = 'HighWaterMark'), 0)");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    public async Task<FeedSlice> ReadAsync(long after, int limit, FeedFilter filter, CancellationToken ct)
    {
        var highWater = await HighWaterMarkAsync(ct);
        if (highWater <= after) return new FeedSlice([], after, highWater);

        // Only catalogued types: never Marten's tombstones nor JasperFx's stream lifecycle events (see EventCatalogue).
        var aliases = filter.Types?.Select(t => CloudEventTypes.ToAlias(t)!).ToArray() ?? catalogue.Aliases.ToArray();
        await using var command = dataSource.CreateCommand($"""
            select seq_id, id, stream_id, version, type, data::text, timestamp from {Schema}.mt_events
            where seq_id > $1 and seq_id <= $2 and type = any($3) and ($4::uuid is null or stream_id = $4)
            order by seq_id limit $5
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = highWater });
        command.Parameters.Add(new NpgsqlParameter { Value = aliases, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.Document ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });

        var events = new List<FeedEvent>(limit);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                events.Add(new FeedEvent(reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt64(3), reader.GetString(4),
                    reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6)));
            }
        }
        // A short page means every match up to the high-water mark was returned: continue from the mark, not the last match.
        var next = events.Count == limit ? events[^1].Sequence : highWater;
        return new FeedSlice(events, next, highWater);
    }
}
