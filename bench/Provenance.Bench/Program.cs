using Provenance.Bench;
using Provenance.Bench.Scenarios;

// ops/bench.sh runs this; arguments name scenarios (default: all). Settings come from the environment:
//   BENCH_CONNECTION_STRING (required), BENCH_REPETITIONS (5), BENCH_SECONDS (10, HTTP), BENCH_STORE_SECONDS (5),
//   BENCH_WORKERS (32), BENCH_RESULTS (bench/results), BENCH_API_PORT (5090), BENCH_RAW_PORT (5091);
//   tenants: BENCH_CONNECTION_STRING2 (the second server; ops/bench.sh starts it), BENCH_TENANTS_EVENTS (4000), BENCH_TENANTS_PORT (5097).
static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;

var connectionString = Env("BENCH_CONNECTION_STRING", "");
if (connectionString.Length == 0)
{
    Console.Error.WriteLine("Set BENCH_CONNECTION_STRING (ops/bench.sh starts a PostgreSQL and sets it).");
    return 2;
}
var repetitions = int.Parse(Env("BENCH_REPETITIONS", "5"));
var httpSeconds = double.Parse(Env("BENCH_SECONDS", "10"), System.Globalization.CultureInfo.InvariantCulture);
var storeSeconds = double.Parse(Env("BENCH_STORE_SECONDS", "5"), System.Globalization.CultureInfo.InvariantCulture);
var workers = int.Parse(Env("BENCH_WORKERS", "32"));
var results = Env("BENCH_RESULTS", Path.Combine("bench", "results"));

var all = new Dictionary<string, Func<Scenario>>
{
    ["http-append"] = () => new HttpAppend(workers, TimeSpan.FromSeconds(httpSeconds), TimeSpan.FromSeconds(3)),
    ["store-append"] = () => new StoreAppend(8, TimeSpan.FromSeconds(storeSeconds), TimeSpan.FromSeconds(2)),
    ["history-read"] = () => new HistoryRead(10_000, 7),
    ["proof-1m"] = () => new ProofMillion(int.Parse(Env("BENCH_PROOF_LEAVES", "1000000")), 2000),
    ["integrity-overhead"] = () => new IntegrityOverhead(8, int.Parse(Env("BENCH_INTEGRITY_EVENTS", "2000"))),
    ["ledger-cost"] = () => new LedgerCost(8, int.Parse(Env("BENCH_LEDGER_COST_EVENTS", "4000")), int.Parse(Env("BENCH_PLAIN_PORT", "5096"))),
    ["rebuild"] = () => new Rebuild(int.Parse(Env("BENCH_REBUILD_EVENTS", "50000"))),
    ["memory"] = () => new ApiMemory(workers, TimeSpan.FromSeconds(httpSeconds), int.Parse(Env("BENCH_MEMORY_PORT", "5093"))),
    ["bulk-import"] = () => new BulkImport(int.Parse(Env("BENCH_IMPORT_DOCUMENTS", "20000")), int.Parse(Env("BENCH_IMPORT_BATCH", "500"))),
    ["large-uploads"] = () => new LargeUploads(int.Parse(Env("BENCH_UPLOAD_PORT", "5095"))),
    ["monitor-1m"] = () => new MonitorMillion(int.Parse(Env("BENCH_MONITOR_ENTRIES", "1000000")), Env("BENCH_MONITOR_DIR", "/var/tmp/provenance/bench-monitor-log")),
    ["packages"] = () => new Packages(),
    ["feed-lag"] = () => new FeedLag(TimeSpan.FromSeconds(httpSeconds), int.Parse(Env("BENCH_HOOK_PORT", "5092"))),
    ["tenants"] = () => new TenantAppend(workers, int.Parse(Env("BENCH_TENANTS_EVENTS", "4000")), int.Parse(Env("BENCH_TENANTS_PORT", "5097")),
        Env("BENCH_CONNECTION_STRING2", "")),
};
var names = args.Length == 0 ? all.Keys.ToList() : args.Distinct().ToList();
var unknown = names.Where(n => !all.ContainsKey(n)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown scenario(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", all.Keys)}.");
    return 2;
}

using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(15));
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
var started = DateTimeOffset.UtcNow;
await using var host = await BenchHost.StartAsync(connectionString, int.Parse(Env("BENCH_API_PORT", "5090")), int.Parse(Env("BENCH_RAW_PORT", "5091")));
var harness = new Harness(host, repetitions, results);
var rows = new List<Row>();
foreach (var name in names)
{
    rows.AddRange(await harness.RunAsync(all[name](), cancel.Token));
}
var table = Harness.Markdown(rows, started);
Directory.CreateDirectory(results);
await File.WriteAllTextAsync(Path.Combine(results, "latest.md"), table);
Console.WriteLine();
Console.WriteLine(table);
return 0;
