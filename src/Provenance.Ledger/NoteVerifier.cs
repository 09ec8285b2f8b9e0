using NSec.Cryptography;

namespace Provenance.Ledger;

/// <summary>
/// A trusted Ed25519 note key, from a verifier key "&lt;name&gt;+&lt;hex key ID&gt;+base64(0x01 || public key)"
/// as golang.org/x/mod/sumdb/note writes it.
/// </summary>
public sealed class NoteVerifier
{
    readonly byte[] publicKey;
    readonly NSec.Cryptography.PublicKey key;

    NoteVerifier(string name, byte[] publicKey, NSec.Cryptography.PublicKey key)
    {
        Name = name;
        this.publicKey = publicKey;
        this.key = key;
        KeyId = NoteText.KeyId(name, NoteText.Ed25519SignatureType, publicKey);
    }

    public string Name { get; }

    public uint KeyId { get; }

    public ReadOnlyMemory<byte> PublicKey => publicKey;

    /// <summary>The verifier key string, e.g. "example.com/log+530d903a+AekyeRrm…".</summary>
    public string VerifierKey =>
        $"{Name}+{KeyId:x8}+{Convert.ToBase64String([NoteText.Ed25519SignatureType, .. publicKey])}";

    public override string ToString() => VerifierKey;

    public static NoteVerifier FromPublicKey(string name, ReadOnlySpan<byte> ed25519PublicKey)
    {
        if (!NoteText.IsValidKeyName(name))
        {
            throw new ArgumentException($"\"{name}\" is not a valid key name: non-empty, no spaces, no '+'.", nameof(name));
        }
        if (ed25519PublicKey.Length != NoteText.Ed25519KeySize || !TryImport(ed25519PublicKey, out var key))
        {
            throw new ArgumentException($"Not an Ed25519 public key of {NoteText.Ed25519KeySize} bytes.", nameof(ed25519PublicKey));
        }
        return new NoteVerifier(name, ed25519PublicKey.ToArray(), key);
    }

    /// <summary>Parses a verifier key; throws <see cref="FormatException"/> when it is malformed or its key ID does not match.</summary>
    public static NoteVerifier Parse(string verifierKey) =>
        TryParse(verifierKey, out var verifier, out var error) ? verifier! : throw new FormatException(error);

    public static bool TryParse(string verifierKey, out NoteVerifier? verifier, out string error)
    {
        verifier = null;
        var parts = verifierKey.Split('+', 3);
        if (parts.Length != 3
            || !NoteText.IsValidKeyName(parts[0])
            || !NoteText.TryParseKeyId(parts[1], out var keyId)
            || !NoteText.TryDecodeBase64(parts[2], out var key))
        {
            error = "Malformed verifier key: expected <name>+<8 hex digits>+<base64 key>.";
            return false;
        }
        if (key[0] != NoteText.Ed25519SignatureType || key.Length != 1 + NoteText.Ed25519KeySize || !TryImport(key.AsSpan(1), out var imported))
        {
            error = "Unsupported verifier key: only Ed25519 (type 0x01, 32-byte key) is accepted.";
            return false;
        }
        var candidate = new NoteVerifier(parts[0], key[1..], imported);
        if (candidate.KeyId != keyId)
        {
            error = "Invalid verifier key: the key ID does not match the name and public key.";
            return false;
        }
        verifier = candidate;
        error = "";
        return true;
    }

    /// <summary>Checks a raw Ed25519 signature of <paramref name="message"/> by this key.</summary>
    public bool VerifySignature(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        SignatureAlgorithm.Ed25519.Verify(key, message, signature);

    static bool TryImport(ReadOnlySpan<byte> ed25519PublicKey, out NSec.Cryptography.PublicKey key)
    {
        var imported = NSec.Cryptography.PublicKey.TryImport(SignatureAlgorithm.Ed25519, ed25519PublicKey, KeyBlobFormat.RawPublicKey, out var result);
        key = result!;
        return imported && result is not null;
    }

    /// <summary>Verifies a signed note against this key alone.</summary>
    public NoteVerification VerifyNote(string signedNote) => VerifyNote(signedNote, [this]);

    /// <summary>
    /// Verifies a signed note as c2sp.org/signed-note requires: signatures from unknown keys are set aside,
    /// any failing signature from a trusted key rejects the note, and at least one trusted signature must verify.
    /// </summary>
    public static NoteVerification VerifyNote(string signedNote, IEnumerable<NoteVerifier> trusted)
    {
        if (!SignedNote.TryParse(signedNote, out var note, out var error))
        {
            return NoteVerification.Rejected(error);
        }

        var keys = trusted.GroupBy(v => (v.Name, v.KeyId)).ToDictionary(g => g.Key, g => g.ToList());
        var message = NoteText.StrictUtf8.GetBytes(note.Text);
        var verified = new List<NoteSignature>();
        var unverified = new List<NoteSignature>();
        var seenKeys = new HashSet<(string, uint)>();
        var seenLines = new HashSet<string>();
        foreach (var signature in note.Signatures)
        {
            if (!keys.TryGetValue((signature.KeyName, signature.KeyId), out var candidates))
            {
                if (seenLines.Add(signature.ToLine()))
                {
                    unverified.Add(signature);
                }
                continue;
            }
            if (candidates.Count > 1)
            {
                return NoteVerification.Rejected($"Ambiguous key {signature.KeyName}+{signature.KeyId:x8}: trusted twice.");
            }
            // Like Go's note.Open, only the first signature by a key counts.
            if (!seenKeys.Add((signature.KeyName, signature.KeyId)))
            {
                continue;
            }
            if (!candidates[0].VerifySignature(message, signature.Signature))
            {
                return NoteVerification.Rejected($"Invalid signature for key {signature.KeyName}+{signature.KeyId:x8}.");
            }
            verified.Add(signature);
        }

        return verified.Count == 0
            ? NoteVerification.Rejected("The note has no signature from a trusted key.", note.Text, unverified)
            : new NoteVerification(true, null, note.Text, verified, unverified);
    }
}

/// <summary>
/// The outcome of verifying a signed note. <paramref name="Text"/> is set once the note parsed, but must only be
/// trusted when <paramref name="IsValid"/>.
/// </summary>
public sealed record NoteVerification(
    bool IsValid,
    string? Reason,
    string? Text,
    IReadOnlyList<NoteSignature> Verified,
    IReadOnlyList<NoteSignature> Unverified)
{
    internal static NoteVerification Rejected(string reason, string? text = null, IReadOnlyList<NoteSignature>? unverified = null) =>
        new(false, reason, text, [], unverified ?? []);
}
