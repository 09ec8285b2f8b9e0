using System.Buffers.Binary;
using System.Globalization;
using NSec.Cryptography;

namespace Provenance.Ledger;

/// <summary>
/// c2sp.org/tlog-cosignature v1 (Ed25519): a witness's timestamped signature of a checkpoint's whole note body. The signed
/// message is "cosignature/v1\ntime &lt;T&gt;\n" then the note body (extension lines included); the signature line carries
/// big-endian u64 T then the 64-byte Ed25519 signature, under a key ID computed with signature type 0x04.
/// </summary>
public static class Cosignature
{
    public const byte SignatureType = 0x04;

    /// <summary>8-byte timestamp + 64-byte Ed25519 signature.</summary>
    public const int SignatureBytes = 8 + 64;

    public static byte[] SignedMessage(string noteBody, ulong timestamp)
    {
        SignedNote.RequireValidText(noteBody);
        return NoteText.StrictUtf8.GetBytes($"cosignature/v1\ntime {timestamp.ToString(CultureInfo.InvariantCulture)}\n{noteBody}");
    }
}

/// <summary>A witness's Ed25519 cosigning key, read from "PRIVATE+KEY+&lt;name&gt;+&lt;hex id&gt;+base64(0x04 || seed)".</summary>
public sealed class CosignatureSigner : IDisposable
{
    readonly Key key;

    CosignatureSigner(string name, Key key)
    {
        Name = name;
        this.key = key;
        Verifier = CosignatureVerifier.FromPublicKey(name, key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public string Name { get; }

    public CosignatureVerifier Verifier { get; }

    public static CosignatureSigner Generate(string name)
    {
        if (!NoteText.IsValidKeyName(name)) throw new ArgumentException($"\"{name}\" is not a valid key name.", nameof(name));
        return new CosignatureSigner(name, Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <summary>
    /// Parses a signer key. The type byte is 0x04 (a cosigner key, whose key ID is computed with 0x04); a Go note key (0x01) is
    /// accepted too, its ID checked with 0x01, and it cosigns under the 0x04 key ID the spec requires.
    /// </summary>
    public static CosignatureSigner FromSignerKey(string signerKey)
    {
        var parts = signerKey.Trim().Split('+', 5);
        if (parts.Length != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" || !NoteText.IsValidKeyName(parts[2])
            || !NoteText.TryParseKeyId(parts[3], out var keyId) || !NoteText.TryDecodeBase64(parts[4], out var bytes))
        {
            throw new FormatException("Malformed signer key: expected PRIVATE+KEY+<name>+<8 hex digits>+<base64 key>.");
        }
        if (bytes[0] is not (Cosignature.SignatureType or NoteText.Ed25519SignatureType) || bytes.Length != 1 + NoteText.Ed25519KeySize)
        {
            throw new FormatException("Unsupported signer key: an Ed25519 seed of 32 bytes after the type byte 0x04 (or 0x01).");
        }
        var key = Key.Import(SignatureAlgorithm.Ed25519, bytes.AsSpan(1), KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        if (NoteText.KeyId(parts[2], bytes[0], key.PublicKey.Export(KeyBlobFormat.RawPublicKey)) != keyId)
        {
            key.Dispose();
            throw new FormatException("Invalid signer key: the key ID does not match the name and public key.");
        }
        return new CosignatureSigner(parts[2], key);
    }

    /// <summary>The signer key string (type 0x04). Secret.</summary>
    public string ExportSignerKey() =>
        $"PRIVATE+KEY+{Name}+{Verifier.KeyId:x8}+{Convert.ToBase64String([Cosignature.SignatureType, .. key.Export(KeyBlobFormat.RawPrivateKey)])}";

    /// <summary>The cosignature of <paramref name="noteBody"/> at <paramref name="time"/> (POSIX seconds, never zero).</summary>
    public NoteSignature Cosign(string noteBody, DateTimeOffset time)
    {
        var timestamp = (ulong)Math.Max(1, time.ToUnixTimeSeconds());
        var signature = new byte[Cosignature.SignatureBytes];
        BinaryPrimitives.WriteUInt64BigEndian(signature, timestamp);
        SignatureAlgorithm.Ed25519.Sign(key, Cosignature.SignedMessage(noteBody, timestamp), signature.AsSpan(8));
        return new NoteSignature(Name, Verifier.KeyId, signature);
    }

    public void Dispose() => key.Dispose();
}

/// <summary>A trusted witness key: the vkey "&lt;name&gt;+&lt;hex id&gt;+base64(0x04 || Ed25519 public key)".</summary>
public sealed class CosignatureVerifier
{
    readonly NSec.Cryptography.PublicKey key;
    readonly byte[] publicKey;

    CosignatureVerifier(string name, byte[] publicKey, NSec.Cryptography.PublicKey key)
    {
        Name = name;
        this.publicKey = publicKey;
        this.key = key;
        KeyId = NoteText.KeyId(name, Cosignature.SignatureType, publicKey);
    }

    public string Name { get; }

    public uint KeyId { get; }

    public ReadOnlyMemory<byte> PublicKey => publicKey;

    public string VerifierKey => $"{Name}+{KeyId:x8}+{Convert.ToBase64String([Cosignature.SignatureType, .. publicKey])}";

    public override string ToString() => VerifierKey;

    public static CosignatureVerifier FromPublicKey(string name, ReadOnlySpan<byte> ed25519PublicKey)
    {
        if (!NoteText.IsValidKeyName(name)) throw new ArgumentException($"\"{name}\" is not a valid key name.", nameof(name));
        if (!NSec.Cryptography.PublicKey.TryImport(SignatureAlgorithm.Ed25519, ed25519PublicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            throw new ArgumentException("Not an Ed25519 public key of 32 bytes.", nameof(ed25519PublicKey));
        }
        return new CosignatureVerifier(name, ed25519PublicKey.ToArray(), key);
    }

    public static CosignatureVerifier Parse(string verifierKey) =>
        TryParse(verifierKey, out var verifier, out var error) ? verifier! : throw new FormatException(error);

    public static bool TryParse(string verifierKey, out CosignatureVerifier? verifier, out string error)
    {
        verifier = null;
        var parts = verifierKey.Trim().Split('+', 3);
        if (parts.Length != 3 || !NoteText.IsValidKeyName(parts[0]) || !NoteText.TryParseKeyId(parts[1], out var keyId)
            || !NoteText.TryDecodeBase64(parts[2], out var bytes))
        {
            error = "Malformed witness key: expected <name>+<8 hex digits>+<base64 key>.";
            return false;
        }
        if (bytes[0] != Cosignature.SignatureType || bytes.Length != 1 + NoteText.Ed25519KeySize
            || !NSec.Cryptography.PublicKey.TryImport(SignatureAlgorithm.Ed25519, bytes.AsSpan(1), KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            error = "Unsupported witness key: only tlog-cosignature/v1 Ed25519 keys (type 0x04, 32-byte key) are accepted.";
            return false;
        }
        var candidate = new CosignatureVerifier(parts[0], bytes[1..], key);
        if (candidate.KeyId != keyId)
        {
            error = "Invalid witness key: the key ID does not match the name and public key.";
            return false;
        }
        verifier = candidate;
        error = "";
        return true;
    }

    public bool Matches(NoteSignature signature) => signature.KeyName == Name && signature.KeyId == KeyId;

    /// <summary>Whether <paramref name="signature"/> is this witness's valid cosignature of <paramref name="noteBody"/>; its time when it is.</summary>
    public bool Verify(string noteBody, NoteSignature signature, out DateTimeOffset time)
    {
        time = default;
        if (!Matches(signature) || signature.Signature.Length != Cosignature.SignatureBytes) return false;
        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature.Signature);
        if (timestamp is 0 or > long.MaxValue) return false;
        if (!SignatureAlgorithm.Ed25519.Verify(key, Cosignature.SignedMessage(noteBody, timestamp), signature.Signature.AsSpan(8))) return false;
        time = DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(timestamp, 253402300799UL));
        return true;
    }
}
