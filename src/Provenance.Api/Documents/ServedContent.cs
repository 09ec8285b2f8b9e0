using Microsoft.Net.Http.Headers;

namespace Provenance.Api.Documents;

/// <summary>
/// Stored bytes are whatever a contributor sent, served on the origin that holds every reader's session: a browser must never run
/// them here. Every response of a content route says <c>nosniff</c> and carries a sandbox with no capabilities; only plain text and
/// images and PDF that browsers render passively are shown in place, anything else (HTML, XML and with it SVG and XHTML, Office
/// files) is an attachment under its original file name (RFC 6266).
/// </summary>
public static class ServedContent
{
    public const string SandboxPolicy = "sandbox; default-src 'none'";

    /// <summary>Shown in place. Never SVG: it is an XML document that may carry script.</summary>
    static readonly IReadOnlySet<string> Passive = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "text/plain", "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
    };

    static readonly IReadOnlyDictionary<string, string> Extensions = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["text/plain"] = ".txt", ["text/markdown"] = ".md", ["text/html"] = ".html", ["text/csv"] = ".csv", ["text/xml"] = ".xml",
        ["application/xml"] = ".xml", ["application/json"] = ".json", ["application/pdf"] = ".pdf", ["image/png"] = ".png",
        ["image/jpeg"] = ".jpg", ["image/gif"] = ".gif", ["image/tiff"] = ".tif", ["image/webp"] = ".webp", ["application/epub+zip"] = ".epub",
        ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"] = ".docx", ["application/vnd.oasis.opendocument.text"] = ".odt",
        ["application/msword"] = ".doc",
    };

    /// <summary>On every response of a content route, bytes, 304 and problems alike: set before anything else can answer.</summary>
    public static void Protect(HttpResponse response)
    {
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = SandboxPolicy;
    }

    public static bool IsPassive(string mediaType) => Passive.Contains(MediaTypes.Essence(mediaType));

    /// <summary><c>inline</c> or <c>attachment</c> with <c>filename*=UTF-8''…</c> and an ASCII <c>filename=</c> fallback.</summary>
    public static string Disposition(string mediaType, string fileName)
    {
        var disposition = new ContentDispositionHeaderValue(IsPassive(mediaType) ? "inline" : "attachment");
        disposition.SetHttpFileName(fileName);
        return disposition.ToString();
    }

    /// <summary>
    /// The name a download is saved under: the document's original file name (a translation's with its language before the extension),
    /// else one made of the document id, the revision, the language and the type's usual extension.
    /// </summary>
    public static string FileName(Guid documentId, string? originalFileName, int revision, string? language, string mediaType)
    {
        var suffix = language is null ? "" : "." + language;
        if (originalFileName is null)
        {
            return $"{documentId}-r{revision}{suffix}{Extensions.GetValueOrDefault(MediaTypes.Essence(mediaType), "")}";
        }
        var dot = originalFileName.LastIndexOf('.');
        return dot <= 0 ? originalFileName + suffix : originalFileName.Insert(dot, suffix);
    }

    /// <summary>The usual file extension of a media type (with its dot), or none for a type without one.</summary>
    public static string Extension(string mediaType) => Extensions.GetValueOrDefault(MediaTypes.Essence(mediaType), "");

    /// <summary>The bytes of a verified read, with their disposition; the response was already <see cref="Protect"/>ed.</summary>
    public static IResult Bytes(HttpResponse response, byte[] bytes, string mediaType, string fileName)
    {
        response.Headers.ContentDisposition = Disposition(mediaType, fileName);
        return Results.Bytes(bytes, mediaType);
    }
}
