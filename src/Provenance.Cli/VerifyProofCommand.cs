using System.CommandLine;
using System.Text.Json;
using Provenance.Ledger;

namespace Provenance.Cli;

/// <summary>
/// <c>provenance verify-proof --leaf-hash H --proof JSON --checkpoint FILE (--key KEY | --key-file FILE | --key-url URL)</c>: one
/// inclusion proof against a signed checkpoint. The checkpoint's signature is checked with the trusted key, never taken on faith.
/// </summary>
static class VerifyProofCommand
{
    public static Command Create(Func<string, string, HttpClient> connect)
    {
        var leafHash = new Option<string>("--leaf-hash") { Description = "The leaf hash, base64 or hex.", Required = true };
        var proof = new Option<string>("--proof") { Description = "The inclusion proof JSON {leafIndex, treeSize, auditPath}, or a file holding it.", Required = true };
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "The signed checkpoint note (GET /api/ledger/checkpoint).", Required = true };
        var key = new TrustedKey();
        var command = new Command("verify-proof", "Verify one inclusion proof against a signed checkpoint. Exit 0 verified, 1 not, 2 cannot verify.")
        {
            leafHash, proof, checkpoint,
        };
        key.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            if (!result.GetValue(checkpoint)!.Exists) return ExitCodes.Cannot($"{result.GetValue(checkpoint)!.FullName} does not exist.");
            var verifier = await key.ResolveAsync(result, connect, ct);
            return verifier is null
                ? ExitCodes.CannotVerify
                : Run(result.GetValue(leafHash)!, result.GetValue(proof)!, result.GetValue(checkpoint)!, verifier);
        });
        return command;
    }

    static int Run(string leafHashText, string proofText, FileInfo checkpointFile, NoteVerifier verifier)
    {
        var json = File.Exists(proofText) ? File.ReadAllText(proofText) : proofText;
        InclusionProof? proof;
        try
        {
            proof = JsonSerializer.Deserialize<InclusionProof>(json, LedgerJson.Options);
        }
        catch (JsonException e)
        {
            return Fail($"The proof is not valid JSON: {e.Message}");
        }
        if (proof is null) return Fail("The proof is empty.");
        byte[] leafHash;
        try
        {
            leafHash = leafHashText.Length == 64 && leafHashText.All(char.IsAsciiHexDigit)
                ? Convert.FromHexString(leafHashText)
                : Convert.FromBase64String(leafHashText);
        }
        catch (FormatException)
        {
            return Fail("The leaf hash is neither 64 hex digits nor base64.");
        }

        var checkpoint = Checkpoint.Verify(File.ReadAllText(checkpointFile.FullName), verifier);
        if (!checkpoint.IsValid) return Fail($"FAIL checkpoint: {checkpoint.Reason}");
        Console.WriteLine($"PASS checkpoint: {checkpoint.Checkpoint!.Origin} at tree size {checkpoint.Checkpoint.TreeSize}, signed by {verifier.Name}+{verifier.KeyId:x8}.");
        if (proof.TreeSize != checkpoint.Checkpoint.TreeSize)
        {
            return Fail($"FAIL proof: it is for tree size {proof.TreeSize}, the checkpoint for {checkpoint.Checkpoint.TreeSize}.");
        }
        var result = proof.Verify(leafHash, checkpoint.Checkpoint.RootHash);
        if (!result.IsValid) return Fail($"FAIL inclusion: {result.Reason}");
        Console.WriteLine($"PASS inclusion: leaf {proof.LeafIndex} is in the tree under root {Convert.ToBase64String(checkpoint.Checkpoint.RootHash)}.");
        return ExitCodes.Verified;
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return ExitCodes.NotVerified;
    }
}
