using System.CommandLine;
using Provenance.Ledger;
using Spectre.Console;

namespace Provenance.Cli;

/// <summary>
/// <c>provenance verify-report FILE [--signature FILE.sig] (--key KEY | --key-file FILE | --key-url URL | --trust-embedded-key)</c>:
/// offline (but for <c>--key-url</c>), with Provenance.Ledger only.
/// </summary>
static class VerifyReportCommand
{
    public static Command Create(Func<string, string, HttpClient> connect)
    {
        var file = new Argument<FileInfo>("file") { Description = "An exported JSON report (provenance-report/1)." };
        var signature = new Option<FileInfo?>("--signature", "--sig") { Description = "The detached signature (the Provenance-Signature header's text); default: FILE.sig." };
        var trustEmbedded = new Option<bool>("--trust-embedded-key")
        {
            Description = "Check the report against the key it names itself. Proves only consistency: the result is UNTRUSTED KEY (exit 3), never verified.",
        };
        var skipCompleteness = new Option<bool>("--skip-completeness")
        {
            Description = "Do not check that the report holds every event of its document in the checkpoint (for reports made before the document map).",
        };
        var key = new TrustedKey();
        var witnesses = new WitnessPolicyOptions();
        var command = new Command("verify-report",
            "Verify an exported JSON report against the ledger's key: signature, checkpoint, every leaf and inclusion proof, and that no event of the document in the checkpoint is left out. Exit 0 verified, 1 not, 2 cannot verify, 3 untrusted key.")
        {
            file, signature, trustEmbedded, skipCompleteness,
        };
        key.AddTo(command);
        witnesses.AddTo(command);
        command.SetAction((result, ct) =>
        {
            var policy = witnesses.Resolve(result, out var policyError);
            return policyError is not null ? Task.FromResult(ExitCodes.Cannot(policyError))
                : RunAsync(result, result.GetValue(file)!, result.GetValue(signature), key, result.GetValue(trustEmbedded), !result.GetValue(skipCompleteness), policy, connect, ct);
        });
        return command;
    }

    static async Task<int> RunAsync(ParseResult result, FileInfo file, FileInfo? signatureFile, TrustedKey keys, bool trustEmbedded,
        bool completeness, WitnessPolicy? policy, Func<string, string, HttpClient> connect, CancellationToken ct)
    {
        if (!file.Exists) return ExitCodes.Cannot($"{file.FullName} does not exist.");
        var bytes = await File.ReadAllBytesAsync(file.FullName, ct);
        if (!ReportVerifier.IsReport(bytes))
        {
            return ExitCodes.Cannot($"{file.Name} is not a {ReportVerifier.Format} JSON report. For the detached signature of any other export " +
                                    "(PDF, PREMIS, CSV, PROV-JSON, Turtle, JSON-LD, collection reports) run: " +
                                    $"provenance verify-signature {file.FullName} --key ...");
        }
        if (trustEmbedded && keys.Given(result)) return ExitCodes.Cannot("--trust-embedded-key cannot be combined with --key, --key-file or --key-url.");
        if (!trustEmbedded && !keys.Given(result))
        {
            return ExitCodes.Cannot(TrustedKey.Missing + " (--trust-embedded-key checks the report against the key it names, and says UNTRUSTED KEY.)");
        }
        NoteVerifier? trusted = null;
        if (!trustEmbedded && (trusted = await keys.ResolveAsync(result, connect, ct)) is null) return ExitCodes.CannotVerify;

        var sigPath = signatureFile?.FullName ?? file.FullName + ".sig";
        var signature = File.Exists(sigPath) ? (await File.ReadAllTextAsync(sigPath, ct)).Trim() : null;
        var verification = trusted is null ? ReportVerifier.VerifyWithEmbeddedKey(bytes, signature, completeness)
            : ReportVerifier.Verify(bytes, signature, trusted, completeness);
        foreach (var check in verification.Checks)
        {
            var mark = !check.Passed ? "[red]FAIL[/]" : check.Name == "key" && !verification.KeyTrusted ? "[yellow]UNTRUSTED[/]" : "[green]PASS[/]";
            AnsiConsole.MarkupLine($"{mark} {Markup.Escape(check.Name)}: {Markup.Escape(check.Detail)}");
        }
        var witnessed = policy is null || CheckWitnesses(policy, bytes);
        if (!verification.ChecksPassed || !witnessed)
        {
            Console.WriteLine($"{file.Name}: NOT verified.");
            return ExitCodes.NotVerified;
        }
        if (!verification.KeyTrusted)
        {
            Console.WriteLine($"{file.Name}: UNTRUSTED KEY: consistent with the key it names, which no trusted key vouches for. Not verified.");
            return ExitCodes.UntrustedKey;
        }
        Console.WriteLine($"{file.Name}: verified.");
        return ExitCodes.Verified;
    }

    /// <summary>The witness policy against the report's checkpoint note (its log signature is checked with the other checks).</summary>
    static bool CheckWitnesses(WitnessPolicy policy, byte[] report)
    {
        string? note = null;
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(report);
            if (json.RootElement.TryGetProperty("integrity", out var integrity) && integrity.TryGetProperty("checkpoint", out var checkpoint)
                && checkpoint.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                note = checkpoint.GetString();
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        var outcome = note is null ? new PolicyOutcome(false, "The report carries no checkpoint note.", []) : policy.Evaluate(note);
        var who = outcome.Cosigned.Count == 0 ? "none" : string.Join(", ", outcome.Cosigned.Select(c => $"{c.Witness} at {c.Time:u}"));
        AnsiConsole.MarkupLine(outcome.Satisfied
            ? $"[green]PASS[/] witnesses: {Markup.Escape(policy.Describe())}; cosigned by {Markup.Escape(who)}"
            : $"[red]FAIL[/] witnesses: {Markup.Escape(outcome.Reason!)}");
        return outcome.Satisfied;
    }
}
