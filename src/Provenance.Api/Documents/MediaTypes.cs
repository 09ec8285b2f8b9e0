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
            return content.IsValidUtf8 ? null : "Text content must be valid UTF-8.";
        }
        return Binary.TryGetValue(essence, out var magic) && magic is not null && !content.Head.AsSpan().StartsWith(magic)
            ? $"The content does not look like {essence} (its leading bytes do not match)."
            : null;
    }

    public static string Unsupported(string declared)
        => $"'{declared}' is not a supported media type; supported: {string.Join(", ", Supported)}.";

    public static IEnumerable<string> Supported => Text.Concat(Binary.Keys).Order(StringComparer.Ordinal);
}
