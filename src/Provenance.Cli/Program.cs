using System.CommandLine;

namespace Provenance.Cli;

static class Program
{
    static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Provenance: bulk import, signed exports and offline verification of provenance reports and proofs.")
        {
            ImportCommand.Create(),
            ExportCommand.Create(),
            VerifyReportCommand.Create(),
            VerifyProofCommand.Create(),
        };
        return root.Parse(args).InvokeAsync();
    }
}
