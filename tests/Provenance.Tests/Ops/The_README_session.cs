using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Provenance.Faults;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Ops;

/// <summary>
/// The README's "short session", extracted from README.md and run by bash (with curl and jq) against the real API as a process on a
/// loopback port, seeded with the sample corpus, in a schema of its own: twice, since it must run as written any number of times.
/// The same start shows that a first start does not print the schema SQL (appsettings.json in the content root).
/// </summary>
public sealed class The_README_session(ITestOutputHelper output)
{
    static string Root => typeof(The_README_session).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false).Cast<System.Reflection.AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>The first fenced bash block after the "A short session" heading.</summary>
    public static string Session(string readme)
    {
        var lines = readme.Split('\n');
        var heading = Array.FindIndex(lines, l => l.TrimEnd() == "## A short session");
        heading.ShouldBeGreaterThanOrEqualTo(0, "README.md has no '## A short session' section");
        var open = Array.FindIndex(lines, heading, l => l.TrimEnd() == "```bash");
        var close = Array.FindIndex(lines, open + 1, l => l.TrimEnd() == "```");
        return string.Join('\n', lines[(open + 1)..close]) + "\n";
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task The_short_session_runs_as_written_twice_against_a_fresh_ledger()
    {
        var connectionString = Environment.GetEnvironmentVariable("PROVENANCE_TEST_CONNECTION_STRING")
                               ?? throw new InvalidOperationException("Set PROVENANCE_TEST_CONNECTION_STRING (ops/test.sh does): this test starts the API as a process.");
        var schema = $"readme_{Guid.NewGuid():N}"[..20];
        var state = Directory.CreateTempSubdirectory("provenance-readme-");
        var adminKey = $"pvk_admin_readme_{Guid.NewGuid():N}";
        await File.WriteAllTextAsync(Path.Combine(state.FullName, "admin-key"), adminKey + "\n");
        var port = FreePort();
        using var api = new ApiProcess(connectionString, schema, adminKey, port, new Dictionary<string, string>
        {
            ["Provenance__SeedManifest"] = Path.Combine(Root, "seeds", "manifest.json"),
            ["Logging__LogLevel__Default"] = "Information",
            // As ops/run.sh does: the project folder is the content root, so appsettings.json is read.
            ["ASPNETCORE_CONTENTROOT"] = Path.Combine(Root, "src", "Provenance.Api"),
        });
        try
        {
            await api.StartAsync(TimeSpan.FromMinutes(2));
            var started = string.Join('\n', api.Output);
            started.ShouldNotContain("CREATE TABLE", Case.Insensitive, "a first start printed the schema SQL");
            started.ShouldContain("Seed corpus");

            var script = Path.Combine(state.FullName, "session.sh");
            await File.WriteAllTextAsync(script, Session(await File.ReadAllTextAsync(Path.Combine(Root, "README.md"))));
            for (var run = 1; run <= 2; run++)
            {
                var (exit, text) = await BashAsync(script, new Dictionary<string, string>
                {
                    ["PROVENANCE_STATE_DIR"] = state.FullName, ["PROVENANCE_PORT"] = port.ToString(),
                });
                output.WriteLine($"run {run}:\n{text}");
                exit.ShouldBe(0, text);
                text.ShouldContain("\"title\": \"NDP pressures Liberals to act on Nagorno-Karabakh crisis, impose sanctions\"");
                text.ShouldContain("\"revision\": 2,\n  \"title\": \"Field notes\"");
                text.ShouldContain("412 \"2\"");
                text.ShouldContain("{\"type\":\"document_edited\",\"revision\":2,\"actor\":\"me.editor\"}");
            }
        }
        finally
        {
            api.Kill();
            state.Delete(recursive: true);
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop schema if exists {schema} cascade", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    static async Task<(int Exit, string Output)> BashAsync(string script, IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", script])
        {
            WorkingDirectory = Path.GetDirectoryName(script)!, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The README session ran past two minutes: {await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
