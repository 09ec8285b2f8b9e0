using System.Text;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Documents;

public sealed class Translating_documents(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task Translating_a_document_records_the_source_revision_and_serves_the_translation()
    {
        var document = await IngestAsync("Around 28,000 people have fled.\n", language: "en-CA");

        var result = await As(Roles.Contributor, s => s.Post.Json(new
        {
            language = "fr-ca", sourceRevision = 1, content = "Environ 28 000 personnes ont fui.\n", translator = "Isabelle Gagnon",
            method = "human", reason = "Version française",
        }).ToUrl($"/api/documents/{document.Id}/translations"));

        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
        result.Context.Response.Headers.Location.ToString().ShouldBe($"/api/documents/{document.Id}/content?language=fr-CA&revision=1");
        var view = (await result.ReadAsJsonAsync<DocumentResource>())!;
        var translation = view.Translations.ShouldHaveSingleItem();
        translation.ShouldBe(translation with { Language = "fr-CA", SourceRevision = 1, Outdated = false, RevisionsBehind = 0, Method = "human", Count = 1 });
        result.Context.Response.Headers.ETag.ToString().ShouldBe("\"1.2\"");
        var translated = (await EventsOfAsync(document.Id)).Last().Data.ShouldBeOfType<DocumentTranslated>();
        translated.Translator.ShouldBe("Isabelle Gagnon");

        var content = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{document.Id}/content?language=fr"));
        content.Context.Response.Headers.ContentLanguage.ToString().ShouldBe("fr-CA");
        (await content.ReadAsTextAsync()).ShouldBe("Environ 28 000 personnes ont fui.\n");
    }

    [Fact]
    public async Task A_translation_becomes_outdated_when_its_source_is_edited()
    {
        var document = await IngestAsync("Version one.\n");
        await TranslateAsync(document.Id, "fr", "Version un.\n");
        var edited = await EditAsync(document.Id, 1, "Version two.\n");

        var translation = edited.Translations.ShouldHaveSingleItem();
        translation.Outdated.ShouldBeTrue();
        translation.RevisionsBehind.ShouldBe(1);
        translation.SourceRevision.ShouldBe(1);
    }

    [Fact]
    public async Task Machine_translation_then_post_edit_keeps_both_and_shows_the_latest()
    {
        var document = await IngestAsync("An open letter.\n");
        await TranslateAsync(document.Id, "fr-CA", "Une lettre ouverte.\n", method: "machine");
        var view = await TranslateAsync(document.Id, "fr-CA", "Une lettre ouverte (révisée).\n", method: "machine+post-edit");

        var translation = view.Translations.ShouldHaveSingleItem();
        translation.Method.ShouldBe("machine+post-edit");
        translation.Count.ShouldBe(2);
        translation.ContentDigest.ShouldBe(ContentDigest.Of(Encoding.UTF8.GetBytes("Une lettre ouverte (révisée).\n")));
    }

    public static TheoryData<string, int, string, string> BadTranslations => new()
    {
        { """{"language":"fr","sourceRevision":7,"content":"x","translator":"t","method":"human"}""", 422, "unknown-revision", "sourceRevision" },
        { """{"language":"en","content":"x","translator":"t","method":"human"}""", 422, "validation", "language" },
        { """{"language":"fr-","content":"x","translator":"t","method":"human"}""", 422, "validation", "language" },
        { """{"language":"fr","content":"x","translator":"t","method":"telepathy"}""", 422, "validation", "method" },
        { """{"language":"fr","content":"x","method":"human"}""", 422, "validation", "translator" },
        { """{"language":"fr","content":"","translator":"t","method":"human"}""", 422, "validation", "content" },
        { """{"language":"fr","sourceRevision":"one","content":"x","translator":"t","method":"human"}""", 400, "malformed-json", "" },
    };

    [Theory, MemberData(nameof(BadTranslations))]
    public async Task Bad_translations_are_problems_and_record_nothing(string body, int status, string slug, string field)
    {
        var document = await IngestAsync(language: "en");
        var result = await As(Roles.Contributor, s => s.Post.Text(body).ToUrl($"/api/documents/{document.Id}/translations").ContentType("application/json"));
        await ShouldBeProblemAsync(result, status, slug);
        if (field.Length > 0) (await result.ReadAsTextAsync()).ShouldContain($"\"{field}\":[");
        (await EventsOfAsync(document.Id)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Asking_for_a_translation_that_does_not_exist_is_a_404()
    {
        var document = await IngestAsync();
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Get.Url($"/api/documents/{document.Id}/content?language=de")), 404, "not-found");
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Get.Url($"/api/documents/{document.Id}/content?revision=9")), 404, "not-found");
    }
}
