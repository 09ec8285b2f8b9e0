using System.Security.Cryptography;

namespace Provenance.Ledger;

/// <summary>The RFC 6962 / RFC 9162 SHA-256 tree hashing rules.</summary>
public static class MerkleHash
{
    public const int Size = 32;

    const byte LeafPrefix = 0x00;
    const byte NodePrefix = 0x01;

    /// <summary>MTH({}) = SHA-256 of the empty string: e3b0c442…b855.</summary>
    public static byte[] EmptyRoot => SHA256.HashData([]);

    /// <summary>MTH({d}) = SHA-256(0x00 || d).</summary>
    public static byte[] LeafHash(ReadOnlySpan<byte> leafData) => HashWithPrefix(LeafPrefix, leafData, []);

    /// <summary>SHA-256(0x01 || left || right).</summary>
    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right) => HashWithPrefix(NodePrefix, left, right);

    static byte[] HashWithPrefix(byte prefix, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var input = new byte[1 + first.Length + second.Length];
        input[0] = prefix;
        first.CopyTo(input.AsSpan(1));
        second.CopyTo(input.AsSpan(1 + first.Length));
        return SHA256.HashData(input);
    }
}
