using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Npgsql;
using NpgsqlTypes;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// A bulk import of small documents through <c>POST /api/documents/batch</c> (batches of <c>batchSize</c>, two in flight, each with
/// its Idempotency-Key, as <c>provenance import</c> sends them), into the bench API; against a binary COPY of the same rows (one
/// event row and one content row per document) into plain tables. The clock stops at the last acknowledged batch; the async
/// daemon's catch-up (audit log, ledger, search, webhooks) is not part of the import rate.
/// </summary>
public sealed class BulkImport(int documents, int batchSize) : Scenario
{
    public const double RateTarget = 3000;
    private HttpClient _api = null!;
    private int _round;

    public override string Name => "bulk-import";
    public override string Title => $"bulk import of {documents:N0} small documents in batches of {batchSize}";
    public override string Unit => "documents/s";
    public override bool HigherIsBetter => true;
    public override double RatioTarget => 0.2;

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        _api = BenchHost.Client(host.ApiUri, 2);
        _api.Timeout = TimeSpan.FromMinutes(2);
        _api.DefaultRequestHeaders.Authorization = new("Bearer", host.ContributorKey);
        await using var command = host.RawData.CreateCommand($"""
            create table if not exists {BenchHost.RawSchema}.import_events (seq bigserial primary key, stream uuid not null, version int not null,
                type text not null, data jsonb not null, timestamp timestamptz not null default now(), unique (stream, version));
            create table if not exists {BenchHost.RawSchema}.import_blobs (digest text primary key, size bigint not null, bytes bytea not null)
            """);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string Text(int round, int i) => $"Imported document {round}.{i}.\nA second line, the same in every document.\n";

    public override async Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct)
    {
        var round = Interlocked.Increment(ref _round);
        var clock = Stopwatch.StartNew();
        var latencies = new List<double>();
        var errors = 0;
        var next = 0;
        async Task Worker()
        {
            while (true)
            {
                var start = Interlocked.Add(ref next, batchSize) - batchSize;
                if (start >= documents) return;
                var batch = Enumerable.Range(start, Math.Min(batchSize, documents - start))
                    .Select(i => new { title = $"Imported {round}.{i}", language = "en", content = Text(round, i), channel = "import", reason = "bench import" })
                    .ToArray();
                var began = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/documents/batch") { Content = JsonContent.Create(new { documents = batch }) };
                request.Headers.Add("Idempotency-Key", $"bench-import-{round}-{start}");
                using var response = await _api.SendAsync(request, ct);
                if (response.StatusCode == HttpStatusCode.Created) lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
                else Interlocked.Increment(ref errors);
            }
        }
        await Task.WhenAll(Worker(), Worker());
        var seconds = clock.Elapsed.TotalSeconds;
        var sorted = latencies.Order().ToArray();
        return new Measurement((documents - errors * batchSize) / seconds, documents, errors, Stats.Percentile(sorted, 50), Stats.Percentile(sorted, 99));
    }

    public override async Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct)
    {
        var round = Interlocked.Increment(ref _round);
        var clock = Stopwatch.StartNew();
        await using var connection = await host.RawData.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var streams = Enumerable.Range(0, documents).Select(_ => Guid.CreateVersion7()).ToArray();
        var digests = new string[documents];
        await using (var blobs = await connection.BeginBinaryImportAsync($"copy {BenchHost.RawSchema}.import_blobs (digest, size, bytes) from stdin (format binary)", ct))
        {
            for (var i = 0; i < documents; i++)
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(Text(round, i));
                digests[i] = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
                await blobs.StartRowAsync(ct);
                await blobs.WriteAsync(digests[i], NpgsqlDbType.Text, ct);
                await blobs.WriteAsync((long)bytes.Length, NpgsqlDbType.Bigint, ct);
                await blobs.WriteAsync(bytes, NpgsqlDbType.Bytea, ct);
            }
            await blobs.CompleteAsync(ct);
        }
        await using (var events = await connection.BeginBinaryImportAsync($"copy {BenchHost.RawSchema}.import_events (stream, version, type, data) from stdin (format binary)", ct))
        {
            for (var i = 0; i < documents; i++)
            {
                await events.StartRowAsync(ct);
                await events.WriteAsync(streams[i], NpgsqlDbType.Uuid, ct);
                await events.WriteAsync(1, NpgsqlDbType.Integer, ct);
                await events.WriteAsync("document_ingested", NpgsqlDbType.Text, ct);
                await events.WriteAsync(System.Text.Json.JsonSerializer.Serialize(new
                {
                    documentId = streams[i], title = $"Imported {round}.{i}", language = "en", mediaType = "text/plain; charset=utf-8",
                    contentDigest = digests[i], size = 60, channel = "import", actor = "bench", reason = "bench import",
                }), NpgsqlDbType.Jsonb, ct);
            }
            await events.CompleteAsync(ct);
        }
        await transaction.CommitAsync(ct);
        var seconds = clock.Elapsed.TotalSeconds;
        return new Measurement(documents / seconds, documents, 0, seconds * 1000, seconds * 1000);
    }

    public override IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline)
    {
        var rates = candidate.Select(m => m.Value).ToArray();
        var rate = Stats.Median(rates);
        yield return new Row(Name, "ledger import rate (documents/s)", rate, rates.Min(), rates.Max(), $"≥ {RateTarget:N0}/s", rate >= RateTarget,
            $"{documents:N0} documents per repetition, batches of {batchSize} (2 in flight): batch p50 {Stats.F(Stats.Median(candidate.Select(m => m.P50Ms)))} ms, "
            + $"p99 {Stats.F(Stats.Median(candidate.Select(m => m.P99Ms)))} ms; errors {candidate.Sum(m => m.Errors)}");
        _api.Dispose();
    }
}
