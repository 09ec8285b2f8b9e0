using System.Formats.Tar;
using System.IO.Compression;
using Provenance.Api.Packages;
using Shouldly;

namespace Provenance.Tests.Packages;

/// <summary>The archives are written onto streams that, like Kestrel's response body, refuse synchronous writes and cannot seek.</summary>
public sealed class Streaming_archives
{
    /// <summary>Kestrel's HttpResponseStream without AllowSynchronousIO: synchronous writes throw. The test server allows them, so it hid this.</summary>
    sealed class AsyncOnlyResponse : Stream
    {
        public readonly MemoryStream Written = new();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => throw new InvalidOperationException("Synchronous operations are disallowed.");
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new InvalidOperationException("Synchronous operations are disallowed.");
        public override void Write(ReadOnlySpan<byte> buffer) => throw new InvalidOperationException("Synchronous operations are disallowed.");
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => Written.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Written.WriteAsync(buffer, offset, count, cancellationToken);
    }

    static readonly byte[] Text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("A line of text that deflates well.\n", 5000)));

    [Fact]
    public async Task A_zip_is_written_with_asynchronous_writes_only_and_reads_back()
    {
        var response = new AsyncOnlyResponse();
        await using (var archive = await PackageArchive.ZipAsync(response, DateTimeOffset.UnixEpoch.AddYears(40), CancellationToken.None))
        {
            await archive.WriteAsync("bag/data/a.txt", Text, CancellationToken.None);
            await archive.WriteAsync("bag/data/b.txt", [1, 2, 3], CancellationToken.None);
        }
        using var zip = new ZipArchive(new MemoryStream(response.Written.ToArray()), ZipArchiveMode.Read);
        using var copy = new MemoryStream();
        await using (var a = zip.GetEntry("bag/data/a.txt")!.Open()) await a.CopyToAsync(copy);
        copy.ToArray().ShouldBe(Text);
        zip.Entries.Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_tar_is_written_with_asynchronous_writes_only_and_reads_back()
    {
        var response = new AsyncOnlyResponse();
        await using (var archive = PackageArchive.Tar(response, DateTimeOffset.UnixEpoch.AddYears(40)))
        {
            await archive.WriteAsync("bag/data/" + new string('n', 120) + "/a.txt", Text, CancellationToken.None);
        }
        using var tar = new TarReader(new MemoryStream(response.Written.ToArray()));
        var entry = (await tar.GetNextEntryAsync())!;
        entry.Name.ShouldBe("bag/data/" + new string('n', 120) + "/a.txt");
        using var copy = new MemoryStream();
        await entry.DataStream!.CopyToAsync(copy);
        copy.ToArray().ShouldBe(Text);
    }
}
