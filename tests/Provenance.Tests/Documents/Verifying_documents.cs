using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Documents;

public sealed class Verifying_documents(AppFixture fixture) : IntegrationContext(fixture)
{
    private const string Text = "Since then, around 28,000 people have fled across the border.\n";

    [Fact]
    public async Task Verifying_a_quoted_claim_records_the_verdict_with_its_span_and_evidence()
    {
        var document = await IngestAsync(Text);
        const string quote = "around 28,000 people have fled";
        var start = Text.IndexOf(quote, StringComparison.Ordinal);

        var result = await As(Roles.Verifier, s => s.Post.Json(new
        {
            revision = 1, claim = new { quote, start, end = start + quote.Length }, method = "source-comparison", verdict = "verified",
            evidence = new[] { "https://apnews.com/article/armenia-azerbaijan" }, notes = "Matches the AP count of Sept. 26.",
        }).ToUrl($"/api/documents/{document.Id}/verifications"));

        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
        var view = (await result.ReadAsJsonAsync<DocumentResource>())!;
        view.Verdicts.ShouldBe(["verified"]);
        var verification = view.Verifications.ShouldHaveSingleItem();
        verification.Claim.ShouldBe(new VerifiedClaim(quote, start, start + quote.Length));
        verification.VerifiedBy.ShouldBe("test.verifier");
        var verified = (await EventsOfAsync(document.Id)).Last().Data.ShouldBeOfType<DocumentVerified>();
        verified.Evidence.ShouldBe(["https://apnews.com/article/armenia-azerbaijan"]);
    }

    [Fact]
    public async Task A_verification_of_a_translation_checks_the_claim_against_the_translated_text()
    {
        var document = await IngestAsync(Text);
        await TranslateAsync(document.Id, "fr-CA", "Depuis, environ 28 000 personnes ont fui.\n");
        const string quote = "environ 28 000 personnes";

        var result = await As(Roles.Verifier, s => s.Post.Json(new
        {
            revision = 1, language = "fr-CA", claim = new { quote, start = 8, end = 8 + quote.Length }, method = "expert-review", verdict = "verified",
        }).ToUrl($"/api/documents/{document.Id}/verifications"));

        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
        (await result.ReadAsJsonAsync<DocumentResource>())!.Verifications.ShouldHaveSingleItem().Language.ShouldBe("fr-CA");
    }

    public static TheoryData<string, string> BadVerifications => new()
    {
        { """{"revision":1,"claim":{"quote":"28,000 people","start":0,"end":13},"method":"source-comparison","verdict":"verified"}""", "claim.quote" },
        { """{"revision":1,"claim":{"quote":"x","start":500,"end":501},"method":"source-comparison","verdict":"verified"}""", "claim" },
        { """{"revision":1,"method":"source-comparison","verdict":"true"}""", "verdict" },
        { """{"revision":1,"method":"vibes","verdict":"verified"}""", "method" },
        { """{"revision":3,"method":"source-comparison","verdict":"verified"}""", "revision" },
        { """{"revision":1,"language":"de","method":"source-comparison","verdict":"verified"}""", "language" },
        { """{"revision":1,"method":"source-comparison","verdict":"verified","evidence":["not a uri"]}""", "evidence" },
    };

    [Theory, MemberData(nameof(BadVerifications))]
    public async Task Bad_verifications_are_problems_and_record_nothing(string body, string field)
    {
        var document = await IngestAsync(Text);
        var result = await As(Roles.Verifier, s => s.Post.Text(body).ToUrl($"/api/documents/{document.Id}/verifications").ContentType("application/json"));
        await ShouldBeProblemAsync(result, 422, "validation");
        (await result.ReadAsTextAsync()).ShouldContain($"\"{field}\":[");
        (await EventsOfAsync(document.Id)).Count.ShouldBe(1);
    }
}
