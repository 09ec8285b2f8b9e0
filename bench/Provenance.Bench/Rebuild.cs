using System.Diagnostics;
using System.Text.Json;
using JasperFx.Events.Daemon;
using Marten;
using Marten.Events;
using Npgsql;
using NpgsqlTypes;
using Provenance.Api.Audit;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Provenance.Api.Tenancy;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// Scenario 4: rebuilding the async audit log projection (<see cref="AuditLogProjection"/>, via the daemon's
/// <c>RebuildProjectionAsync</c>) over the whole event store, seeded to <c>events</c> events; against a raw replay loop:
/// pages of 1,000 from mt_events by seq_id, each event's JSON mapped to the same <see cref="AuditEntry"/> and upserted
/// (unnest, on conflict do update) into a table with the same duplicated columns (actor, document_id, type, timestamp).
/// </summary>
public sealed class Rebuild(int events) : Scenario
{
    private const string Shard = "Provenance.Api.Audit.AuditLogProjection:All";
    private const double MinEventsPerSecond = 2000;
    private const int Page = 1000;
    private readonly JsonSerializerOptions _json = new();
    private long _eventCount;

    public override string Name => "rebuild";
    public override string Title => $"rebuild the audit log over {events:N0} events";
    public override string Unit => "events/s";
    public override bool HigherIsBetter => true;
    public override double RatioTarget => 0.25;

    private static ValueTask<IProjectionDaemon> DaemonAsync(BenchHost host) => host.Api.Services.GetRequiredService<IProjectionCoordinator>().DaemonForDatabase(Tenants.Default);

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        ProvenanceSetup.Configure(_json);
        var clock = Stopwatch.StartNew();
        var existing = await CountAsync(host, ct);
        var missing = (int)Math.Max(0, events - existing);
        const int perStream = 100;
        for (var done = 0; done < missing;)
        {
            await using var session = host.Store.LightweightSession(Tenants.Default);
            for (var s = 0; s < 10 && done < missing; s++)
            {
                var id = Guid.CreateVersion7();
                var count = Math.Min(perStream, missing - done);
                session.Events.StartStream<DocumentView>(id, Enumerable.Range(1, count).Select(n => (object)(n == 1
                    ? new DocumentIngested(id, "Rebuild bench", "en", "text/plain", Digest(1), 10, null, null, null, null, "bench", "bench.rebuilder", "seed")
                    : new DocumentEdited(id, n, n - 1, "text/plain", Digest(n), 40 + n % 7, 1, 1, "bench.rebuilder", $"edit {n}"))).ToArray());
                done += count;
            }
            await session.SaveChangesAsync(ct);
        }
        await host.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromMinutes(5));
        _eventCount = await CountAsync(host, ct);
        Console.WriteLine($"   seeded {missing:N0} events ({_eventCount:N0} in the store), daemon caught up, in {clock.Elapsed.TotalSeconds:F1} s");

        await using var create = host.RawData.CreateCommand(
            $"drop table if exists {BenchHost.RawSchema}.audit; create table {BenchHost.RawSchema}.audit (id bigint primary key, data jsonb not null,"
            + " actor text, document_id uuid, type text, timestamp timestamptz, last_modified timestamptz not null default now());"
            + $"create index on {BenchHost.RawSchema}.audit (actor); create index on {BenchHost.RawSchema}.audit (document_id);"
            + $"create index on {BenchHost.RawSchema}.audit (type); create index on {BenchHost.RawSchema}.audit (timestamp);");
        await create.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> CountAsync(BenchHost host, CancellationToken ct)
    {
        await using var command = host.RawData.CreateCommand($"select count(*) from {BenchHost.Schema}.mt_events");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    public override async Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct)
    {
        var daemon = await DaemonAsync(host);
        var clock = Stopwatch.StartNew();
        await daemon.RebuildProjectionAsync<AuditLogProjection>(TimeSpan.FromMinutes(5), ct);
        var elapsed = clock.Elapsed.TotalSeconds;
        // The rebuild leaves the shard stopped; restart it off the clock so the app stays as it runs in production.
        await daemon.StartAgentAsync(Shard, ct);
        return new Measurement(_eventCount / elapsed, _eventCount, 0, elapsed * 1000, elapsed * 1000);
    }

    public override async Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await using (var truncate = host.RawData.CreateCommand($"truncate {BenchHost.RawSchema}.audit"))
        {
            await truncate.ExecuteNonQueryAsync(ct);
        }
        long after = 0, count = 0;
        for (var read = Page; read == Page;)
        {
            read = 0;
            var entries = new List<AuditEntry>(Page);
            await using (var select = host.RawData.CreateCommand(
                $"select seq_id, stream_id, version, type, timestamp, correlation_id, data::text from {BenchHost.Schema}.mt_events"
                + " where seq_id > $1 order by seq_id limit $2"))
            {
                select.Parameters.Add(new NpgsqlParameter { Value = after });
                select.Parameters.Add(new NpgsqlParameter { Value = Page });
                await using var reader = await select.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    after = reader.GetInt64(0);
                    count++;
                    read++;
                    if (Map(reader) is { } entry) entries.Add(entry);
                }
            }
            if (entries.Count > 0)
            {
                await using var upsert = host.RawData.CreateCommand(
                    $"insert into {BenchHost.RawSchema}.audit (id, data, actor, document_id, type, timestamp) "
                    + "select * from unnest($1::bigint[], $2::jsonb[], $3::text[], $4::uuid[], $5::text[], $6::timestamptz[]) "
                    + "on conflict (id) do update set data = excluded.data, actor = excluded.actor, document_id = excluded.document_id, "
                    + "type = excluded.type, timestamp = excluded.timestamp, last_modified = now()");
                upsert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Id).ToArray() });
                upsert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => JsonSerializer.Serialize(e, _json)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
                upsert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Actor).ToArray() });
                upsert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.DocumentId).ToArray() });
                upsert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Type).ToArray() });
                upsert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Timestamp).ToArray() });
                await upsert.ExecuteNonQueryAsync(ct);
            }
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        return new Measurement(count / elapsed, count, 0, elapsed * 1000, elapsed * 1000);
    }

    /// <summary>The audit row of one event, as <see cref="EventFacts.Fill"/> makes it (the two event types the seed appends, plus the others' common facts).</summary>
    private AuditEntry? Map(NpgsqlDataReader r)
    {
        var type = r.GetString(3);
        var entry = new AuditEntry
        {
            Id = r.GetInt64(0), Sequence = r.GetInt64(0), DocumentId = r.GetGuid(1), Version = r.GetInt64(2), Type = type,
            Timestamp = r.GetFieldValue<DateTimeOffset>(4), CorrelationId = r.IsDBNull(5) ? null : r.GetString(5),
        };
        switch (type)
        {
            case "document_ingested":
                var i = JsonSerializer.Deserialize<DocumentIngested>(r.GetString(6), _json)!;
                (entry.Revision, entry.Language, entry.Actor, entry.Reason, entry.ContentDigest, entry.MediaType, entry.Size) =
                    (1, i.Language, i.Actor, i.Reason, i.ContentDigest, i.MediaType, i.Size);
                return entry;
            case "document_edited":
                var d = JsonSerializer.Deserialize<DocumentEdited>(r.GetString(6), _json)!;
                (entry.Revision, entry.Actor, entry.Reason, entry.ContentDigest, entry.MediaType, entry.Size) =
                    (d.Revision, d.Actor, d.Reason, d.ContentDigest, d.MediaType, d.Size);
                return entry;
            case "document_translated" or "document_verified":
                using (var json = JsonDocument.Parse(r.GetString(6)))
                {
                    entry.Actor = json.RootElement.GetProperty("actor").GetString() ?? "";
                }
                return entry;
            default:
                return null;
        }
    }

    public override IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline)
    {
        var rates = candidate.Select(m => m.Value).ToArray();
        var rate = Stats.Median(rates);
        yield return new Row(Name, "ledger rebuild rate (events/s)", rate, rates.Min(), rates.Max(), $"≥ {MinEventsPerSecond:N0}/s", rate >= MinEventsPerSecond,
            $"{_eventCount:N0} events: rebuild {Stats.F(Stats.Median(candidate.Select(m => m.P50Ms)) / 1000)} s vs raw replay {Stats.F(Stats.Median(baseline.Select(m => m.P50Ms)) / 1000)} s");
    }

    private static string Digest(int n) => "sha256:" + n.ToString("x64");
}
