using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Provenance.Api.Packages;

/// <summary>
/// A serialized bag written front to back onto a stream that cannot seek (an HTTP response): a ZIP with data descriptors, or a
/// POSIX ustar TAR whose entry sizes are known before their bytes (content sizes are in the events). One entry is open at a time,
/// and its bytes pass straight through, so nothing of a file is held beyond the copy buffer.
/// </summary>
public abstract class PackageArchive : IAsyncDisposable
{
    public const string ZipMediaType = "application/zip";
    public const string TarMediaType = "application/x-tar";

    /// <summary>Writes one file: <paramref name="write"/> copies exactly <paramref name="size"/> bytes into the stream it is given.</summary>
    public abstract Task WriteAsync(string path, long size, Func<Stream, CancellationToken, Task> write, CancellationToken ct);

    public Task WriteAsync(string path, byte[] bytes, CancellationToken ct)
        => WriteAsync(path, bytes.Length, (s, c) => s.WriteAsync(bytes, c).AsTask(), ct);

    public abstract ValueTask DisposeAsync();

    public static async Task<PackageArchive> ZipAsync(Stream output, DateTimeOffset modified, CancellationToken ct)
    {
        var buffered = new AsyncWritesOnly(output);
        return new Zip(await ZipArchive.CreateAsync(buffered, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: Encoding.UTF8, ct), buffered, modified);
    }

    public static PackageArchive Tar(Stream output, DateTimeOffset modified) => new UstarWriter(output, modified);

    sealed class Zip(ZipArchive archive, AsyncWritesOnly output, DateTimeOffset modified) : PackageArchive
    {
        public override async Task WriteAsync(string path, long size, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
        {
            var entry = archive.CreateEntry(path, CompressionLevel.Fastest);
            entry.LastWriteTime = modified;
            // Regular file, rw-r--r--: readers that honour Unix modes (unzip, Python) extract a plain file.
            entry.ExternalAttributes = unchecked((int)(0x81A4u << 16));
            await using (var stream = await entry.OpenAsync(ct)) await write(stream, ct);
            await output.DrainAsync(ct);
        }

        public override async ValueTask DisposeAsync()
        {
            await archive.DisposeAsync();
            await output.DrainAsync(CancellationToken.None);
        }
    }

    /// <summary>ustar (POSIX.1-1988) headers: names up to 255 bytes through the prefix field, sizes below 8 GiB.</summary>
    sealed class UstarWriter(Stream output, DateTimeOffset modified) : PackageArchive
    {
        const int Block = 512;

        public override async Task WriteAsync(string path, long size, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
        {
            await output.WriteAsync(Header(path, size, modified), ct);
            var counted = new CountingStream(output);
            await write(counted, ct);
            if (counted.Count != size) throw new InvalidOperationException($"{path}: {counted.Count} bytes were written, not the {size} its header says.");
            var padding = (int)((Block - size % Block) % Block);
            if (padding > 0) await output.WriteAsync(new byte[padding], ct);
        }

        public override async ValueTask DisposeAsync()
        {
            await output.WriteAsync(new byte[2 * Block]);
            await output.FlushAsync();
        }

        static byte[] Header(string path, long size, DateTimeOffset modified)
        {
            var header = new byte[Block];
            var name = Encoding.UTF8.GetBytes(path);
            var (prefix, rest) = Split(name, path);
            rest.CopyTo(header, 0);
            Octal(header, 100, 8, Convert.ToInt64("644", 8));
            Octal(header, 108, 8, 0);
            Octal(header, 116, 8, 0);
            if (size >= 1L << 33) throw new InvalidOperationException($"{path}: a ustar entry is smaller than 8 GiB.");
            Octal(header, 124, 12, size);
            Octal(header, 136, 12, modified.ToUnixTimeSeconds());
            header[156] = (byte)'0';
            "ustar\0"u8.CopyTo(header.AsSpan(257));
            "00"u8.CopyTo(header.AsSpan(263));
            prefix.CopyTo(header, 345);
            "        "u8.CopyTo(header.AsSpan(148));
            var sum = header.Sum(b => (long)b);
            var checksum = Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0'));
            checksum.CopyTo(header, 148);
            header[154] = 0;
            header[155] = (byte)' ';
            return header;
        }

        static (byte[] Prefix, byte[] Name) Split(byte[] name, string path)
        {
            if (name.Length <= 100) return ([], name);
            for (var i = Math.Min(name.Length - 1, 155); i > 0; i--)
            {
                if (name[i] == (byte)'/' && name.Length - i - 1 <= 100) return (name[..i], name[(i + 1)..]);
            }
            throw new InvalidOperationException($"{path}: too long a name for a ustar header.");
        }

        static void Octal(byte[] header, int offset, int length, long value)
        {
            var digits = Convert.ToString(value, 8).PadLeft(length - 1, '0');
            Encoding.ASCII.GetBytes(digits).CopyTo(header, offset);
            header[offset + length - 1] = 0;
        }
    }
}

/// <summary>
/// Keeps the few synchronous writes ZipArchive still makes (DeflateStream flushes its last block from a synchronous Dispose, even
/// under DisposeAsync) until the next asynchronous write or <see cref="DrainAsync"/>: Kestrel refuses synchronous writes to a response.
/// What it holds is one entry's tail, never a file.
/// </summary>
public sealed class AsyncWritesOnly(Stream inner) : Stream
{
    readonly MemoryStream _pending = new();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => DrainAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => _pending.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => _pending.Write(buffer);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await DrainAsync(cancellationToken);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public async Task DrainAsync(CancellationToken ct)
    {
        if (_pending.Length == 0) return;
        await inner.WriteAsync(_pending.GetBuffer().AsMemory(0, (int)_pending.Length), ct);
        _pending.SetLength(0);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _pending.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>A write-through stream that counts what passes.</summary>
public class CountingStream(Stream inner) : Stream
{
    public long Count { get; private set; }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Count; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Observe(buffer);
        inner.Write(buffer);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Observe(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected virtual void Observe(ReadOnlySpan<byte> bytes) => Count += bytes.Length;
}

/// <summary>Counts and hashes (SHA-256 and SHA-512) what is written through it: a payload file's manifest lines, computed as it streams.</summary>
public sealed class FixityStream(Stream inner) : CountingStream(inner)
{
    readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    readonly IncrementalHash _sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);

    protected override void Observe(ReadOnlySpan<byte> bytes)
    {
        base.Observe(bytes);
        _sha256.AppendData(bytes);
        _sha512.AppendData(bytes);
    }

    public (string Sha256, string Sha512) Digests() => (Convert.ToHexStringLower(_sha256.GetHashAndReset()), Convert.ToHexStringLower(_sha512.GetHashAndReset()));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha256.Dispose();
            _sha512.Dispose();
        }
        base.Dispose(disposing);
    }
}
