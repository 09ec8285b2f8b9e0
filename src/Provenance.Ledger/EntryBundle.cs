using System.Buffers.Binary;

namespace Provenance.Ledger;

/// <summary>
/// A c2sp.org/tlog-tiles entry bundle: consecutive log entries, each a big-endian uint16 length then that many bytes. Our entries
/// are the <see cref="LeafEncoding"/> bytes, so entry i hashes (<see cref="MerkleHash.LeafHash"/>) to hash i of the level-0 tile.
/// </summary>
public static class EntryBundle
{
    /// <summary>The largest entry a bundle can carry: the uint16 length prefix.</summary>
    public const int MaxEntryBytes = ushort.MaxValue;

    /// <summary>Appends one length-prefixed entry to <paramref name="bundle"/>.</summary>
    public static void Append(Stream bundle, ReadOnlySpan<byte> entry)
    {
        if (entry.Length > MaxEntryBytes)
        {
            throw new ArgumentException($"An entry has at most {MaxEntryBytes} bytes, not {entry.Length}.", nameof(entry));
        }
        Span<byte> prefix = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)entry.Length);
        bundle.Write(prefix);
        bundle.Write(entry);
    }

    /// <summary>The bundle of <paramref name="entries"/>, in order.</summary>
    public static byte[] Encode(IEnumerable<byte[]> entries)
    {
        using var bundle = new MemoryStream();
        foreach (var entry in entries) Append(bundle, entry);
        return bundle.ToArray();
    }

    /// <summary>Splits a bundle into its entries; throws <see cref="FormatException"/> when a length runs past the end.</summary>
    public static IReadOnlyList<ReadOnlyMemory<byte>> Split(ReadOnlyMemory<byte> bundle)
    {
        var entries = new List<ReadOnlyMemory<byte>>();
        var offset = 0;
        while (offset < bundle.Length)
        {
            if (bundle.Length - offset < 2) throw new FormatException($"Malformed entry bundle: a length prefix is cut at byte {offset}.");
            var length = BinaryPrimitives.ReadUInt16BigEndian(bundle.Span[offset..]);
            offset += 2;
            if (bundle.Length - offset < length)
            {
                throw new FormatException($"Malformed entry bundle: entry {entries.Count} claims {length} bytes, {bundle.Length - offset} remain.");
            }
            entries.Add(bundle.Slice(offset, length));
            offset += length;
        }
        return entries;
    }

    /// <summary>The byte length of the first <paramref name="count"/> entries of <paramref name="bundle"/> (a partial bundle is that prefix).</summary>
    public static int PrefixLength(ReadOnlySpan<byte> bundle, int count)
    {
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            if (bundle.Length - offset < 2) throw new FormatException($"The bundle holds fewer than {count} entries.");
            offset += 2 + BinaryPrimitives.ReadUInt16BigEndian(bundle[offset..]);
            if (offset > bundle.Length) throw new FormatException($"The bundle holds fewer than {count} entries.");
        }
        return offset;
    }
}
