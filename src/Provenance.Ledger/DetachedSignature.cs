using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Provenance.Ledger;

/// <summary>
/// An Ed25519 signature over export bytes (signed reports), written "ed25519 &lt;hex key ID&gt; &lt;base64 signature&gt;".
/// The signed message is "provenance/detached-signature/v1" || 0x00 || SHA-256(data): the NUL byte means it can
/// never also read as a signed note (which forbids control characters), so one key serves both safely.
/// </summary>
public sealed record DetachedSignature(uint KeyId, byte[] Signature)
{
    public const string Algorithm = "ed25519";

    const string Context = "provenance/detached-signature/v1";

    public override string ToString() => $"{Algorithm} {KeyId:x8} {Convert.ToBase64String(Signature)}";

    /// <summary>Parses the text form; throws <see cref="FormatException"/> when it is malformed.</summary>
    public static DetachedSignature Parse(string text)
    {
        var parts = text.Trim().Split(' ');
        if (parts.Length != 3
            || parts[0] != Algorithm
            || !NoteText.TryParseKeyId(parts[1], out var keyId)
            || !NoteText.TryDecodeBase64(parts[2], out var signature)
            || signature.Length != 64)
        {
            throw new FormatException("Malformed detached signature: expected \"ed25519 <8 hex digits> <base64 64-byte signature>\".");
        }
        return new DetachedSignature(keyId, signature);
    }

    public VerificationResult Verify(ReadOnlySpan<byte> data, NoteVerifier key) => Verify(Digest(data), key);

    public VerificationResult Verify(Stream data, NoteVerifier key) => Verify(Digest(data), key);

    VerificationResult Verify(byte[] digest, NoteVerifier key)
    {
        if (KeyId != key.KeyId)
        {
            return VerificationResult.Invalid(
                $"Signed by key ID {KeyId.ToString("x8", CultureInfo.InvariantCulture)}, not by {key.Name}+{key.KeyId:x8}.");
        }
        return key.VerifySignature(SignedMessage(digest), Signature)
            ? VerificationResult.Valid
            : VerificationResult.Invalid("The signature does not match the data.");
    }

    internal static byte[] Digest(ReadOnlySpan<byte> data) => SHA256.HashData(data);

    internal static byte[] Digest(Stream data) => SHA256.HashData(data);

    internal static byte[] SignedMessage(byte[] digest) => [.. Encoding.ASCII.GetBytes(Context), 0x00, .. digest];
}
