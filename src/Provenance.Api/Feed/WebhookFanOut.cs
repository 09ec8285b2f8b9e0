using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Services;
using Marten.Subscriptions;

namespace Provenance.Api.Feed;

/// <summary>
/// A Marten subscription run by the async daemon: for each event, one pending delivery row per matching webhook subscription.
/// The rows are queued on the daemon's own operations, so they commit in the same transaction as the subscription's progress:
/// a crash replays the page and the unique (subscription, event) key makes the replay a no-op. Nothing is held in memory.
/// </summary>
public sealed partial class WebhookFanOut : SubscriptionBase
{
    public const string SubscriptionName = "WebhookFanOut";
    private readonly string _schema;
    private readonly TimeProvider _time;
    private readonly WebhookSignal _signal;

    public WebhookFanOut(string schema, TimeProvider time, WebhookSignal signal)
    {
        _schema = schema;
        _time = time;
        _signal = signal;
        Name = SubscriptionName;
    }

    public override Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller, IDocumentOperations operations,
        CancellationToken cancellationToken)
    {
        var events = page.Events.Where(e => EventCatalogue.IsPublished(e.EventType)).ToList();
        if (events.Count > 0)
        {
            operations.QueueSqlCommand($"""
                insert into {_schema}.{WebhookTables.Deliveries}
                    (id, subscription_id, event_seq, event_id, document_id, event_type, status, attempts, next_attempt_at, created_at)
                select gen_random_uuid(), s.id, e.seq, e.id, e.doc, e.type, 'pending', 0, ?, ?
                from unnest(?::bigint[], ?::uuid[], ?::uuid[], ?::text[]) as e(seq, id, doc, type)
                join {_schema}.{WebhookTables.Subscriptions} s on e.seq > s.start_seq
                    and (cardinality(s.types) = 0 or e.type = any(s.types))
                    and (s.document_id is null or s.document_id = e.doc)
                on conflict (subscription_id, event_seq) do nothing
                """,
                _time.GetUtcNow(), _time.GetUtcNow(),
                events.Select(e => e.Sequence).ToArray(), events.Select(e => e.Id).ToArray(),
                events.Select(e => e.StreamId).ToArray(), events.Select(e => CloudEventTypes.FromAlias(e.EventTypeName)).ToArray());
        }
        return Task.FromResult<IChangeListener>(new WakeDispatcher(_signal));
    }

    private sealed class WakeDispatcher(WebhookSignal signal) : IChangeListener
    {
        public Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
        {
            signal.Wake();
            return Task.CompletedTask;
        }

        public Task BeforeCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token) => Task.CompletedTask;
    }
}

/// <summary>Wakes this node's dispatcher when new deliveries may be due; other nodes find them on their next poll.</summary>
public sealed class WebhookSignal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Wake()
    {
        try
        {
            if (_semaphore.CurrentCount == 0) _semaphore.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _semaphore.WaitAsync(timeout, ct);
}
