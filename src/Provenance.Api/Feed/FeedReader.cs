using Provenance.Api.EventStore;

namespace Provenance.Api.Feed;

public sealed record FeedFilter(IReadOnlyList<string>? Types, Guid? Document)
{
    public static readonly FeedFilter All = new(null, null);
}

/// <summary>A page of events and the position to continue after (never past the safe high-water mark).</summary>
public sealed record FeedSlice(IReadOnlyList<StoredEvent> Events, long Next, long HighWaterMark);

/// <summary>
/// Reads the event store in global order, gap-free.
/// Marten allocates sequence numbers before commit, so a transaction can make seq N+1 visible while N is still in flight.
/// The feed therefore never reads past Marten's daemon high-water mark (<c>mt_event_progression</c> row <c>HighWaterMark</c>):
/// Marten 9 advances it only over contiguous committed sequences, and crosses a hole only after proving that no live
/// transaction can still fill it (its gap-liveness probe checks pg_locks, pg_stat_activity and the snapshot's in-progress xids)
/// or after a failed append filled it with a tombstone. A reader that has moved past position P can thus never be handed an
/// event below P later. The price is latency: events appear when the daemon's high-water poll sees them.
/// </summary>
public sealed class FeedReader(StoredEvents store, EventCatalogue catalogue)
{
    public const int MaxPage = 500;

    public Task<long> HighWaterMarkAsync(CancellationToken ct) => store.HighWaterMarkAsync(ct);

    public async Task<FeedSlice> ReadAsync(long after, int limit, FeedFilter filter, CancellationToken ct)
    {
        var highWater = await HighWaterMarkAsync(ct);
        if (highWater <= after) return new FeedSlice([], after, highWater);

        // Only catalogued types: never Marten's tombstones nor JasperFx's stream lifecycle events (see EventCatalogue).
        var aliases = filter.Types?.Select(t => CloudEventTypes.ToAlias(t)!).ToArray() ?? catalogue.Aliases.ToArray();
        var events = await store.PageAsync(after, limit, ct, until: highWater, types: aliases, stream: filter.Document);
        // A short page means every match up to the high-water mark was returned: continue from the mark, not the last match.
        var next = events.Count == limit ? events[^1].Sequence : highWater;
        return new FeedSlice(events, next, highWater);
    }
}
