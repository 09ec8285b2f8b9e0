using System.CommandLine;

namespace Provenance.Cli;

static class Program
{
    static Task<int> Main(string[] args) => Commands.RunAsync(ApiClient.Create, args);
}

/// <summary>The command tree; <c>connect</c> makes the HttpClient for an API URL and key, so tests can hand in an in-process server's client.</summary>
static class Commands
{
    public static RootCommand Root(Func<string, string, HttpClient> connect) =>
        new("Provenance: bulk import, signed exports and offline verification of provenance reports, signatures and proofs.")
        {
            ImportCommand.Create(connect),
            ExportCommand.Create(connect),
            VerifyReportCommand.Create(connect),
            VerifySignatureCommand.Create(connect),
            VerifyProofCommand.Create(connect),
            MonitorCommand.Create(connect),
            WitnessCommand.Create(),
            VerifyBagCommand.Create(connect),
            RestoreCommand.Create(connect),
            ExportOcflCommand.Create(connect),
            VerifyOcflCommand.Create(connect),
        };

    /// <summary>Runs the command line; a usage error (unknown option, missing argument) exits 2, like "cannot verify".</summary>
    public static async Task<int> RunAsync(Func<string, string, HttpClient> connect, string[] args)
    {
        var parsed = Root(connect).Parse(args);
        var exit = await parsed.InvokeAsync();
        return parsed.Errors.Count > 0 ? ExitCodes.CannotVerify : exit;
    }
}
