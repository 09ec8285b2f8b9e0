using System.CommandLine;
using Provenance.Ledger;

namespace Provenance.Cli;

/// <summary>
/// <c>provenance verify-signature FILE [--sig FILE.sig] (--key KEY | --key-file FILE | --key-url URL)</c>: the detached Ed25519
/// signature of any export (every report format, collection reports) over its exact bytes. It says who signed the bytes, not
/// what they prove: for a JSON report, <c>verify-report</c> also checks every event against the signed checkpoint.
/// </summary>
static class VerifySignatureCommand
{
    public static Command Create(Func<string, string, HttpClient> connect)
    {
        var file = new Argument<FileInfo>("file") { Description = "Any export: JSON, PROV-JSON, Turtle, JSON-LD, PREMIS, CSV, PDF, a collection report." };
        var signature = new Option<FileInfo?>("--sig", "--signature")
        {
            Description = "The detached signature (Provenance-Signature header, trailer or GET /api/reports/provenance.sig); default: FILE.sig.",
        };
        var key = new TrustedKey();
        var command = new Command("verify-signature",
            "Verify the ledger's detached signature over the exact bytes of any export. Exit 0 verified, 1 not, 2 cannot verify.")
        {
            file, signature,
        };
        key.AddTo(command);
        command.SetAction((result, ct) => RunAsync(result, result.GetValue(file)!, result.GetValue(signature), key, connect, ct));
        return command;
    }

    static async Task<int> RunAsync(ParseResult result, FileInfo file, FileInfo? signatureFile, TrustedKey keys,
        Func<string, string, HttpClient> connect, CancellationToken ct)
    {
        if (!file.Exists) return ExitCodes.Cannot($"{file.FullName} does not exist.");
        var sigPath = signatureFile?.FullName ?? file.FullName + ".sig";
        if (!File.Exists(sigPath))
        {
            return ExitCodes.Cannot($"No signature: {sigPath} does not exist. `provenance export` writes FILE.sig; otherwise save the " +
                                    "Provenance-Signature header (or GET /api/reports/provenance.sig for a collection report) and pass --sig.");
        }
        var key = await keys.ResolveAsync(result, connect, ct);
        if (key is null) return ExitCodes.CannotVerify;

        VerificationResult verification;
        long length;
        try
        {
            var signature = DetachedSignature.Parse(await File.ReadAllTextAsync(sigPath, ct));
            await using var bytes = File.OpenRead(file.FullName);
            length = bytes.Length;
            verification = signature.Verify(bytes, key);
        }
        catch (FormatException e)
        {
            verification = VerificationResult.Invalid(e.Message);
            length = file.Length;
        }
        if (!verification.IsValid)
        {
            Console.WriteLine($"FAIL signature: {verification.Reason}");
            Console.WriteLine($"{file.Name}: NOT verified.");
            return ExitCodes.NotVerified;
        }
        Console.WriteLine($"PASS signature: Ed25519 signature by {key.Name}+{key.KeyId:x8} over all {length} bytes.");
        Console.WriteLine($"{file.Name}: signature verified.");
        return ExitCodes.Verified;
    }
}
