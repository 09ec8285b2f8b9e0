using System.CommandLine;

namespace Provenance.Cli;

static class Program
{
    static Task<int> Main(string[] args) => Commands.Root(ApiClient.Create).Parse(args).InvokeAsync();
}

/// <summary>The command tree; <c>connect</c> makes the HttpClient for an API URL and key, so tests can hand in an in-process server's client.</summary>
static class Commands
{
    public static RootCommand Root(Func<string, string, HttpClient> connect) =>
        new("Provenance: bulk import, signed exports and offline verification of provenance reports and proofs.")
        {
            ImportCommand.Create(connect),
            ExportCommand.Create(connect),
            VerifyReportCommand.Create(),
            VerifyProofCommand.Create(),
        };
}
