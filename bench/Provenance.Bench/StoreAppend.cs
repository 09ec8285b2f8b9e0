using System.Text.Json;
using Marten;
using Npgsql;
using Provenance.Api.Documents;
using Provenance.Api.Tenancy;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// Scenario 2: one event per transaction through the app's own DocumentStore (inline projections included), against a
/// single-row INSERT of the same JSON into a comparable table (seq, stream, version, jsonb, unique (stream, version)).
/// </summary>
public sealed class StoreAppend(int workers, TimeSpan duration, TimeSpan warmUp) : Scenario
{
    private Guid[] _streams = [];
    private int[] _revisions = [];
    private int[] _rawVersions = [];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public override string Name => "store-append";
    public override string Title => $"in-process append, {workers} writers, {duration.TotalSeconds:F0} s per repetition";
    public override string Unit => "appends/s";
    public override bool HigherIsBetter => true;
    public override double RatioTarget => 0.5;

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        _streams = Enumerable.Range(0, workers).Select(_ => Guid.CreateVersion7()).ToArray();
        _revisions = Enumerable.Repeat(1, workers).ToArray();
        _rawVersions = Enumerable.Repeat(0, workers).ToArray();
        await using var session = host.Store.LightweightSession(Tenants.Default);
        foreach (var id in _streams)
        {
            session.Events.StartStream<DocumentView>(id, new DocumentIngested(id, "Store bench", "en", "text/plain", Digest(0), 10, null, null,
                null, null, "bench", "bench", null));
        }
        await session.SaveChangesAsync(ct);
    }

    public override async Task WarmUpAsync(BenchHost host, CancellationToken ct)
    {
        await LoadDriver.RunAsync(workers, warmUp, (w, c) => MartenAsync(host, w, c), ct);
        await LoadDriver.RunAsync(workers, warmUp, (w, c) => RawAsync(host, w, c), ct);
    }

    public override Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct)
        => LoadDriver.RunAsync(workers, duration, (w, c) => MartenAsync(host, w, c), ct);

    public override Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct)
        => LoadDriver.RunAsync(workers, duration, (w, c) => RawAsync(host, w, c), ct);

    private DocumentEdited Next(int worker, int revision)
        => new(_streams[worker], revision, revision - 1, "text/plain", Digest(revision), 42, 1, 1, "bench", "bench edit");

    private async Task<bool> MartenAsync(BenchHost host, int worker, CancellationToken ct)
    {
        await using var session = host.Store.LightweightSession(Tenants.Default);
        session.Events.Append(_streams[worker], Next(worker, _revisions[worker] + 1));
        await session.SaveChangesAsync(ct);
        _revisions[worker]++;
        return true;
    }

    private async Task<bool> RawAsync(BenchHost host, int worker, CancellationToken ct)
    {
        var version = _rawVersions[worker] + 1;
        await using var command = host.RawData.CreateCommand(
            $"insert into {BenchHost.RawSchema}.events (stream, version, data) values ($1, $2, $3::jsonb)");
        command.Parameters.Add(new NpgsqlParameter { Value = _streams[worker] });
        command.Parameters.Add(new NpgsqlParameter { Value = version });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(Next(worker, version), Json) });
        await command.ExecuteNonQueryAsync(ct);
        _rawVersions[worker] = version;
        return true;
    }

    private static string Digest(int n) => "sha256:" + n.ToString("x64");
}
