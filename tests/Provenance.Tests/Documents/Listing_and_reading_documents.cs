using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Documents;

public sealed class Listing_and_reading_documents(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task The_list_pages_newest_first_with_an_opaque_cursor()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++) ids.Add((await IngestAsync(title: $"Paged {tag} {i}")).Id);

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var url = $"/api/documents?q={tag}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}");
            var result = await As(Roles.Reader, s => s.Get.Url(url));
            result.Context.Response.StatusCode.ShouldBe(200);
            var page = (await result.ReadAsJsonAsync<DocumentPage>())!;
            seen.AddRange(page.Items.Select(d => d.Id));
            if (page.NextCursor is not null) result.Context.Response.Headers.Link.ToString().ShouldContain("rel=\"next\"");
            cursor = page.NextCursor;
            pages++;
        } while (cursor is not null);

        pages.ShouldBe(3);
        seen.ShouldBe(Enumerable.Reverse(ids).ToList());
    }

    [Fact]
    public async Task The_list_filters_by_language_prefix_and_by_verdict()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var french = await IngestAsync(title: $"Filtre {tag}", language: "fr-CA", content: "Le texte.\n");
        await IngestAsync(title: $"Filter {tag}", language: "en", content: "The text.\n");
        await As(Roles.Verifier, s => s.Post.Json(new { method = "expert-review", verdict = "disputed" }).ToUrl($"/api/documents/{french.Id}/verifications"));

        var byLanguage = (await (await As(Roles.Reader, s => s.Get.Url($"/api/documents?q={tag}&language=fr"))).ReadAsJsonAsync<DocumentPage>())!;
        byLanguage.Items.Select(d => d.Id).ShouldBe([french.Id]);
        var byVerdict = (await (await As(Roles.Reader, s => s.Get.Url($"/api/documents?q={tag}&verdict=disputed"))).ReadAsJsonAsync<DocumentPage>())!;
        byVerdict.Items.Select(d => d.Id).ShouldBe([french.Id]);
    }

    [Theory]
    [InlineData("cursor=garbage", "cursor")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1000", "limit")]
    [InlineData("verdict=maybe", "verdict")]
    [InlineData("language=xx-", "language")]
    public async Task Bad_list_parameters_are_validation_problems(string query, string field)
    {
        var result = await As(Roles.Reader, s => s.Get.Url($"/api/documents?{query}"));
        await ShouldBeProblemAsync(result, 422, "validation");
        (await result.ReadAsTextAsync()).ShouldContain($"\"{field}\":[");
    }

    [Fact]
    public async Task A_client_with_the_current_ETag_gets_304_and_a_stale_one_gets_the_new_view()
    {
        var document = await IngestAsync();
        var notModified = await As(Roles.Reader, s =>
        {
            s.Get.Url($"/api/documents/{document.Id}");
            s.WithRequestHeader("If-None-Match", "\"1\"");
        });
        notModified.Context.Response.StatusCode.ShouldBe(304);

        await TranslateAsync(document.Id, "fr", "Le premier texte.\n");
        var changed = await As(Roles.Reader, s =>
        {
            s.Get.Url($"/api/documents/{document.Id}");
            s.WithRequestHeader("If-None-Match", "\"1\"");
        });
        changed.Context.Response.StatusCode.ShouldBe(200);
        changed.Context.Response.Headers.ETag.ToString().ShouldBe("\"1.2\"");
        (await changed.ReadAsJsonAsync<DocumentResource>())!.Translations.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Content_carries_an_RFC_9530_digest_and_supports_conditional_requests()
    {
        var document = await IngestAsync("Ստեփանակերտ — Stepanakert, Haut-Karabakh.\n");
        var result = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{document.Id}/content"));
        result.Context.Response.ContentType.ShouldBe("text/plain; charset=utf-8");
        var digestHeader = result.Context.Response.Headers["Repr-Digest"].ToString();
        digestHeader.ShouldBe(ContentDigest.ReprDigestHeader(document.ContentDigest));
        (await result.ReadAsTextAsync()).ShouldBe("Ստեփանակերտ — Stepanakert, Haut-Karabakh.\n");

        var again = await As(Roles.Reader, s =>
        {
            s.Get.Url($"/api/documents/{document.Id}/content");
            s.WithRequestHeader("If-None-Match", $"\"{document.ContentDigest}\"");
        });
        again.Context.Response.StatusCode.ShouldBe(304);
    }
}
