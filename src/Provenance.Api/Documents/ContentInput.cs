using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Provenance.Api.Http;

namespace Provenance.Api.Documents;

/// <summary>
/// Content as a user submitted it, hashed and checked for UTF-8 while it was read. Small content stays in memory; larger
/// content is spilled to a temporary file as it arrives, so a large upload costs one buffer, not several copies of itself.
/// Which media type it is checked against (the declared one, or the document's) is the use case's decision.
/// </summary>
public sealed class ContentSubmission : IDisposable
{
    /// <summary>Uploads up to this size are kept in memory.</summary>
    public const int InMemoryBytes = 1024 * 1024;
    const int HeadBytes = 16;

    byte[]? _bytes;
    FileStream? _spill;

    ContentSubmission(string digest, long size, byte[] head, Utf8Error? utf8Error, string? declaredMediaType, string? fileName, bool isText)
        => (Digest, Size, Head, Utf8Error, DeclaredMediaType, FileName, IsTypedText) = (digest, size, head, utf8Error, declaredMediaType, fileName, isText);

    public string Digest { get; }
    public long Size { get; }
    /// <summary>The first bytes, for recognising a binary format by its signature.</summary>
    public byte[] Head { get; }
    public bool IsValidUtf8 => Utf8Error is null;
    /// <summary>Where the content stops being UTF-8, when it does.</summary>
    public Utf8Error? Utf8Error { get; }
    /// <summary>A NUL byte somewhere: valid UTF-8, but not text (PostgreSQL cannot hold it as text, so it could not be searched).</summary>
    public bool ContainsNul { get; private init; }
    /// <summary>The media type the client declared, if any.</summary>
    public string? DeclaredMediaType { get; private set; }
    public string? FileName { get; }
    /// <summary>Typed as text (JSON <c>content</c>, a form's text area): plain UTF-8 text unless a type is declared.</summary>
    public bool IsTypedText { get; }

    /// <summary>A form's <c>mediaType</c> field outranks the type its file part was sent with.</summary>
    public void Declare(string? mediaType)
    {
        if (!string.IsNullOrWhiteSpace(mediaType)) DeclaredMediaType = mediaType;
    }

    /// <summary>The type the content is checked and recorded as: declared, else plain text for typed text, else the document's.</summary>
    public string? EffectiveMediaType(string? documentMediaType)
        => DeclaredMediaType ?? (IsTypedText ? MediaTypes.PlainText : documentMediaType);

    /// <summary>The recorded media type of content that <see cref="ContentInput.Check"/> accepted.</summary>
    public ContentUpload Accepted(string? documentMediaType) => new(this, MediaTypes.Normalize(EffectiveMediaType(documentMediaType))!);

    public static ContentSubmission FromText(string text, string? declaredMediaType = null, string? fileName = null)
        => FromBytes(Encoding.UTF8.GetBytes(text), declaredMediaType, fileName, isText: true);

    public static ContentSubmission FromBytes(byte[] bytes, string? declaredMediaType, string? fileName, bool isText = false)
        => new(ContentDigest.Of(bytes), bytes.LongLength, bytes[..Math.Min(HeadBytes, bytes.Length)], Utf8Validator.FirstError(bytes),
            declaredMediaType, ContentInput.SafeFileName(fileName), isText) { _bytes = bytes, ContainsNul = bytes.AsSpan().Contains((byte)0) };

    /// <summary>Stands for content that was over the limit and so was not kept: only its size is known, and it is refused.</summary>
    public static ContentSubmission TooLarge(long size) => new(ContentDigest.Of([]), size, [], new Utf8Error(0, 0), null, null, isText: false) { _bytes = [] };

    /// <summary>
    /// Reads <paramref name="source"/> to its end, at most <paramref name="maxBytes"/>: hashing, checking UTF-8 and keeping the
    /// bytes (in memory, or in a temporary file once they outgrow <see cref="InMemoryBytes"/>). Null when the content is too large.
    /// </summary>
    public static async Task<ContentSubmission?> ReadAsync(Stream source, long maxBytes, string? declaredMediaType, string? fileName,
        CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var utf8 = new Utf8Validator();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        var memory = new MemoryStream();
        FileStream? spill = null;
        long size = 0;
        var head = new byte[HeadBytes];
        var headLength = 0;
        try
        {
            int read;
            while ((read = await source.ReadAsync(chunk, ct)) > 0)
            {
                size += read;
                if (size > maxBytes) return null;
                sha.AppendData(chunk, 0, read);
                utf8.Append(chunk.AsSpan(0, read));
                if (headLength < HeadBytes)
                {
                    var take = Math.Min(HeadBytes - headLength, read);
                    chunk.AsSpan(0, take).CopyTo(head.AsSpan(headLength));
                    headLength += take;
                }
                if (spill is null && memory.Length + read > InMemoryBytes)
                {
                    spill = new FileStream(Path.Combine(Path.GetTempPath(), $"provenance-upload-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920,
                        FileOptions.Asynchronous | FileOptions.DeleteOnClose);
                    memory.Position = 0;
                    await memory.CopyToAsync(spill, ct);
                    memory = new MemoryStream(0);
                }
                if (spill is not null) await spill.WriteAsync(chunk.AsMemory(0, read), ct);
                else memory.Write(chunk, 0, read);
            }
            var digest = ContentDigest.Prefix + Convert.ToHexStringLower(sha.GetHashAndReset());
            var submission = new ContentSubmission(digest, size, head[..headLength], utf8.Complete(), declaredMediaType,
                ContentInput.SafeFileName(fileName), isText: false) { ContainsNul = utf8.SawNul };
            if (spill is not null)
            {
                await spill.FlushAsync(ct);
                submission._spill = spill;
                spill = null;
            }
            else
            {
                submission._bytes = memory.ToArray();
            }
            return submission;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
            if (spill is not null) await spill.DisposeAsync();
        }
    }

    /// <summary>Whether the bytes are held in memory (small content) rather than in a temporary file.</summary>
    public bool InMemory => _bytes is not null;

    /// <summary>The bytes. For spilled content this reads the temporary file: call it only where the whole content is needed.</summary>
    public byte[] ReadAllBytes()
    {
        if (_bytes is not null) return _bytes;
        var spill = _spill ?? throw new ObjectDisposedException(nameof(ContentSubmission));
        var bytes = new byte[Size];
        spill.Position = 0;
        spill.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>A stream over the bytes from the start, for writing them to the store without another copy.</summary>
    public Stream OpenRead()
    {
        if (_bytes is not null) return new MemoryStream(_bytes, writable: false);
        var spill = _spill ?? throw new ObjectDisposedException(nameof(ContentSubmission));
        spill.Position = 0;
        return new NonClosingStream(spill);
    }

    public void Dispose()
    {
        _spill?.Dispose();
        _spill = null;
    }

    /// <summary>The store writes from the spill file; disposing what it was handed must not delete the file under a retry.</summary>
    sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>The first byte (0-based offset and value) at which content stops being well-formed UTF-8.</summary>
public sealed record Utf8Error(long Offset, byte Value);

/// <summary>Checks that a byte sequence is well-formed UTF-8 chunk by chunk, carrying a sequence split across chunks, and says where it is not.</summary>
public sealed class Utf8Validator
{
    readonly byte[] _carry = new byte[4];
    int _carried;
    long _position;
    Utf8Error? _error;

    public static bool IsValid(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    /// <summary>Whether any chunk held a NUL byte.</summary>
    public bool SawNul { get; private set; }

    /// <summary>The first invalid byte of <paramref name="bytes"/> (a sequence cut short by the end counts from its first byte), or null.</summary>
    public static Utf8Error? FirstError(ReadOnlySpan<byte> bytes, long origin = 0)
    {
        if (IsValid(bytes)) return null;
        var at = 0;
        while (at < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[at..], out _, out var consumed) != System.Buffers.OperationStatus.Done) break;
            at += consumed;
        }
        return at < bytes.Length ? new Utf8Error(origin + at, bytes[at]) : null;
    }

    public void Append(ReadOnlySpan<byte> chunk)
    {
        if (!SawNul && chunk.Contains((byte)0)) SawNul = true;
        if (_error is not null || chunk.IsEmpty) return;
        var chunkStart = _position;
        _position += chunk.Length;
        if (_carried > 0)
        {
            // Complete the split sequence from the start of this chunk, then validate it alone.
            var carryStart = chunkStart - _carried;
            var need = SequenceLength(_carry[0]) - _carried;
            if (need <= 0) { _error = new Utf8Error(carryStart, _carry[0]); return; }
            var take = Math.Min(need, chunk.Length);
            chunk[..take].CopyTo(_carry.AsSpan(_carried));
            _carried += take;
            chunk = chunk[take..];
            chunkStart += take;
            if (take < need) return;
            if (FirstError(_carry.AsSpan(0, _carried), carryStart) is { } error) { _error = error; return; }
            _carried = 0;
        }
        var complete = CompletePrefix(chunk);
        if (FirstError(chunk[..complete], chunkStart) is { } invalid) { _error = invalid; return; }
        var rest = chunk[complete..];
        rest.CopyTo(_carry);
        _carried = rest.Length;
    }

    /// <summary>Null when everything appended was UTF-8; else the first invalid byte (a sequence the end cut short counts from its start).</summary>
    public Utf8Error? Complete() => _error ?? (_carried == 0 ? null : new Utf8Error(_position - _carried, _carry[0]));

    /// <summary>The length of <paramref name="chunk"/> without a trailing sequence that the next chunk completes.</summary>
    static int CompletePrefix(ReadOnlySpan<byte> chunk)
    {
        for (var back = 1; back <= Math.Min(3, chunk.Length); back++)
        {
            var b = chunk[^back];
            if ((b & 0xC0) == 0x80) continue;
            var length = SequenceLength(b);
            return length > back ? chunk.Length - back : chunk.Length;
        }
        return chunk.Length;
    }

    static int SequenceLength(byte lead) => lead switch
    {
        < 0x80 => 1,
        >= 0xC2 and < 0xE0 => 2,
        >= 0xE0 and < 0xF0 => 3,
        >= 0xF0 and < 0xF5 => 4,
        _ => 0,
    };
}

/// <summary>Checked content: the bytes a use case records, with the media type they were checked against.</summary>
public sealed record ContentUpload(ContentSubmission Source, string MediaType)
{
    public string Digest => Source.Digest;
    public long Size => Source.Size;
    public string? FileName => Source.FileName;
    public bool IsText => MediaTypes.IsText(MediaType);
}

/// <summary>
/// Content arrives as JSON (<c>content</c> text or <c>contentBase64</c> bytes, with <c>mediaType</c>), as the <c>file</c> part
/// of a multipart form, or from an adapter (a web form, the seed loader). Each becomes one <see cref="ContentSubmission"/>;
/// <see cref="Check"/> is the one place that decides whether it is acceptable content of a media type.
/// </summary>
public static class ContentInput
{
    /// <summary>The submission from a JSON body's content fields; null (with a field error) when there is none or both.</summary>
    public static ContentSubmission? FromJson(string? text, byte[]? base64, string? mediaType, string? fileName, FieldErrors errors)
    {
        if (text is not null && base64 is not null)
        {
            errors.Add("content", "Send either 'content' (text) or 'contentBase64' (bytes), not both.");
            return null;
        }
        if (text is not null) return ContentSubmission.FromText(text, mediaType, fileName);
        if (base64 is not null) return ContentSubmission.FromBytes(base64, mediaType, fileName);
        errors.Add("content", "'content' (text) or 'contentBase64' (bytes) is required.");
        return null;
    }

    /// <summary>
    /// The content as the media type it will be recorded under: the declared type, else text for typed text, else
    /// <paramref name="defaultMediaType"/> (the document's own, for a new revision or a translation). Null with field errors
    /// when it is missing, empty, too large, of an unsupported type, or not what its type says.
    /// </summary>
    public static ContentUpload? Check(ContentSubmission? submission, string? defaultMediaType, long maxBytes, FieldErrors errors,
        string contentField = "content", string typeField = "mediaType")
    {
        if (submission is null)
        {
            errors.Add(contentField, $"'{contentField}' is required.");
            return null;
        }
        if (submission.Size == 0)
        {
            errors.Add(contentField, "The content is empty.");
            return null;
        }
        if (submission.Size > maxBytes)
        {
            errors.Add(contentField, $"The content is {submission.Size} bytes; the limit is {maxBytes}.");
            errors.ContentLimitExceeded = maxBytes;
            return null;
        }
        var declared = submission.EffectiveMediaType(defaultMediaType);
        if (declared is null)
        {
            errors.Add(typeField, "'mediaType' is required for binary content.");
            return null;
        }
        var mediaType = MediaTypes.Normalize(declared);
        if (mediaType is null)
        {
            errors.Add(typeField, MediaTypes.UnsupportedCharset(declared) ?? MediaTypes.Unsupported(declared));
            return null;
        }
        if (MediaTypes.Mismatch(mediaType, submission) is { } mismatch)
        {
            errors.Add(contentField, mismatch);
            return null;
        }
        return new ContentUpload(submission, mediaType);
    }

    /// <summary>Only the last path segment of a client-supplied file name is kept, without control characters.</summary>
    public static string? SafeFileName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var last = name.Replace('\\', '/').Split('/').Last().Trim();
        var clean = new string(last.Where(c => !char.IsControl(c)).ToArray());
        return clean is "" or "." or ".." ? null : clean.Length > 255 ? clean[..255] : clean;
    }
}
