using System.Net.Http.Headers;
using Alba;
using Provenance.Cli;
using Spectre.Console;
using Xunit.Abstractions;

namespace Provenance.Tests.Reports;

/// <summary>
/// The CLI's own command tree, run in-process with its HttpClient pointed at the test host (so <see cref="Api"/> is a placeholder
/// host). Tests of one collection run one at a time, so swapping the console for the run is safe.
/// </summary>
public sealed class CliRunner(IAlbaHost host, ITestOutputHelper? output = null)
{
    public const string Api = "http://provenance.test";

    public HttpClient Connect(string api, string key)
    {
        var client = host.Server.CreateClient();
        client.BaseAddress = new Uri(api.TrimEnd('/') + "/");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Runs <c>provenance ARGS</c>; returns the exit code and everything written to standard output and error.</summary>
    public async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var writer = new StringWriter();
        var (stdout, stderr, ansi) = (Console.Out, Console.Error, AnsiConsole.Console);
        Console.SetOut(writer);
        Console.SetError(writer);
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        try
        {
            var exit = await Commands.RunAsync(Connect, args);
            output?.WriteLine($"$ provenance {string.Join(' ', args)}\n{writer}\n(exit {exit})");
            return (exit, writer.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            AnsiConsole.Console = ansi;
        }
    }
}
