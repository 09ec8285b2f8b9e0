using Microsoft.Net.Http.Headers;

namespace Provenance.Api.Documents;

/// <summary>The document formats the ledger accepts, and a check that binary content is what it claims to be.</summary>
public static class MediaTypes
{
    public const string PlainText = "text/plain; charset=utf-8";

    private static readonly IReadOnlySet<string> Text = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "text/plain", "text/markdown", "text/html", "text/csv", "text/xml", "application/xml", "application/json",
    };

    private static readonly IReadOnlyDictionary<string, byte[]?> Binary = new Dictionary<string, byte[]?>(StringComparer.OrdinalIgnoreCase)
    {
        ["application/pdf"] = "%PDF-"u8.ToArray(),
        ["image/png"] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
        ["image/jpeg"] = [0xFF, 0xD8, 0xFF],
        ["image/gif"] = "GIF8"u8.ToArray(),
        ["image/tiff"] = null,
        ["image/webp"] = null,
        ["application/epub+zip"] = [0x50, 0x4B, 0x03, 0x04],
        ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"] = [0x50, 0x4B, 0x03, 0x04],
        ["application/vnd.oasis.opendocument.text"] = [0x50, 0x4B, 0x03, 0x04],
        ["application/msword"] = null,
    };

    /// <summary>Normalises a media type (lowercase essence, charset kept for text); null when unknown or malformed.</summary>
    public static string? Normalize(string? mediaType)
    {
        if (string.IsNullOrWhiteSpace(mediaType) || !MediaTypeHeaderValue.TryParse(mediaType, out var parsed)) return null;
        var essence = parsed.MediaType.Value?.ToLowerInvariant();
        if (essence is null) return null;
        if (Text.Contains(essence))
        {
            var charset = parsed.Charset.HasValue ? parsed.Charset.Value!.ToLowerInvariant() : "utf-8";
            return charset is "utf-8" or "us-ascii" ? $"{essence}; charset=utf-8" : null;
        }
        return Binary.ContainsKey(essence) ? essence : null;
    }

    public static bool IsText(string mediaType) => Text.Contains(Essence(mediaType));

    public static string Essence(string mediaType) => mediaType.Split(';', 2)[0].Trim();

    /// <summary>Why the content does not match the declared type, or null when it does.</summary>
    public static string? Mismatch(string mediaType, ContentSubmission content)
    {
        var essence = Essence(mediaType);
        if (Text.Contains(essence))
        {
            if (content.ContainsNul) return "Text content must not contain NUL (U+0000) characters.";
            return content.Utf8Error is not { } error ? null : NotUtf8(error, content.FileName);
        }
        return Binary.TryGetValue(essence, out var magic) && magic is not null && !content.Head.AsSpan().StartsWith(magic)
            ? $"The content does not look like {essence} (its leading bytes do not match)."
            : null;
    }

    /// <summary>Which byte is not UTF-8, and how to convert the file (the usual culprit is Latin-1 or Windows-1252 text).</summary>
    public static string NotUtf8(Utf8Error error, string? fileName)
    {
        var name = fileName ?? "FILE";
        return $"Text content must be UTF-8, and byte {error.Offset} (counting from 0; value 0x{error.Value:X2}) does not start or continue a UTF-8 " +
               $"character. The text is probably in another encoding, such as ISO-8859-1 or Windows-1252: convert it first, for example " +
               $"iconv -f ISO-8859-1 -t UTF-8 '{name}' > '{name}.utf8' (or -f WINDOWS-1252), and send the converted file.";
    }

    /// <summary>
    /// For a text type we accept declared with a charset other than UTF-8: the charset parameter names the text's encoding, not its type,
    /// and the ledger stores text as UTF-8 only. Null for anything else.
    /// </summary>
    public static string? UnsupportedCharset(string declared)
    {
        if (!MediaTypeHeaderValue.TryParse(declared, out var parsed) || parsed.MediaType.Value is not { } essence || !Text.Contains(essence)
            || !parsed.Charset.HasValue) return null;
        var charset = parsed.Charset.Value!;
        return $"'{essence}' is supported, but only as UTF-8. 'charset={charset}' is the text's character encoding, not its type: the ledger keeps " +
               $"text as UTF-8. Convert it (iconv -f {charset.ToUpperInvariant()} -t UTF-8 FILE > FILE.utf8) and send it as '{essence}; charset=utf-8' " +
               "(or leave the charset out).";
    }

    public static string Unsupported(string declared)
        => $"'{declared}' is not a supported media type; supported: {string.Join(", ", Supported)}.";

    public static IEnumerable<string> Supported => Text.Concat(Binary.Keys).Order(StringComparer.Ordinal);
}
