using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Provenance.Ledger;

/// <summary>
/// What the ledger commits to about one document among the first N leaves: how many events it has there, and its newest one
/// (sequence, leaf index, leaf hash). With the per-stream chain (each leaf names its predecessor's hash) this pins every event of
/// the document: README.md §8.
/// </summary>
public sealed record MapValue(Guid DocumentId, long Count, long LastSequence, long LastLeafIndex, byte[] LastLeafHash)
{
    public const int Size = 16 + 8 + 8 + 8 + MerkleHash.Size;

    /// <summary>document id (16, RFC 4122 order) || count || last sequence || last leaf index (int64 big-endian) || last leaf hash (32).</summary>
    public byte[] Encode()
    {
        if (Count < 1 || LastSequence < 0 || LastLeafIndex < 0 || LastLeafHash.Length != MerkleHash.Size)
        {
            throw new InvalidOperationException("A map value counts at least one event, at a non-negative sequence and leaf index, with a 32-byte leaf hash.");
        }
        var bytes = new byte[Size];
        DocumentId.TryWriteBytes(bytes, bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(16), Count);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(24), LastSequence);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(32), LastLeafIndex);
        LastLeafHash.CopyTo(bytes.AsSpan(40));
        return bytes;
    }

    /// <summary>Reads <see cref="Encode"/>'s bytes back; throws <see cref="FormatException"/> on any other length or a negative field.</summary>
    public static MapValue Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new FormatException($"A map value has {Size} bytes, not {bytes.Length}.");
        var value = new MapValue(new Guid(bytes[..16], bigEndian: true), BinaryPrimitives.ReadInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadInt64BigEndian(bytes[24..]), BinaryPrimitives.ReadInt64BigEndian(bytes[32..]), bytes[40..].ToArray());
        if (value.Count < 1 || value.LastSequence < 0 || value.LastLeafIndex < 0) throw new FormatException("A map value's count, sequence and leaf index are positive.");
        return value;
    }
}

/// <summary>
/// The document map: a sparse Merkle tree of depth 256 keyed by <c>SHA-256(document id)</c>, holding each document's
/// <see cref="MapValue"/>, its root committed in an extension line of every checkpoint. A subtree without leaves hashes to 32 zero
/// bytes; a subtree with exactly one leaf hashes to that leaf's hash (the leaf sits as high as it is alone); any other subtree is
/// <c>SHA-256(0x11 || left || right)</c>. Leaves are <c>SHA-256(0x10 || key || value)</c>: prefixes distinct from RFC 6962's 0x00/0x01.
/// </summary>
public static class DocumentMap
{
    public const int KeySize = 32;
    public const int Depth = 256;

    /// <summary>The extension line's first word; the line is <c>provenance-document-map/v1 &lt;base64 root&gt;</c>.</summary>
    public const string ExtensionName = "provenance-document-map/v1";

    const byte LeafPrefix = 0x10;
    const byte NodePrefix = 0x11;

    /// <summary>The hash of a subtree without leaves, and the root of the empty map: 32 zero bytes.</summary>
    public static byte[] Empty => new byte[MerkleHash.Size];

    /// <summary>SHA-256 of the document id's 16 bytes in RFC 4122 order.</summary>
    public static byte[] Key(Guid documentId)
    {
        Span<byte> id = stackalloc byte[16];
        documentId.TryWriteBytes(id, bigEndian: true, out _);
        return SHA256.HashData(id);
    }

    public static byte[] LeafHash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.Length != KeySize) throw new ArgumentException($"A map key has {KeySize} bytes.", nameof(key));
        var input = new byte[1 + KeySize + value.Length];
        input[0] = LeafPrefix;
        key.CopyTo(input.AsSpan(1));
        value.CopyTo(input.AsSpan(1 + KeySize));
        return SHA256.HashData(input);
    }

    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> input = stackalloc byte[1 + 2 * MerkleHash.Size];
        input[0] = NodePrefix;
        left.CopyTo(input[1..]);
        right.CopyTo(input[(1 + MerkleHash.Size)..]);
        return SHA256.HashData(input);
    }

    /// <summary>Bit <paramref name="index"/> of a key, most significant bit of byte 0 first: false goes left, true right.</summary>
    public static bool Bit(ReadOnlySpan<byte> key, int index) => (key[index >> 3] & (0x80 >> (index & 7))) != 0;

    /// <summary>The root by the definition above, from every (key, value) of the map at once: the reference the incremental update is tested against.</summary>
    public static byte[] ComputeRoot(IEnumerable<(byte[] Key, byte[] Value)> entries)
    {
        var list = entries.GroupBy(e => Convert.ToHexString(e.Key)).Select(g => g.Last()).ToList();
        return Subtree(list, 0);

        static byte[] Subtree(List<(byte[] Key, byte[] Value)> leaves, int depth) => leaves.Count switch
        {
            0 => Empty,
            1 => LeafHash(leaves[0].Key, leaves[0].Value),
            _ => NodeHash(Subtree(leaves.Where(l => !Bit(l.Key, depth)).ToList(), depth + 1),
                Subtree(leaves.Where(l => Bit(l.Key, depth)).ToList(), depth + 1)),
        };
    }

    /// <summary>The checkpoint extension line committing to <paramref name="root"/>.</summary>
    public static string ExtensionLine(ReadOnlySpan<byte> root) =>
        root.Length == MerkleHash.Size ? $"{ExtensionName} {Convert.ToBase64String(root)}" : throw new ArgumentException("A map root has 32 bytes.", nameof(root));

    /// <summary>The map root a checkpoint commits to; false when it has no (or more than one, or a malformed) map extension line.</summary>
    public static bool TryGetRoot(Checkpoint checkpoint, out byte[] root)
    {
        root = [];
        var lines = checkpoint.Extensions.Where(e => e.StartsWith(ExtensionName + " ", StringComparison.Ordinal)).ToList();
        if (lines.Count != 1) return false;
        if (!NoteText.TryDecodeBase64(lines[0][(ExtensionName.Length + 1)..], out var decoded) || decoded.Length != MerkleHash.Size) return false;
        root = decoded;
        return true;
    }
}
