using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Provenance.Api.Access;

namespace Provenance.Bench.Scenarios;

/// <summary>
/// Scenario 7: resident memory of the API as its own process. The Release API (<c>src/Provenance.Api/bin/Release/net10.0</c>,
/// with its own runtimeconfig) runs as a child process on a loopback port; the http-append load (32 connections, each editing its
/// own document) is driven at it while <c>/proc/&lt;pid&gt;/status</c> VmRSS is sampled every 100 ms. Two children run side by side
/// and are loaded in turn: the API as built, and the same build with the runtime settings of <c>BENCH_MEMORY_VARIANT</c>
/// (default <c>DOTNET_gcServer=0</c>: workstation GC), so the ratio is "as built / variant".
/// </summary>
public sealed class ApiMemory(int workers, TimeSpan duration, int port) : Scenario
{
    private const double RssTargetMb = 300;
    private readonly string _variant = Environment.GetEnvironmentVariable("BENCH_MEMORY_VARIANT") is { Length: > 0 } v ? v : "DOTNET_gcServer=0";
    private Child _built = null!;
    private Child _tuned = null!;

    public override string Name => "memory";
    public override string Title => $"peak VmRSS of the API process under http-append ({workers} connections, {duration.TotalSeconds:F0} s), as built vs {_variant}";
    public override string Unit => "MB peak RSS";
    public override bool HigherIsBetter => false;
    public override double RatioTarget => 1;
    public override bool RatioIsTarget => false;

    public override async Task SetupAsync(BenchHost host, CancellationToken ct)
    {
        var connection = Environment.GetEnvironmentVariable("BENCH_CONNECTION_STRING")!;
        _built = await Child.StartAsync(connection, "bench_mem_a", port, [], workers, ct);
        _tuned = await Child.StartAsync(connection, "bench_mem_b", port + 1,
            _variant.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => (p[0], p[1])).ToArray(), workers, ct);
        Console.WriteLine($"   API children: as built pid {_built.Process.Id}, {_variant} pid {_tuned.Process.Id}; idle RSS {Stats.F(_built.Rss())} / {Stats.F(_tuned.Rss())} MB");
    }

    public override async Task WarmUpAsync(BenchHost host, CancellationToken ct)
    {
        await _built.LoadAsync(TimeSpan.FromSeconds(3), ct);
        await _tuned.LoadAsync(TimeSpan.FromSeconds(3), ct);
    }

    public override Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct) => _built.LoadAsync(duration, ct);

    public override Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct) => _tuned.LoadAsync(duration, ct);

    public override IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline)
    {
        var built = candidate.Select(m => m.Value).ToArray();
        var tuned = baseline.Select(m => m.Value).ToArray();
        var rate = (IReadOnlyList<Measurement> ms) => Stats.F(Stats.Median(ms.Select(m => m.Operations / duration.TotalSeconds)));
        yield return new Row(Name, "peak RSS of the API process, as built (MB)", Stats.Median(built), built.Min(), built.Max(), $"< {RssTargetMb:0} MB",
            built.Max() < RssTargetMb, $"{rate(candidate)} req/s, p50 {Stats.F(Stats.Median(candidate.Select(m => m.P50Ms)))} ms, p99 {Stats.F(Stats.Median(candidate.Select(m => m.P99Ms)))} ms; errors {candidate.Sum(m => m.Errors)}");
        yield return new Row(Name, $"peak RSS of the API process, {_variant} (MB)", Stats.Median(tuned), tuned.Min(), tuned.Max(), $"< {RssTargetMb:0} MB",
            tuned.Max() < RssTargetMb, $"{rate(baseline)} req/s, p50 {Stats.F(Stats.Median(baseline.Select(m => m.P50Ms)))} ms, p99 {Stats.F(Stats.Median(baseline.Select(m => m.P99Ms)))} ms; errors {baseline.Sum(m => m.Errors)}");
        _built.Dispose();
        _tuned.Dispose();
    }

    /// <summary>The Release API as a child process with a contributor key (also used by <see cref="LargeUploads"/>).</summary>
    internal sealed class Child : IDisposable
    {
        public required Process Process { get; init; }
        public required HttpClient Client { get; init; }
        public required Guid[] Documents { get; init; }
        public required int[] Revisions { get; init; }
        private long _counter;

        public static async Task<Child> StartAsync(string connection, string schema, int port, (string Name, string Value)[] settings, int workers, CancellationToken ct)
        {
            var dll = Environment.GetEnvironmentVariable("BENCH_API_DLL") is { Length: > 0 } d ? d
                : Path.Combine("src", "Provenance.Api", "bin", "Release", "net10.0", "Provenance.Api.dll");
            var start = new ProcessStartInfo("dotnet", [Path.GetFullPath(dll)])
            {
                WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dll))!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["Provenance__ConnectionString"] = connection;
            start.Environment["Provenance__Schema"] = schema;
            start.Environment["PROVENANCE_ADMIN_KEY"] = BenchHost.AdminKey;
            start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            foreach (var (name, value) in settings) start.Environment[name] = value;
            var process = Process.Start(start)!;
            // Never leave a child API behind, whatever ends the bench.
            AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { if (!process.HasExited) process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } };
            // BENCH_CHILD_LOG=1 shows what the child logs (Warning and above), to find why a request failed.
            var echo = Environment.GetEnvironmentVariable("BENCH_CHILD_LOG") == "1";
            process.OutputDataReceived += (_, e) => { if (echo && e.Data is not null) Console.WriteLine($"   [api {port}] {e.Data}"); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"   [api {port}] {e.Data}"); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            var uri = new Uri($"http://127.0.0.1:{port}");
            using var probe = BenchHost.Client(uri, 1);
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                try { if ((await probe.GetAsync("/health/live", ct)).IsSuccessStatusCode) break; }
                catch (HttpRequestException) { }
                if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(90)) throw new InvalidOperationException($"The API on port {port} did not start.");
                await Task.Delay(250, ct);
            }

            probe.DefaultRequestHeaders.Authorization = new("Bearer", BenchHost.AdminKey);
            var created = await probe.PostAsJsonAsync("/api/keys", new { name = "bench.contributor", roles = new[] { Roles.Contributor } }, ct);
            created.EnsureSuccessStatusCode();
            var client = BenchHost.Client(uri, workers);
            client.DefaultRequestHeaders.Authorization = new("Bearer", (await created.Content.ReadFromJsonAsync<CreatedApiKey>(ct))!.Key);
            var documents = new Guid[workers];
            var revisions = new int[workers];
            for (var w = 0; w < workers; w++)
            {
                var response = await client.PostAsJsonAsync("/api/documents",
                    new { title = $"Memory bench {w}", language = "en", content = $"Memory bench {w}, revision 1.", reason = "bench" }, ct);
                response.EnsureSuccessStatusCode();
                documents[w] = Guid.Parse(response.Headers.Location!.OriginalString.Split('/').Last());
                revisions[w] = 1;
            }
            return new Child { Process = process, Client = client, Documents = documents, Revisions = revisions };
        }

        public double Rss()
        {
            foreach (var line in File.ReadLines($"/proc/{Process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
            }
            return double.NaN;
        }

        public async Task<Measurement> LoadAsync(TimeSpan duration, CancellationToken ct)
        {
            var peak = Rss();
            using var stop = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    peak = Math.Max(peak, Rss());
                    try { await Task.Delay(100, stop.Token); } catch (OperationCanceledException) { }
                }
            }, CancellationToken.None);
            var load = await LoadDriver.RunAsync(Documents.Length, duration, EditAsync, ct);
            await stop.CancelAsync();
            await sampler;
            return load with { Value = Math.Max(peak, Rss()), PeakRssMb = peak };
        }

        private async Task<bool> EditAsync(int worker, CancellationToken ct)
        {
            var n = Interlocked.Increment(ref _counter);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/documents/{Documents[worker]}/revisions")
            {
                Content = new StringContent($$"""{"content":"Memory bench {{worker}}, edit {{n}}.\nA second line that stays the same.","reason":"bench edit {{n}}"}""",
                    Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{Revisions[worker]}\"");
            using var response = await Client.SendAsync(request, ct);
            if (response.Headers.ETag is not null) Revisions[worker] = int.Parse(response.Headers.ETag.Tag.Trim('"').Split('.')[0]);
            return response.StatusCode == System.Net.HttpStatusCode.Created;
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
            Client.Dispose();
        }
    }
}
