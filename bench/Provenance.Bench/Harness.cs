using System.Diagnostics;
using System.Text.Json;

namespace Provenance.Bench;

/// <summary>One repetition's measurement of one side (the ledger, or its raw-PostgreSQL baseline).</summary>
public sealed record Measurement(double Value, long Operations, long Errors, double P50Ms, double P99Ms, double? PeakRssMb = null);

/// <summary>A derived figure checked against a target (ratio, tail latency, memory).</summary>
public sealed record Row(string Scenario, string Metric, double Median, double Min, double Max, string Target, bool Met, string Absolute);

/// <summary>
/// A scenario measures the ledger (candidate) beside a raw-PostgreSQL baseline in the same process; the harness interleaves
/// them (A, B, A, B, ...) so drift in the machine hits both sides alike. Add a scenario: subclass and list it in <see cref="Scenarios"/>.
/// </summary>
public abstract class Scenario
{
    public abstract string Name { get; }
    public abstract string Title { get; }
    /// <summary>Unit of <see cref="Measurement.Value"/>.</summary>
    public abstract string Unit { get; }
    public abstract bool HigherIsBetter { get; }
    /// <summary>Candidate/baseline must be at least this (higher is better) or at most this (lower is better).</summary>
    public abstract double RatioTarget { get; }
    /// <summary>False when the ratio to the baseline is context only (the targets are in <see cref="ExtraRows"/>).</summary>
    public virtual bool RatioIsTarget => true;
    public virtual Task SetupAsync(BenchHost host, CancellationToken ct) => Task.CompletedTask;
    public virtual Task WarmUpAsync(BenchHost host, CancellationToken ct) => Task.CompletedTask;
    public abstract Task<Measurement> CandidateAsync(BenchHost host, CancellationToken ct);
    public abstract Task<Measurement> BaselineAsync(BenchHost host, CancellationToken ct);
    /// <summary>What one request of each side costs (round trips, statements, commits, WAL, CPU, allocations), measured after the repetitions.</summary>
    public virtual Task<IReadOnlyList<RequestCost>> CostsAsync(BenchHost host, CancellationToken ct) => Task.FromResult<IReadOnlyList<RequestCost>>([]);
    /// <summary>Further checks beyond the ratio, from all repetitions.</summary>
    public virtual IEnumerable<Row> ExtraRows(IReadOnlyList<Measurement> candidate, IReadOnlyList<Measurement> baseline) => [];
}

public static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Nearest-rank percentile of an already sorted array.</summary>
    public static double Percentile(double[] sorted, double p)
        => sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    public static string F(double v) => v switch { >= 100 => v.ToString("F0"), >= 10 => v.ToString("F1"), _ => v.ToString("F2") };
}

public sealed class Harness(BenchHost host, int repetitions, string resultsDir)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public async Task<IReadOnlyList<Row>> RunAsync(Scenario scenario, CancellationToken ct)
    {
        Console.WriteLine($"== {scenario.Name}: {scenario.Title}");
        var clock = Stopwatch.StartNew();
        await scenario.SetupAsync(host, ct);
        await scenario.WarmUpAsync(host, ct);
        var candidate = new List<Measurement>();
        var baseline = new List<Measurement>();
        for (var i = 0; i < repetitions; i++)
        {
            var a = await scenario.CandidateAsync(host, ct);
            var b = await scenario.BaselineAsync(host, ct);
            candidate.Add(a);
            baseline.Add(b);
            Console.WriteLine($"   rep {i + 1}/{repetitions}: ledger {Stats.F(a.Value)} {scenario.Unit} (p50 {Stats.F(a.P50Ms)} ms, p99 {Stats.F(a.P99Ms)} ms, errors {a.Errors})"
                + $" | raw {Stats.F(b.Value)} {scenario.Unit} (p50 {Stats.F(b.P50Ms)} ms, p99 {Stats.F(b.P99Ms)} ms, errors {b.Errors})"
                + $" | ratio {a.Value / b.Value:F2}");
        }

        var ratios = candidate.Zip(baseline, (a, b) => a.Value / b.Value).ToArray();
        var ratioMedian = Stats.Median(ratios);
        var met = !scenario.RatioIsTarget || (scenario.HigherIsBetter ? ratioMedian >= scenario.RatioTarget : ratioMedian <= scenario.RatioTarget);
        var rows = new List<Row>
        {
            new(scenario.Name, $"ledger / raw ({scenario.Unit})", ratioMedian, ratios.Min(), ratios.Max(),
                scenario.RatioIsTarget ? (scenario.HigherIsBetter ? "≥ " : "≤ ") + scenario.RatioTarget.ToString("0.0#") + "×" : "— (context)", met,
                $"ledger {Stats.F(Stats.Median(candidate.Select(m => m.Value)))} vs raw {Stats.F(Stats.Median(baseline.Select(m => m.Value)))} {scenario.Unit}"),
        };
        rows.AddRange(scenario.ExtraRows(candidate, baseline));
        var costs = await scenario.CostsAsync(host, ct);
        foreach (var cost in costs)
        {
            Console.WriteLine($"   cost per request, {cost.Name}: {cost.Summary}");
            foreach (var (statement, perRequest) in cost.Top) Console.WriteLine($"      {perRequest,6:F2} × {statement}");
            rows.Add(new Row(scenario.Name, $"cost per request: {cost.Name} (round trips)", cost.RoundTrips, cost.RoundTrips, cost.RoundTrips,
                "— (context)", true, cost.Summary));
        }
        Console.WriteLine($"   done in {clock.Elapsed.TotalSeconds:F0} s");

        Directory.CreateDirectory(resultsDir);
        var file = Path.Combine(resultsDir, $"{scenario.Name}-{DateTime.UtcNow:yyyy-MM-dd}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            scenario = scenario.Name,
            title = scenario.Title,
            unit = scenario.Unit,
            date = DateTimeOffset.UtcNow,
            machine = Machine.Describe(),
            repetitions,
            rows,
            candidate,
            baseline,
            costs = costs.Select(c => new
            {
                c.Name, c.Requests, c.RoundTrips, c.Statements, c.Resets, c.Commits, c.WalBytes, c.PostgresCpuMs, c.DotnetCpuMs, c.AllocatedKb,
                top = c.Top.Select(t => new { statement = t.Statement, perRequest = t.PerRequest }),
            }),
        }, Json), ct);
        return rows;
    }

    public static string Markdown(IEnumerable<Row> rows, DateTimeOffset when)
    {
        var lines = new List<string>
        {
            $"Measured {when:yyyy-MM-dd} on {Machine.Describe()}; PostgreSQL 15 with fsync and synchronous_commit on, on the same machine.",
            "Median of interleaved repetitions (ledger, raw, ledger, raw, ...); spread is min–max over the repetitions.",
            "",
            "| scenario | metric | median | spread (min–max) | target | met | absolute (medians) |",
            "|---|---|---|---|---|---|---|",
        };
        lines.AddRange(rows.Select(r =>
            $"| {r.Scenario} | {r.Metric} | {Stats.F(r.Median)} | {Stats.F(r.Min)}–{Stats.F(r.Max)} | {r.Target} | {(r.Met ? "yes" : "**no**")} | {r.Absolute} |"));
        return string.Join('\n', lines) + '\n';
    }
}

public static class Machine
{
    public static string Describe()
    {
        var memGiB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return $"{Environment.ProcessorCount} cores, {memGiB:F0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}";
    }

    /// <summary>Resident set size of this process (VmRSS), in MB.</summary>
    public static double RssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
            }
        }
        return Environment.WorkingSet / (1024.0 * 1024);
    }
}
