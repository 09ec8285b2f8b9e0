using System.CommandLine;
using Provenance.Ledger;
using Spectre.Console;

namespace Provenance.Cli;

/// <summary><c>provenance verify-report FILE [--signature FILE.sig] [--key KEY | --key-file FILE]</c>: offline, with Provenance.Ledger only.</summary>
static class VerifyReportCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "An exported JSON report (provenance-report/1)." };
        var signature = new Option<FileInfo?>("--signature") { Description = "The detached signature (the Provenance-Signature header's text); default: FILE.sig." };
        var key = new Option<string?>("--key") { Description = "The ledger's verifier key (GET /api/ledger/key); without it, the report's own key is trusted and the output says so." };
        var keyFile = new Option<FileInfo?>("--key-file") { Description = "A file holding the verifier key." };
        var command = new Command("verify-report", "Verify an exported JSON report offline: signature, checkpoint, every leaf and inclusion proof.")
        {
            file, signature, key, keyFile,
        };
        command.SetAction(result => Run(result.GetValue(file)!, result.GetValue(signature), result.GetValue(key), result.GetValue(keyFile)));
        return command;
    }

    internal static int Run(FileInfo file, FileInfo? signatureFile, string? key, FileInfo? keyFile)
    {
        if (!file.Exists) return Fail($"{file.FullName} does not exist.");
        var bytes = File.ReadAllBytes(file.FullName);
        var sigPath = signatureFile?.FullName ?? file.FullName + ".sig";
        var signature = File.Exists(sigPath) ? File.ReadAllText(sigPath).Trim() : null;

        NoteVerifier? trusted = null;
        var keyText = key ?? (keyFile is not null ? File.ReadAllText(keyFile.FullName).Trim() : null);
        if (keyText is not null && !NoteVerifier.TryParse(keyText, out trusted, out var error)) return Fail(error);

        var verification = ReportVerifier.Verify(bytes, signature, trusted);
        foreach (var check in verification.Checks)
        {
            var mark = check.Passed ? "[green]PASS[/]" : "[red]FAIL[/]";
            AnsiConsole.MarkupLine($"{mark} {Markup.Escape(check.Name)}: {Markup.Escape(check.Detail)}");
        }
        Console.WriteLine(verification.Passed ? $"{file.Name}: verified." : $"{file.Name}: NOT verified.");
        return verification.Passed ? 0 : 1;
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 1;
    }
}
