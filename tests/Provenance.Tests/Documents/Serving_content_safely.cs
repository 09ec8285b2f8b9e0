using System.Globalization;
using Alba;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Documents;

/// <summary>
/// Stored bytes are someone else's: whatever their type, a browser must never run them on our origin. Every content response says
/// <c>nosniff</c> and a sandboxing CSP; only plain text and vetted passive images and PDF are shown inline, everything else downloads.
/// </summary>
public sealed class Serving_content_safely(AppFixture fixture) : ArchiveContext(fixture)
{
    public const string Sandbox = "sandbox; default-src 'none'";

    static readonly HashSet<string> Inline = ["text/plain", "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"];

    /// <summary>A few bytes of each accepted type that pass its magic-number check.</summary>
    static byte[] Sample(string mediaType) => mediaType switch
    {
        "application/pdf" => "%PDF-1.4\n%%EOF\n"u8.ToArray(),
        "image/png" => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0],
        "image/jpeg" => [0xFF, 0xD8, 0xFF, 0xE0, 0, 0],
        "image/gif" => "GIF89a\x01\0\x01\0"u8.ToArray(),
        "image/tiff" => [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0],
        "image/webp" => "RIFF\x04\0\0\0WEBP"u8.ToArray(),
        "application/epub+zip" or "application/vnd.openxmlformats-officedocument.wordprocessingml.document" or "application/vnd.oasis.opendocument.text"
            => [0x50, 0x4B, 0x03, 0x04, 0, 0],
        "application/msword" => [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
        "text/html" => "<!DOCTYPE html><script>fetch('/api/keys')</script>\n"u8.ToArray(),
        "text/xml" or "application/xml" => "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>fetch('/api/keys')</script></svg>\n"u8.ToArray(),
        "application/json" => "{\"a\":1}\n"u8.ToArray(),
        _ => "Some text.\n"u8.ToArray(),
    };

    public static TheoryData<string> EveryAcceptedType => new(MediaTypes.Supported);

    async Task<DocumentResource> IngestBytesAsync(string mediaType, string? fileName, string title = "Served content")
    {
        var result = await As(Roles.Contributor, s => s.Post.Json(new
        {
            title, language = "en", contentBase64 = Convert.ToBase64String(Sample(mediaType)), mediaType, originalFileName = fileName,
        }).ToUrl("/api/documents"));
        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
        return (await result.ReadAsJsonAsync<DocumentResource>())!;
    }

    static void ShouldBeSandboxed(HttpResponse response)
    {
        response.Headers.XContentTypeOptions.ToString().ShouldBe("nosniff");
        response.Headers.ContentSecurityPolicy.ToString().ShouldBe(Sandbox);
    }

    static ContentDispositionHeaderValue Disposition(HttpResponse response)
    {
        var header = response.Headers.ContentDisposition.ToString();
        header.ShouldNotBeNullOrEmpty();
        return ContentDispositionHeaderValue.Parse(header);
    }

    [Theory]
    [MemberData(nameof(EveryAcceptedType))]
    public async Task Every_accepted_type_is_served_sandboxed_and_only_passive_types_inline(string mediaType)
    {
        var fileName = $"Rapport d'été «{mediaType.Replace('/', '-')}».bin";
        var doc = await IngestBytesAsync(mediaType, fileName);

        var result = await GetAsync($"/api/documents/{doc.Id}/content");
        result.Context.Response.StatusCode.ShouldBe(200);
        (await result.ReadAsTextAsync()).ShouldNotBeEmpty();
        ShouldBeSandboxed(result.Context.Response);
        var disposition = Disposition(result.Context.Response);
        disposition.DispositionType.ToString().ShouldBe(Inline.Contains(mediaType) ? "inline" : "attachment", mediaType);
        disposition.FileNameStar.ToString().ShouldBe(fileName, "RFC 6266 filename* carries the original name in UTF-8");
        var fallback = disposition.FileName.ToString().Trim('"');
        fallback.ShouldNotBeEmpty();
        fallback.ShouldAllBe(c => c >= ' ' && c < '\x7f', "the filename= fallback is plain ASCII");
    }

    [Fact]
    public async Task SVG_XHTML_and_HTML_always_download_whatever_the_client_asks()
    {
        foreach (var mediaType in new[] { "text/html", "application/xml", "text/xml" })
        {
            var doc = await IngestBytesAsync(mediaType, "drawing.svg");
            var result = await GetAsync($"/api/documents/{doc.Id}/content", accept: "text/html,image/svg+xml");
            ShouldBeSandboxed(result.Context.Response);
            Disposition(result.Context.Response).DispositionType.ToString().ShouldBe("attachment");
            result.Context.Response.ContentType.ShouldNotBeNull().ShouldStartWith(mediaType, customMessage: "the stored type is sent as is, never sniffed");
        }
    }

    [Fact]
    public async Task Revisions_translations_mementos_304s_and_problems_carry_the_same_headers()
    {
        var doc = await IngestBytesAsync("text/html", "page.html");
        var t = Now;
        Advance(1);
        var edited = await As(Roles.Contributor, s =>
        {
            s.Post.Json(new { contentBase64 = Convert.ToBase64String("<p>second</p>\n"u8.ToArray()), mediaType = "text/html", reason = "Second" })
                .ToUrl($"/api/documents/{doc.Id}/revisions");
            s.WithRequestHeader("If-Match", "\"1\"");
        });
        edited.Context.Response.StatusCode.ShouldBe(201, await edited.ReadAsTextAsync());
        var translated = await As(Roles.Contributor, s => s.Post.Json(new
        {
            language = "fr", contentBase64 = Convert.ToBase64String("<p>traduit</p>\n"u8.ToArray()), mediaType = "text/html",
            translator = "A. Translator", method = "human",
        }).ToUrl($"/api/documents/{doc.Id}/translations"));
        translated.Context.Response.StatusCode.ShouldBe(201, await translated.ReadAsTextAsync());
        var textTranslation = await TranslateAsync(doc.Id, "de", "Übersetzt.\n");

        var revision1 = await GetAsync($"/api/documents/{doc.Id}/content?revision=1");
        ShouldBeSandboxed(revision1.Context.Response);
        Disposition(revision1.Context.Response).FileNameStar.ToString().ShouldBe("page.html");

        var french = await GetAsync($"/api/documents/{doc.Id}/content?language=fr");
        french.Context.Response.StatusCode.ShouldBe(200);
        ShouldBeSandboxed(french.Context.Response);
        var frenchDisposition = Disposition(french.Context.Response);
        frenchDisposition.DispositionType.ToString().ShouldBe("attachment");
        frenchDisposition.FileNameStar.ToString().ShouldBe("page.fr.html");

        var german = await GetAsync($"/api/documents/{doc.Id}/content?language=de");
        ShouldBeSandboxed(german.Context.Response);
        Disposition(german.Context.Response).DispositionType.ToString().ShouldBe("inline", "plain text is safe to show");

        var memento = await GetAsync($"/api/documents/{doc.Id}/content",
            headers: ("Accept-Datetime", t.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture)));
        memento.Context.Response.StatusCode.ShouldBe(200);
        memento.Context.Response.Headers["Memento-Datetime"].ToString().ShouldNotBeEmpty();
        ShouldBeSandboxed(memento.Context.Response);
        Disposition(memento.Context.Response).DispositionType.ToString().ShouldBe("attachment");

        var frenchMemento = await GetAsync($"/api/documents/{doc.Id}/content?language=fr",
            headers: ("Accept-Datetime", Now.AddMinutes(1).ToUniversalTime().ToString("r", CultureInfo.InvariantCulture)));
        frenchMemento.Context.Response.StatusCode.ShouldBe(200);
        ShouldBeSandboxed(frenchMemento.Context.Response);
        Disposition(frenchMemento.Context.Response).DispositionType.ToString().ShouldBe("attachment");

        var etag = revision1.Context.Response.Headers.ETag.ToString();
        var notModified = await GetAsync($"/api/documents/{doc.Id}/content?revision=1", headers: ("If-None-Match", etag));
        notModified.Context.Response.StatusCode.ShouldBe(304);
        ShouldBeSandboxed(notModified.Context.Response);

        var missing = await GetAsync($"/api/documents/{Guid.NewGuid()}/content");
        await ShouldBeProblemAsync(missing, 404, "not-found");
        ShouldBeSandboxed(missing.Context.Response);
        var noSuchRevision = await GetAsync($"/api/documents/{doc.Id}/content?revision=9");
        await ShouldBeProblemAsync(noSuchRevision, 404, "not-found");
        ShouldBeSandboxed(noSuchRevision.Context.Response);
        textTranslation.Translations.Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_document_without_a_file_name_downloads_under_a_name_made_from_its_id_revision_and_type()
    {
        var doc = await IngestBytesAsync("application/json", null);
        var result = await GetAsync($"/api/documents/{doc.Id}/content");
        var disposition = Disposition(result.Context.Response);
        disposition.DispositionType.ToString().ShouldBe("attachment");
        disposition.FileNameStar.ToString().ShouldBe($"{doc.Id}-r1.json");
    }
}
