using System.CommandLine;
using System.Text.Json;
using Provenance.Ledger;

namespace Provenance.Cli;

/// <summary>
/// <c>provenance verify-proof FILE (--key KEY | …)</c> with a c2sp.org/tlog-proof file (entry, index, path and signed checkpoint in
/// one), or <c>provenance verify-proof --leaf-hash H --proof JSON --checkpoint FILE (--key KEY | --key-file FILE | --key-url URL)</c>:
/// one inclusion proof against a signed checkpoint. The checkpoint's signature is checked with the trusted key, never taken on faith.
/// </summary>
static class VerifyProofCommand
{
    public static Command Create(Func<string, string, HttpClient> connect)
    {
        var file = new Argument<FileInfo?>("tlog-proof")
        {
            Description = "A c2sp.org/tlog-proof file (format=tlog-proof, or tlogProof in a JSON report): needs nothing else but the key.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var leafHash = new Option<string>("--leaf-hash") { Description = "The leaf hash, base64 or hex (with --proof and --checkpoint)." };
        var proof = new Option<string>("--proof") { Description = "The inclusion proof JSON {leafIndex, treeSize, auditPath}, or a file holding it." };
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "The signed checkpoint note (GET /api/ledger/checkpoint)." };
        var key = new TrustedKey();
        var witnesses = new WitnessPolicyOptions();
        var command = new Command("verify-proof", "Verify one inclusion proof against a signed checkpoint. Exit 0 verified, 1 not, 2 cannot verify.")
        {
            file, leafHash, proof, checkpoint,
        };
        key.AddTo(command);
        witnesses.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var proofFile = result.GetValue(file);
            var parts = (Leaf: result.GetValue(leafHash), Proof: result.GetValue(proof), Checkpoint: result.GetValue(checkpoint));
            if (proofFile is null && (parts.Leaf is null || parts.Proof is null || parts.Checkpoint is null))
            {
                return ExitCodes.Cannot("Give a tlog-proof file, or all of --leaf-hash, --proof and --checkpoint.");
            }
            if (proofFile is not null && (parts.Leaf ?? parts.Proof ?? (object?)parts.Checkpoint) is not null)
            {
                return ExitCodes.Cannot("A tlog-proof file carries the leaf, the proof and the checkpoint: give it alone.");
            }
            var input = proofFile ?? parts.Checkpoint!;
            if (!input.Exists) return ExitCodes.Cannot($"{input.FullName} does not exist.");
            var policy = witnesses.Resolve(result, out var policyError);
            if (policyError is not null) return ExitCodes.Cannot(policyError);
            var verifier = await key.ResolveAsync(result, connect, ct);
            if (verifier is null) return ExitCodes.CannotVerify;
            return proofFile is not null ? RunTlogProof(proofFile, verifier, policy) : Run(parts.Leaf!, parts.Proof!, parts.Checkpoint!, verifier, policy);
        });
        return command;
    }

    static int RunTlogProof(FileInfo file, NoteVerifier verifier, WitnessPolicy? policy)
    {
        if (file.Length > TlogProof.MaxBytes) return ExitCodes.Cannot($"{file.FullName} is larger than a tlog-proof can be ({TlogProof.MaxBytes} bytes).");
        TlogProof proof;
        try
        {
            proof = TlogProof.Parse(File.ReadAllText(file.FullName));
        }
        catch (FormatException malformed)
        {
            return Fail($"FAIL proof: {malformed.Message}");
        }
        var result = proof.Verify(verifier);
        if (result.Checkpoint is { } signed)
        {
            Console.WriteLine($"PASS checkpoint: {signed.Origin} at tree size {signed.TreeSize}, signed by {verifier.Name}+{verifier.KeyId:x8}.");
        }
        if (!result.IsValid) return Fail($"FAIL {result.Reason}");
        if (policy is not null && !WitnessPolicyOptions.Check(policy, proof.Checkpoint)) return ExitCodes.NotVerified;
        var entry = result.Entry is { } e ? $" (event {e.Sequence}, {e.EventType}, stream {e.StreamId} version {e.Version}, by {e.Actor})" : "";
        Console.WriteLine($"PASS inclusion: leaf {proof.Index}{entry} is in the tree under root {Convert.ToBase64String(result.Checkpoint!.RootHash)}.");
        return ExitCodes.Verified;
    }

    static int Run(string leafHashText, string proofText, FileInfo checkpointFile, NoteVerifier verifier, WitnessPolicy? policy)
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

        var note = File.ReadAllText(checkpointFile.FullName);
        var checkpoint = Checkpoint.Verify(note, verifier);
        if (!checkpoint.IsValid) return Fail($"FAIL checkpoint: {checkpoint.Reason}");
        Console.WriteLine($"PASS checkpoint: {checkpoint.Checkpoint!.Origin} at tree size {checkpoint.Checkpoint.TreeSize}, signed by {verifier.Name}+{verifier.KeyId:x8}.");
        if (policy is not null && !WitnessPolicyOptions.Check(policy, note)) return ExitCodes.NotVerified;
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
