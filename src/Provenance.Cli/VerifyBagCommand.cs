using System.CommandLine;
using Provenance.Ledger;

namespace Provenance.Cli;

/// <summary>
/// <c>provenance verify-bag PATH (--key KEY | --key-file FILE | --key-url URL)</c>: a bag folder, <c>.zip</c> or <c>.tar</c>, checked offline:
/// its fixity first, then its evidence against the trusted key. Every failure names the file or event.
/// </summary>
static class VerifyBagCommand
{
    public static Command Create(Func<string, string, HttpClient> connect)
    {
        var path = new Argument<string>("path") { Description = "A BagIt bag: its folder, or the .zip or .tar the API exported." };
        var key = new TrustedKey();
        var command = new Command("verify-bag",
            "Verify a BagIt package offline: bagit.txt, every manifest line, Payload-Oxum, the signature over the tag manifest, every report and tlog-proof inside. Exit 0 verified, 1 not, 2 cannot verify.")
        {
            path,
        };
        key.AddTo(command);
        command.SetAction((result, ct) => RunAsync(result, result.GetValue(path)!, key, connect, ct));
        return command;
    }

    static async Task<int> RunAsync(ParseResult result, string path, TrustedKey keys, Func<string, string, HttpClient> connect, CancellationToken ct)
    {
        if (!Directory.Exists(path) && !File.Exists(path)) return ExitCodes.Cannot($"{path} does not exist.");
        if (await keys.ResolveAsync(result, connect, ct) is not { } key) return ExitCodes.CannotVerify;
        var (exit, _) = await VerifyAsync(path, key, ct);
        return exit;
    }

    /// <summary>Reads and verifies one bag, printing each check; the exit code and the bag when it verified.</summary>
    public static async Task<(int Exit, PackageFiles? Bag)> VerifyAsync(string path, NoteVerifier key, CancellationToken ct)
    {
        PackageFiles bag;
        try
        {
            bag = await PackageFiles.ReadAsync(path, PackageFiles.KeepTagFiles, ct);
        }
        catch (UnsafePackageException e)
        {
            Console.WriteLine($"FAIL {e.Message}");
            Console.WriteLine($"{path}: NOT verified (refused: unsafe package).");
            return (ExitCodes.NotVerified, null);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
        {
            Console.WriteLine($"FAIL {path}: {e.Message}");
            Console.WriteLine($"{path}: NOT verified (unreadable package).");
            return (ExitCodes.NotVerified, null);
        }
        var checks = BagVerifier.Verify(bag, key);
        Print(checks);
        if (checks.Count == 0 || checks.Any(c => !c.Passed))
        {
            Console.WriteLine($"{path}: NOT verified ({checks.Count(c => !c.Passed)} failed).");
            return (ExitCodes.NotVerified, null);
        }
        Console.WriteLine($"{path}: verified ({bag.Files.Count} files).");
        return (ExitCodes.Verified, bag);
    }

    public static void Print(IEnumerable<PackageCheck> checks)
    {
        foreach (var check in checks)
        {
            // Plain lines, never wrapped: scripts and people grep them for the file that failed.
            Console.WriteLine($"{(check.Passed ? "PASS" : "FAIL")} {check.Subject}: {check.Detail}");
        }
    }
}
