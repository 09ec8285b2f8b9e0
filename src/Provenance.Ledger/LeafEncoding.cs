using System.Buffers.Binary;
using System.Text;

namespace Provenance.Ledger;

/// <summary>
/// The byte encoding of a <see cref="LedgerEntry"/> that the Merkle leaf commits to (format versions 1 and 2,
/// specified in README.md): fixed-width big-endian integers, length-prefixed strings and payload (format 1) or the
/// 32-byte payload digest (format 2), so no two entries share an encoding.
/// </summary>
public static class LeafEncoding
{
    public const byte FormatVersion = 1;
    /// <summary>The format whose payload field is <see cref="FieldCommitments.PayloadDigest"/>: fields can be erased, the leaf stands.</summary>
    public const byte FormatVersion2 = 2;

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The encoding of <paramref name="entry"/> in its <see cref="LedgerEntry.Format"/>.</summary>
    public static byte[] Encode(LedgerEntry entry)
    {
        if (entry.Format is not (FormatVersion or FormatVersion2))
        {
            throw new ArgumentException($"Leaf format {entry.Format} is not 1 or 2.", nameof(entry));
        }
        if (entry.Format == FormatVersion2 && entry.CanonicalPayload.Length != MerkleHash.Size)
        {
            throw new ArgumentException($"A format-2 entry carries the {MerkleHash.Size}-byte payload digest.", nameof(entry));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(entry.Sequence, nameof(entry.Sequence));
        ArgumentOutOfRangeException.ThrowIfLessThan(entry.Version, 1, nameof(entry.Version));
        if (entry.PreviousHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException($"PreviousHash has {MerkleHash.Size} bytes.", nameof(entry));
        }

        var eventType = StrictUtf8.GetBytes(entry.EventType);
        var actor = StrictUtf8.GetBytes(entry.Actor);
        var payload = entry.CanonicalPayload.Span;
        var payloadPrefix = entry.Format == FormatVersion ? 4 : 0;
        var buffer = new byte[1 + 8 + 16 + 8 + 4 + eventType.Length + 8 + 4 + actor.Length + payloadPrefix + payload.Length + MerkleHash.Size];
        var span = buffer.AsSpan();

        span[0] = entry.Format;
        span = span[1..];
        BinaryPrimitives.WriteInt64BigEndian(span, entry.Sequence);
        span = span[8..];
        entry.StreamId.TryWriteBytes(span, bigEndian: true, out _);
        span = span[16..];
        BinaryPrimitives.WriteInt64BigEndian(span, entry.Version);
        span = span[8..];
        span = WriteLengthPrefixed(span, eventType);
        BinaryPrimitives.WriteInt64BigEndian(span, UnixMicroseconds(entry.Timestamp));
        span = span[8..];
        span = WriteLengthPrefixed(span, actor);
        if (entry.Format == FormatVersion)
        {
            span = WriteLengthPrefixed(span, payload);
        }
        else
        {
            payload.CopyTo(span);
            span = span[MerkleHash.Size..];
        }
        entry.PreviousHash.Span.CopyTo(span);
        return buffer;
    }

    /// <summary>
    /// Reads a format-1 or format-2 encoding back (what a monitor does with each entry of a bundle); throws <see cref="FormatException"/>
    /// unless <paramref name="encoded"/> is exactly one well-formed entry. A format-2 entry's payload is its 32-byte digest.
    /// </summary>
    public static LedgerEntry Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new Reader(encoded);
        var format = reader.Bytes(1)[0];
        if (format is not (FormatVersion or FormatVersion2)) throw new FormatException($"Leaf format {format} is neither 1 nor 2.");
        var sequence = reader.Int64();
        var streamId = new Guid(reader.Bytes(16), bigEndian: true);
        var version = reader.Int64();
        var eventType = reader.Text();
        var timestamp = DateTimeOffset.UnixEpoch.AddTicks(checked(reader.Int64() * TimeSpan.TicksPerMicrosecond));
        var actor = reader.Text();
        var payload = (format == FormatVersion ? reader.LengthPrefixed() : reader.Bytes(MerkleHash.Size)).ToArray();
        var previous = reader.Bytes(MerkleHash.Size).ToArray();
        if (!reader.AtEnd) throw new FormatException("Trailing bytes after the leaf encoding.");
        if (sequence < 0 || version < 1) throw new FormatException("A leaf has a sequence ≥ 0 and a version ≥ 1.");
        return new LedgerEntry(sequence, streamId, version, eventType, timestamp, actor, payload, previous) { Format = format };
    }

    ref struct Reader(ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> rest = data;

        public readonly bool AtEnd => rest.IsEmpty;

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (rest.Length < count) throw new FormatException("The leaf encoding is cut short.");
            var value = rest[..count];
            rest = rest[count..];
            return value;
        }

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Bytes(8));

        public ReadOnlySpan<byte> LengthPrefixed()
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(Bytes(4));
            return length > rest.Length ? throw new FormatException("A length runs past the leaf encoding.") : Bytes((int)length);
        }

        public string Text()
        {
            try
            {
                return StrictUtf8.GetString(LengthPrefixed());
            }
            catch (DecoderFallbackException e)
            {
                throw new FormatException("A leaf string is not UTF-8.", e);
            }
        }
    }

    /// <summary>The RFC 6962 leaf hash SHA-256(0x00 || Encode(entry)).</summary>
    public static byte[] LeafHash(LedgerEntry entry) => MerkleHash.LeafHash(Encode(entry));

    /// <summary>Whole microseconds since 1970-01-01T00:00:00Z, rounded down: PostgreSQL timestamptz keeps no finer precision.</summary>
    public static long UnixMicroseconds(DateTimeOffset timestamp)
    {
        var ticks = timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return ticks >= 0
            ? ticks / TimeSpan.TicksPerMicrosecond
            : -((-ticks + TimeSpan.TicksPerMicrosecond - 1) / TimeSpan.TicksPerMicrosecond);
    }

    /// <summary>The timestamp as it reads back from PostgreSQL: in UTC and truncated to the microsecond, as the leaf encodes it.</summary>
    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset timestamp) =>
        DateTimeOffset.UnixEpoch.AddTicks(UnixMicroseconds(timestamp) * TimeSpan.TicksPerMicrosecond);

    static Span<byte> WriteLengthPrefixed(Span<byte> destination, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, checked((uint)value.Length));
        value.CopyTo(destination[4..]);
        return destination[(4 + value.Length)..];
    }
}
