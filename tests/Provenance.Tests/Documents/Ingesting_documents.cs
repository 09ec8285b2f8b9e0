using System.Text;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Documents;

public sealed class Ingesting_documents(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task Ingesting_text_records_revision_1_with_its_digest_and_actor()
    {
        var result = await As(Roles.Contributor, s => s.Post.Json(new
        {
            title = "NDP pressures Liberals", language = "en-ca", content = "Azerbaijan launched an offensive.\n",
            sourceUri = "https://www.ctvnews.ca/canada/x", publisher = "CTV News", publishedAt = "2023-09-26T00:00:00Z", reason = "Capture",
        }).ToUrl("/api/documents"));

        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
        var document = (await result.ReadAsJsonAsync<DocumentResource>())!;
        result.Context.Response.Headers.Location.ToString().ShouldBe($"/api/documents/{document.Id}");
        result.Context.Response.Headers.ETag.ToString().ShouldBe("\"1\"");
        document.Revision.ShouldBe(1);
        document.Language.ShouldBe("en-CA");
        document.MediaType.ShouldBe("text/plain; charset=utf-8");
        document.ContentDigest.ShouldBe(ContentDigest.Of("Azerbaijan launched an offensive.\n"u8));
        document.Size.ShouldBe(34);
        document.Publisher.ShouldBe("CTV News");
        document.CreatedBy.ShouldBe("test.contributor");
        document.CreatedAt.ShouldBe(Fixture.Clock.GetUtcNow());

        var events = await EventsOfAsync(document.Id);
        var ingested = events.ShouldHaveSingleItem().Data.ShouldBeOfType<DocumentIngested>();
        ingested.Actor.ShouldBe("test.contributor");
        ingested.Reason.ShouldBe("Capture");
        ingested.PublishedAt.ShouldBe(new DateTimeOffset(2023, 9, 26, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task Ingesting_a_pdf_file_through_multipart_stores_the_bytes_once()
    {
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n");
        var before = await ContentRowsAsync();

        var first = await As(Roles.Contributor, s => s.Post.MultipartFormData(Multipart(pdf, "letter.pdf", "application/pdf",
            ("title", "The letter, as a PDF"), ("language", "en"))).ToUrl("/api/documents"));
        var second = await As(Roles.Contributor, s => s.Post.MultipartFormData(Multipart(pdf, "../../etc/copy.pdf", "application/pdf",
            ("title", "The same bytes again"), ("language", "fr"))).ToUrl("/api/documents"));

        first.Context.Response.StatusCode.ShouldBe(201, await first.ReadAsTextAsync());
        second.Context.Response.StatusCode.ShouldBe(201, await second.ReadAsTextAsync());
        var a = (await first.ReadAsJsonAsync<DocumentResource>())!;
        var b = (await second.ReadAsJsonAsync<DocumentResource>())!;
        a.MediaType.ShouldBe("application/pdf");
        a.OriginalFileName.ShouldBe("letter.pdf");
        b.OriginalFileName.ShouldBe("copy.pdf");
        b.ContentDigest.ShouldBe(a.ContentDigest);
        (await ContentRowsAsync()).ShouldBe(before + 1);

        var content = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{a.Id}/content"));
        content.Context.Response.StatusCode.ShouldBe(200);
        content.Context.Response.ContentType.ShouldBe("application/pdf");
        content.Context.Response.Headers["Repr-Digest"].ToString()
            .ShouldBe($"sha-256=:{Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(pdf))}:");
        var body = new MemoryStream();
        await content.Context.Response.Body.CopyToAsync(body);
        body.ToArray().ShouldBe(pdf);
    }

    public static TheoryData<string, string, int, string, string> BadInputs => new()
    {
        { "application/json", """{"language":"en","content":"x"}""", 422, "validation", "title" },
        { "application/json", """{"title":"t","language":"english","content":"x"}""", 422, "validation", "language" },
        { "application/json", """{"title":"t","language":"qq","content":"x"}""", 422, "validation", "language" },
        { "application/json", """{"title":"t","language":"en","content":""}""", 422, "validation", "content" },
        { "application/json", """{"title":"t","language":"en"}""", 422, "validation", "content" },
        { "application/json", """{"title":"t","language":"en","contentBase64":"AAEC","mediaType":"application/x-unknown"}""", 422, "validation", "mediaType" },
        { "application/json", """{"title":"t","language":"en","contentBase64":"AAEC","mediaType":"application/pdf"}""", 422, "validation", "content" },
        { "application/json", """{"title":"t","language":"en","contentBase64":"not base64!"}""", 422, "validation", "contentBase64" },
        { "application/json", """{"title":"t","language":"en","content":"x","sourceUri":"ftp:/nope"}""", 422, "validation", "sourceUri" },
        { "application/json", """{"title":"t","language":"en","content":"x""", 400, "malformed-json", "" },
        { "application/json", """{"title":5,"language":"en","content":"x"}""", 400, "malformed-json", "" },
        { "text/plain", "just text", 415, "unsupported-media-type", "" },
    };

    [Theory, MemberData(nameof(BadInputs))]
    public async Task Bad_input_is_a_problem_and_writes_nothing(string contentType, string body, int status, string slug, string field)
    {
        var events = await EventCountAsync();
        var result = await As(Roles.Contributor, s =>
            s.Post.Text(body).ToUrl("/api/documents").ContentType(contentType));

        await ShouldBeProblemAsync(result, status, slug);
        if (field.Length > 0) (await result.ReadAsTextAsync()).ShouldContain($"\"{field}\":[");
        (await EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task Content_over_the_configured_limit_is_refused_with_413()
    {
        var events = await EventCountAsync();
        var result = await As(Roles.Contributor, s => s.Post.Json(new { title = "big", language = "en", content = new string('a', 1024 * 1024 + 1) })
            .ToUrl("/api/documents"));
        await ShouldBeProblemAsync(result, 413, "content-too-large");
        (await EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task Reading_an_unknown_document_is_a_404_problem()
    {
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Get.Url($"/api/documents/{Guid.NewGuid()}")), 404, "not-found");
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Get.Url($"/api/documents/{Guid.NewGuid()}/content")), 404, "not-found");
    }
}
