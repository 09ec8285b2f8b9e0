using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Provenance.Api.Hosting;

/// <summary>
/// The one place identifiers come from: RFC 9562 UUIDv7 from the app's clock, monotonic within this process (method 3: the
/// 12-bit <c>rand_a</c> field counts within a millisecond, and a counter overflow borrows the next millisecond), so ids issued
/// here sort in the order they were issued, even when the clock stands still (a test's fake clock) or steps back.
/// </summary>
public sealed class Identifiers(TimeProvider time)
{
    readonly Lock _gate = new();
    long _millisecond = -1;
    int _counter;

    public Guid NewId()
    {
        long millisecond;
        int counter;
        lock (_gate)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (now > _millisecond)
            {
                _millisecond = now;
                // Start low in the range so many ids fit in one millisecond before borrowing the next.
                _counter = RandomNumberGenerator.GetInt32(0, 1 << 10);
            }
            else if (++_counter > 0xFFF)
            {
                _millisecond++;
                _counter = 0;
            }
            (millisecond, counter) = (_millisecond, _counter);
        }
        return Create(millisecond, counter);
    }

    /// <summary>A UUIDv7 from its 48-bit Unix millisecond and 12-bit counter, with 62 random bits.</summary>
    public static Guid Create(long unixMilliseconds, int counter)
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[8..]);
        BinaryPrimitives.WriteInt64BigEndian(bytes, unixMilliseconds << 16);
        bytes[6] = (byte)(0x70 | ((counter >> 8) & 0x0F));
        bytes[7] = (byte)counter;
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }
}
