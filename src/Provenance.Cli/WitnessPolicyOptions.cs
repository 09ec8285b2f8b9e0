using System.CommandLine;
using Provenance.Ledger;

namespace Provenance.Cli;

/// <summary>
/// The witness policy a verify command enforces: <c>--witness-policy FILE</c> (a c2sp.org/tlog-policy file), or <c>--witness VKEY</c>
/// (repeatable) with <c>--witness-quorum N</c> (default: all of them). Without either, no cosignature is required.
/// </summary>
sealed class WitnessPolicyOptions
{
    readonly Option<FileInfo?> policy = new("--witness-policy") { Description = "A c2sp.org/tlog-policy file: witness lines, groups and the quorum the checkpoint must meet." };
    readonly Option<string[]> witnesses = new("--witness") { Description = "A witness's cosignature verifier key (<name>+<id>+<base64 of 0x04 || key>); repeat for more." };
    readonly Option<int?> quorum = new("--witness-quorum") { Description = "How many of the --witness keys must cosign (default: all)." };

    public void AddTo(Command command)
    {
        command.Options.Add(policy);
        command.Options.Add(witnesses);
        command.Options.Add(quorum);
    }

    /// <summary>
    /// The policy (null when none was asked for); <paramref name="error"/> is set when the options are wrong, and the command then
    /// exits <see cref="ExitCodes.CannotVerify"/>.
    /// </summary>
    public WitnessPolicy? Resolve(ParseResult result, out string? error)
    {
        error = null;
        var file = result.GetValue(policy);
        var keys = result.GetValue(witnesses) ?? [];
        var k = result.GetValue(quorum);
        if (file is not null && (keys.Length > 0 || k is not null))
        {
            error = "Give --witness-policy, or --witness keys with --witness-quorum, not both.";
            return null;
        }
        if (file is not null)
        {
            try
            {
                return WitnessPolicy.Parse(File.ReadAllText(file.FullName));
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                error = $"--witness-policy {file.FullName}: {e.Message}";
                return null;
            }
        }
        if (keys.Length == 0)
        {
            if (k is not null) error = "--witness-quorum needs --witness keys.";
            return null;
        }
        var verifiers = new List<CosignatureVerifier>();
        foreach (var key in keys)
        {
            if (!CosignatureVerifier.TryParse(key, out var verifier, out var why))
            {
                error = $"--witness '{key}': {why}";
                return null;
            }
            verifiers.Add(verifier!);
        }
        try
        {
            return WitnessPolicy.Threshold(verifiers, k);
        }
        catch (ArgumentException e)
        {
            error = $"--witness-quorum: {e.Message}";
            return null;
        }
    }

    /// <summary>PASS/FAIL line for the checkpoint note; returns whether the quorum holds.</summary>
    public static bool Check(WitnessPolicy policy, string note)
    {
        var outcome = policy.Evaluate(note);
        var who = outcome.Cosigned.Count == 0 ? "none" : string.Join(", ", outcome.Cosigned.Select(c => $"{c.Witness} ({c.VerifierKey.Split('+')[0]}, at {c.Time:u})"));
        if (outcome.Satisfied)
        {
            Console.WriteLine($"PASS witnesses: {policy.Describe()}; cosigned by {who}.");
            return true;
        }
        Console.Error.WriteLine($"FAIL witnesses: {outcome.Reason}");
        return false;
    }
}
