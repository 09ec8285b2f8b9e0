using NSec.Cryptography;

namespace Provenance.Ledger;

/// <summary>
/// The ledger's Ed25519 signing key under a note key name (normally the log origin). Signs checkpoints as
/// c2sp.org/signed-note and export bytes as <see cref="DetachedSignature"/>. The private key is exported only
/// through <see cref="ExportSeed"/> and <see cref="ExportSignerKey"/>.
/// </summary>
public sealed class LedgerSigner : IDisposable
{
    readonly Key key;

    LedgerSigner(string name, Key key)
    {
        Name = name;
        this.key = key;
        Verifier = NoteVerifier.FromPublicKey(name, key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public string Name { get; }

    public uint KeyId => Verifier.KeyId;

    /// <summary>The matching public key, to publish as <see cref="NoteVerifier.VerifierKey"/>.</summary>
    public NoteVerifier Verifier { get; }

    public static LedgerSigner Generate(string name)
    {
        RequireKeyName(name);
        return new LedgerSigner(name, Key.Create(SignatureAlgorithm.Ed25519, Exportable()));
    }

    /// <summary>A signer from a 32-byte RFC 8032 private key seed.</summary>
    public static LedgerSigner FromSeed(string name, ReadOnlySpan<byte> seed)
    {
        RequireKeyName(name);
        if (seed.Length != NoteText.Ed25519KeySize)
        {
            throw new ArgumentException($"An Ed25519 seed has {NoteText.Ed25519KeySize} bytes.", nameof(seed));
        }
        return new LedgerSigner(name, Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, Exportable()));
    }

    /// <summary>
    /// A signer from "PRIVATE+KEY+&lt;name&gt;+&lt;hex key ID&gt;+base64(0x01 || seed)" as Go's note.GenerateKey writes it;
    /// throws <see cref="FormatException"/> when it is malformed or its key ID does not match.
    /// </summary>
    public static LedgerSigner FromSignerKey(string signerKey)
    {
        var parts = signerKey.Split('+', 5);
        if (parts.Length != 5
            || parts[0] != "PRIVATE"
            || parts[1] != "KEY"
            || !NoteText.IsValidKeyName(parts[2])
            || !NoteText.TryParseKeyId(parts[3], out var keyId)
            || !NoteText.TryDecodeBase64(parts[4], out var key))
        {
            throw new FormatException("Malformed signer key: expected PRIVATE+KEY+<name>+<8 hex digits>+<base64 key>.");
        }
        if (key[0] != NoteText.Ed25519SignatureType || key.Length != 1 + NoteText.Ed25519KeySize)
        {
            throw new FormatException("Unsupported signer key: only Ed25519 (type 0x01, 32-byte seed) is accepted.");
        }
        var signer = FromSeed(parts[2], key.AsSpan(1));
        if (signer.KeyId != keyId)
        {
            signer.Dispose();
            throw new FormatException("Invalid signer key: the key ID does not match the name and public key.");
        }
        return signer;
    }

    /// <summary>The 32-byte private key seed. Secret.</summary>
    public byte[] ExportSeed() => key.Export(KeyBlobFormat.RawPrivateKey);

    /// <summary>The signer key string Go's note.NewSigner reads. Secret.</summary>
    public string ExportSignerKey() =>
        $"PRIVATE+KEY+{Name}+{KeyId:x8}+{Convert.ToBase64String([NoteText.Ed25519SignatureType, .. ExportSeed()])}";

    /// <summary>A raw 64-byte Ed25519 signature of <paramref name="data"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => SignatureAlgorithm.Ed25519.Sign(key, data);

    /// <summary>A signed note of <paramref name="text"/> (which ends with a newline) carrying this key's signature.</summary>
    public string SignNote(string text) => SignNote(new SignedNote(text, []));

    /// <summary>
    /// Adds this key's signature to <paramref name="note"/>, after its existing ones; an existing signature by the
    /// same key is replaced, as Go's note.Sign does.
    /// </summary>
    public string SignNote(SignedNote note)
    {
        SignedNote.RequireValidText(note.Text);
        var signature = new NoteSignature(Name, KeyId, Sign(NoteText.StrictUtf8.GetBytes(note.Text)));
        var others = note.Signatures.Where(s => s.KeyName != Name || s.KeyId != KeyId);
        return new SignedNote(note.Text, [.. others, signature]).Format();
    }

    /// <summary>The checkpoint as a signed note.</summary>
    public string SignCheckpoint(Checkpoint checkpoint) => SignNote(checkpoint.ToNoteBody());

    public DetachedSignature SignDetached(ReadOnlySpan<byte> data) =>
        new(KeyId, Sign(DetachedSignature.SignedMessage(DetachedSignature.Digest(data))));

    public DetachedSignature SignDetached(Stream data) =>
        new(KeyId, Sign(DetachedSignature.SignedMessage(DetachedSignature.Digest(data))));

    /// <summary>A detached signature from the SHA-256 of the data, for bytes that were streamed and hashed as they went.</summary>
    public DetachedSignature SignDetachedDigest(ReadOnlySpan<byte> sha256)
    {
        if (sha256.Length != MerkleHash.Size) throw new ArgumentException($"A SHA-256 digest has {MerkleHash.Size} bytes.", nameof(sha256));
        return new(KeyId, Sign(DetachedSignature.SignedMessage(sha256.ToArray())));
    }

    public void Dispose() => key.Dispose();

    // The seed must be exportable so operators can back it up and move it between hosts.
    static KeyCreationParameters Exportable() => new() { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };

    static void RequireKeyName(string name)
    {
        if (!NoteText.IsValidKeyName(name))
        {
            throw new ArgumentException($"\"{name}\" is not a valid key name: non-empty, no spaces, no '+'.", nameof(name));
        }
    }
}
