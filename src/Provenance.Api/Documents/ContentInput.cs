using System.Text;
using Provenance.Api.Http;

namespace Provenance.Api.Documents;

/// <summary>
/// Content arrives either as JSON (<c>content</c> text or <c>contentBase64</c> bytes, with <c>mediaType</c>) or as the
/// <c>file</c> part of a multipart form. Both end here, as one <see cref="ContentUpload"/> or field errors.
/// </summary>
public static class ContentInput
{
    public static ContentUpload? FromJson(string? text, string? base64, string? mediaType, string? fileName, string? defaultMediaType,
        long maxBytes, FieldErrors errors)
    {
        if (text is not null && base64 is not null)
        {
            errors.Add("content", "Send either 'content' (text) or 'contentBase64' (bytes), not both.");
            return null;
        }
        byte[] bytes;
        if (text is not null)
        {
            bytes = Encoding.UTF8.GetBytes(text);
        }
        else if (base64 is not null)
        {
            try
            {
                bytes = Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                errors.Add("contentBase64", "'contentBase64' is not valid base64.");
                return null;
            }
        }
        else
        {
            errors.Add("content", "'content' (text) or 'contentBase64' (bytes) is required.");
            return null;
        }
        var type = mediaType ?? (text is not null ? MediaTypes.PlainText : defaultMediaType);
        return Check(bytes, type, fileName, maxBytes, errors, "content", "mediaType");
    }

    public static async Task<ContentUpload?> FromFormAsync(IFormCollection form, string? defaultMediaType, long maxBytes, FieldErrors errors)
    {
        var file = form.Files.GetFile("file");
        if (file is null)
        {
            errors.Add("file", "A 'file' part is required.");
            return null;
        }
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer);
        var declared = form["mediaType"].FirstOrDefault() ?? (IsGeneric(file.ContentType) ? defaultMediaType : file.ContentType);
        return Check(buffer.ToArray(), declared, SafeFileName(file.FileName), maxBytes, errors, "file", "mediaType");
    }

    /// <summary>Bytes already in hand (a file on disk): the same checks, with <paramref name="defaultMediaType"/> when none is declared.</summary>
    public static ContentUpload? FromBytes(byte[] bytes, string? mediaType, string? fileName, string? defaultMediaType, long maxBytes, FieldErrors errors)
        => Check(bytes, mediaType ?? defaultMediaType, fileName, maxBytes, errors, "file", "mediaType");

    private static bool IsGeneric(string? contentType)
        => string.IsNullOrEmpty(contentType) || contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase);

    private static ContentUpload? Check(byte[] bytes, string? declaredType, string? fileName, long maxBytes, FieldErrors errors,
        string contentField, string typeField)
    {
        if (bytes.Length == 0)
        {
            errors.Add(contentField, "The content is empty.");
            return null;
        }
        if (bytes.LongLength > maxBytes)
        {
            errors.Add(contentField, $"The content is {bytes.LongLength} bytes; the limit is {maxBytes}.");
            errors.ContentLimitExceeded = maxBytes;
            return null;
        }
        if (declaredType is null)
        {
            errors.Add(typeField, "'mediaType' is required for binary content.");
            return null;
        }
        var mediaType = MediaTypes.Normalize(declaredType);
        if (mediaType is null)
        {
            errors.Add(typeField, $"'{declaredType}' is not a supported media type; supported: {string.Join(", ", MediaTypes.Supported)}.");
            return null;
        }
        if (MediaTypes.Mismatch(mediaType, bytes) is { } mismatch)
        {
            errors.Add(contentField, mismatch);
            return null;
        }
        return new ContentUpload(bytes, mediaType, fileName);
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
