using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Provenance.Ledger;

/// <summary>
/// One redactable field of a format-2 entry (README.md §2a): its path in the payload (member names joined by '.'), and either the salt
/// that, with the value still in the payload, recomputes its commitment, or, once the value was erased, the commitment alone.
/// </summary>
public sealed record FieldSeal(string Path, byte[]? Salt, byte[] Commitment)
{
    /// <summary>The value was erased: only its commitment is left, and the payload's value at <see cref="Path"/> is not what was committed.</summary>
    public bool Redacted => Salt is null;
}

/// <summary>
/// Leaf format 2: the leaf commits to <see cref="PayloadDigest"/>, the SHA-256 of the canonical payload in which each redactable field's
/// value is replaced by <c>{"commitment":"&lt;base64&gt;"}</c>, its salted commitment. The salts are kept beside the payload, never in the
/// leaf's public bytes; erasing a field keeps its commitment and drops salt and value, so the digest, the leaf and every proof stand.
/// </summary>
public static class FieldCommitments
{
    /// <summary>Salts are 16 random bytes: a short value (a name, a date) cannot be found from its commitment by guessing.</summary>
    public const int SaltBytes = 16;

    static readonly byte[] Domain = Encoding.ASCII.GetBytes("provenance/field-commitment/v1\0");

    /// <summary>A fresh salt from the operating system's CSPRNG.</summary>
    public static byte[] NewSalt() => RandomNumberGenerator.GetBytes(SaltBytes);

    /// <summary><c>SHA-256("provenance/field-commitment/v1" || 0x00 || salt || RFC 8785 bytes of the value)</c>.</summary>
    public static byte[] Commit(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> canonicalValue)
    {
        if (salt.Length != SaltBytes) throw new ArgumentException($"A salt has {SaltBytes} bytes.", nameof(salt));
        var input = new byte[Domain.Length + salt.Length + canonicalValue.Length];
        Domain.CopyTo(input, 0);
        salt.CopyTo(input.AsSpan(Domain.Length));
        canonicalValue.CopyTo(input.AsSpan(Domain.Length + salt.Length));
        return SHA256.HashData(input);
    }

    /// <summary>The canonical value at <paramref name="path"/> of <paramref name="canonicalPayload"/>, or null when absent or JSON null.</summary>
    public static byte[]? ValueAt(ReadOnlySpan<byte> canonicalPayload, string path)
    {
        using var json = JsonDocument.Parse(canonicalPayload.ToArray());
        var node = json.RootElement;
        foreach (var name in path.Split('.'))
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(name, out node)) return null;
        }
        return node.ValueKind == JsonValueKind.Null ? null : CanonicalJson.Canonicalize(node);
    }

    /// <summary>
    /// Seals the fields at <paramref name="paths"/> present (and not null) in the payload, each with a fresh salt: what the ledger stores
    /// beside a new event when it commits it in format 2.
    /// </summary>
    public static IReadOnlyList<FieldSeal> Seal(ReadOnlySpan<byte> canonicalPayload, IEnumerable<string> paths)
    {
        var seals = new List<FieldSeal>();
        foreach (var path in paths.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (ValueAt(canonicalPayload, path) is not { } value) continue;
            var salt = NewSalt();
            seals.Add(new FieldSeal(path, salt, Commit(salt, value)));
        }
        return seals;
    }

    /// <summary>
    /// The RFC 8785 bytes of the payload with each sealed field replaced by <c>{"commitment":"&lt;base64&gt;"}</c>: recomputed from salt and
    /// value where the salt is kept, taken as stored where the field was erased. Throws <see cref="FormatException"/> when a sealed path
    /// is absent from the payload (a field was removed rather than erased).
    /// </summary>
    public static byte[] CommittedPayload(ReadOnlySpan<byte> canonicalPayload, IReadOnlyCollection<FieldSeal> seals)
    {
        if (seals.Count == 0) return canonicalPayload.ToArray();
        var root = JsonNode.Parse(canonicalPayload.ToArray()) as JsonObject ?? throw new FormatException("A sealed payload is a JSON object.");
        foreach (var seal in seals)
        {
            var names = seal.Path.Split('.');
            JsonObject parent = root;
            foreach (var name in names[..^1])
            {
                parent = parent[name] as JsonObject ?? throw new FormatException($"The sealed field '{seal.Path}' is not in the payload.");
            }
            var last = names[^1];
            if (!parent.TryGetPropertyValue(last, out var value) || value is null)
            {
                throw new FormatException($"The sealed field '{seal.Path}' is not in the payload.");
            }
            var commitment = seal.Salt is { } salt ? Commit(salt, CanonicalJson.Canonicalize(value.ToJsonString())) : seal.Commitment;
            parent[last] = new JsonObject { ["commitment"] = Convert.ToBase64String(commitment) };
        }
        return CanonicalJson.Canonicalize(root.ToJsonString());
    }

    /// <summary>SHA-256 of <see cref="CommittedPayload"/>: the payload field of a format-2 leaf encoding.</summary>
    public static byte[] PayloadDigest(ReadOnlySpan<byte> canonicalPayload, IReadOnlyCollection<FieldSeal> seals)
        => SHA256.HashData(CommittedPayload(canonicalPayload, seals));
}
