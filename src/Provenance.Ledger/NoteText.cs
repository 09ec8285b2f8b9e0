using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Provenance.Ledger;

/// <summary>The lexical rules shared by signed notes, verifier keys and checkpoints (c2sp.org/signed-note).</summary>
static class NoteText
{
    public const byte Ed25519SignatureType = 0x01;

    public const int Ed25519KeySize = 32;

    public static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Key names are non-empty, with no Unicode space and no '+'.</summary>
    public static bool IsValidKeyName(string? name) =>
        !string.IsNullOrEmpty(name) && IsValidUtf16(name) && !name.Any(c => char.IsWhiteSpace(c) || c == '+');

    /// <summary>True when the text has no ASCII control character other than newline and no lone surrogate.</summary>
    public static bool HasOnlyNoteCharacters(string text) => IsValidUtf16(text) && !text.Any(c => c < ' ' && c != '\n');

    /// <summary>key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian.</summary>
    public static uint KeyId(string name, byte signatureType, ReadOnlySpan<byte> publicKey)
    {
        var nameBytes = StrictUtf8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = (byte)'\n';
        input[nameBytes.Length + 1] = signatureType;
        publicKey.CopyTo(input.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }

    /// <summary>Standard padded base64 (RFC 4648 §4), refusing the whitespace that <see cref="Convert"/> would skip.</summary>
    public static bool TryDecodeBase64(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length % 4 != 0 || !text.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '='))
        {
            return false;
        }
        var buffer = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64String(text, buffer, out var written))
        {
            return false;
        }
        bytes = buffer[..written];
        return true;
    }

    /// <summary>Exactly eight hex digits, as verifier and signer keys write the key ID.</summary>
    public static bool TryParseKeyId(string text, out uint keyId)
    {
        keyId = 0;
        return text.Length == 8 && text.All(char.IsAsciiHexDigit)
            && uint.TryParse(text, System.Globalization.NumberStyles.AllowHexSpecifier, null, out keyId);
    }

    static bool IsValidUtf16(string text)
    {
        try
        {
            StrictUtf8.GetByteCount(text);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }
}
