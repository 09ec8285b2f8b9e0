using System.Diagnostics;
using System.Text.Json;
using Marten;
using Marten.Services;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Provenance.Api.Tenancy;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// Scenario 3: reading the whole history of a 10,000-event document with Marten's FetchStreamAsync, against
/// <c>select type, data from mt_events where stream_id = $1 order by version</c> plus System.Text.Json deserialization.
/// </summary>
public sealed class HistoryRead(int events, int readsPerRepetition) : Scenario
{
    private readonly Guid _stream = Guid.CreateVersion7();
    private readonly JsonSerializerOptions _json = new();

    public override string Name => "history-read";
    public override string Title => $"read a {events:N0}-event stream, median of {readsPerRepetition} reads per repetition";
    public override string Unit => "ms per read";
    public override bool HigherIsBetter => false;
    public override double RatioTarget => 2;

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        ProvenanceSetup.Configure(_json);
        var clock = Stopwatch.StartNew();
        const int batch = 1000;
        for (var start = 0; start < events; start += batch)
        {
            await using var session = host.Store.LightweightSession(Tenants.Default);
            var edits = Enumerable.Range(start + 1, Math.Min(batch, events - start))
                .Select(n => (object)(n == 1
                    ? new DocumentIngested(_stream, "History bench", "en", "text/plain", Digest(1), 10, null, null, null, null, "bench", "bench", null)
                    : new DocumentEdited(_stream, n, n - 1, "text/plain", Digest(n), 40 + n % 7, 1, 1, "bench", $"bench edit {n}")))
                .ToArray();
            if (start == 0) session.Events.StartStream<DocumentView>(_stream, edits);
            else session.Events.Append(_stream, edits);
            await session.SaveChangesAsync(ct);
        }
        Console.WriteLine($"   seeded {events:N0} events in {clock.Elapsed.TotalSeconds:F1} s");
    }

    public override async Task WarmUpAsync(BenchHost host, CancellationToken ct)
    {
        await MartenReadAsync(host, ct);
        await RawReadAsync(host, ct);
    }

    public override Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct) => TimeAsync(() => MartenReadAsync(host, ct));

    public override Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct) => TimeAsync(() => RawReadAsync(host, ct));

    private async Task<Measurement> TimeAsync(Func<Task<int>> read)
    {
        var times = new double[readsPerRepetition];
        for (var i = 0; i < readsPerRepetition; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var count = await read();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (count != events) throw new InvalidOperationException($"Read {count} events, expected {events}.");
        }
        Array.Sort(times);
        return new Measurement(Stats.Median(times), readsPerRepetition, 0, Stats.Percentile(times, 50), Stats.Percentile(times, 99));
    }

    private async Task<int> MartenReadAsync(BenchHost host, CancellationToken ct)
    {
        await using var session = host.Store.QuerySession(Tenants.Default);
        var stream = await session.Events.FetchStreamAsync(_stream, token: ct);
        return stream.Count;
    }

    private async Task<int> RawReadAsync(BenchHost host, CancellationToken ct)
    {
        await using var command = host.RawData.CreateCommand(
            $"select type, data from {BenchHost.Schema}.mt_events where stream_id = $1 order by version");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _stream });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<object>(events);
        while (await reader.ReadAsync(ct))
        {
            var type = reader.GetString(0) == "document_ingested" ? typeof(DocumentIngested) : typeof(DocumentEdited);
            list.Add(JsonSerializer.Deserialize(reader.GetString(1), type, _json)!);
        }
        return list.Count;
    }

    private static string Digest(int n) => "sha256:" + n.ToString("x64");
}
