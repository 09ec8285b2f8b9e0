namespace Provenance.Ledger;

/// <summary>The outcome of checking a proof or signature, with the reason when it failed.</summary>
public sealed record VerificationResult(bool IsValid, string? Reason)
{
    public static VerificationResult Valid { get; } = new(true, null);

    public static VerificationResult Invalid(string reason) => new(false, reason);
}
