using System.Diagnostics;

namespace Provenance.Tests.Contract;

/// <summary>
/// The npm tools the contract tests run (Contract/client/package.json, pinned by its package-lock.json): Redocly's linter,
/// openapi-typescript, tsc and tsx. <c>npm ci</c> installs them once when node_modules is missing (ops/test.sh does it up front).
/// </summary>
public static class ContractTools
{
    private static readonly SemaphoreSlim Install = new(1, 1);

    public static string Root => typeof(ContractTools).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false).Cast<System.Reflection.AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    public static string ClientFolder => Path.Combine(Root, "tests", "Provenance.Tests", "Contract", "client");

    /// <summary>Runs an installed tool (<c>node_modules/.bin/NAME</c>) in the client folder; its exit code and everything it printed.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(string tool, IEnumerable<string> arguments, TimeSpan deadline,
        IDictionary<string, string>? environment = null)
    {
        await EnsureInstalledAsync();
        return await ProcessAsync(Path.Combine(ClientFolder, "node_modules", ".bin", tool), arguments, deadline, environment);
    }

    private static async Task EnsureInstalledAsync()
    {
        await Install.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(ClientFolder, "node_modules", ".bin", "redocly"))) return;
            var (exit, output) = await ProcessAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5), null);
            if (exit != 0) throw new InvalidOperationException($"npm ci in {ClientFolder} failed: {output}");
        }
        finally
        {
            Install.Release();
        }
    }

    private static async Task<(int Exit, string Output)> ProcessAsync(string file, IEnumerable<string> arguments, TimeSpan deadline,
        IDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = ClientFolder, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        // Redocly asks nobody's permission to phone home, nor to print an update notice: neither here.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} ran past {deadline}: {await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
