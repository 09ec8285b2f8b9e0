using System.Globalization;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Documents;

public sealed class Travelling_in_time(AppFixture fixture) : ArchiveContext(fixture)
{
    private static string Rfc3339(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture));
    private static string Rfc1123(DateTimeOffset t) => t.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);

    /// <summary>Ingested at t, translated at t+10, verified at t+20, edited at t+30 (minutes).</summary>
    private async Task<(Guid Id, DateTimeOffset T)> StoryAsync()
    {
        var t = Now;
        var doc = await IngestAsync("Ստեփանակերտ, first.\n", "en", "Time story");
        Advance(10);
        await TranslateAsync(doc.Id, "fr", "Ստեփանակերտ, premier.\n");
        Advance(10);
        await VerifyAsync(doc.Id, 1);
        Advance(10);
        await EditAsync(doc.Id, 1, "Ստեփանակերտ, second.\n");
        Advance(1);
        return (doc.Id, t);
    }

    [Fact]
    public async Task The_view_as_of_an_instant_shows_translations_and_verdicts_as_they_stood()
    {
        var (id, t) = await StoryAsync();

        var atCreation = await OkJsonAsync<DocumentResource>(await GetAsync($"/api/documents/{id}?asOf={Rfc3339(t)}"));
        atCreation.Revision.ShouldBe(1);
        atCreation.Translations.ShouldBeEmpty();

        var translated = await OkJsonAsync<DocumentResource>(await GetAsync($"/api/documents/{id}?asOf={Rfc3339(t.AddMinutes(15))}"));
        translated.Revision.ShouldBe(1);
        var fr = translated.Translations.ShouldHaveSingleItem();
        (fr.Language, fr.Outdated).ShouldBe(("fr", false));
        translated.Verifications.ShouldBeEmpty();

        // The same instant written with a +02:00 offset.
        var verified = await OkJsonAsync<DocumentResource>(await GetAsync($"/api/documents/{id}?asOf={Rfc3339(t.AddMinutes(25).ToOffset(TimeSpan.FromHours(2)))}"));
        verified.Verifications.ShouldHaveSingleItem().Verdict.ShouldBe("verified");
        verified.Revision.ShouldBe(1);

        var edited = await OkJsonAsync<DocumentResource>(await GetAsync($"/api/documents/{id}?asOf={Rfc3339(t.AddMinutes(30))}"));
        edited.Revision.ShouldBe(2);
        var outdated = edited.Translations.ShouldHaveSingleItem();
        (outdated.Outdated, outdated.RevisionsBehind).ShouldBe((true, 1));

        var current = await OkJsonAsync<DocumentResource>(await GetAsync($"/api/documents/{id}"));
        edited.LedgerMismatches.ShouldNotBeNull().ShouldBeEmpty("a replayed view says which of its events the ledger does not prove: none");
        current.LedgerMismatches.ShouldBeNull("the current view is the projection, not a replay");
        (edited with { LedgerMismatches = null }).ShouldBeEquivalentTo(current);
    }

    [Fact]
    public async Task AsOf_before_creation_is_a_404_problem_and_malformed_asOf_a_422()
    {
        var (id, t) = await StoryAsync();
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}?asOf={Rfc3339(t.AddSeconds(-1))}"), 404, "not-found");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}?asOf=yesterday"), 422, "validation");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}?asOf=2026-13-45T00:00:00Z"), 422, "validation");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{Guid.NewGuid()}?asOf={Rfc3339(t)}"), 404, "not-found");
    }

    [Fact]
    public async Task Accept_datetime_negotiates_the_revision_current_at_that_time()
    {
        var (id, t) = await StoryAsync();

        var memento = await GetAsync($"/api/documents/{id}/content", headers: ("Accept-Datetime", Rfc1123(t.AddMinutes(29))));
        memento.Context.Response.StatusCode.ShouldBe(200);
        (await memento.ReadAsTextAsync()).ShouldBe("Ստեփանակերտ, first.\n");
        var headers = memento.Context.Response.Headers;
        headers["Memento-Datetime"].ToString().ShouldBe(Rfc1123(t));
        headers.Vary.ToString().ShouldBe("accept-datetime");
        headers.ContentLocation.ToString().ShouldBe($"/api/documents/{id}/content?revision=1");
        var link = headers.Link.ToString();
        link.ShouldContain($"/api/documents/{id}/content>; rel=\"original timegate\"");
        link.ShouldContain($"/api/documents/{id}/timemap>; rel=\"timemap\"");

        var later = await GetAsync($"/api/documents/{id}/content", headers: ("Accept-Datetime", Rfc1123(t.AddMinutes(30))));
        (await later.ReadAsTextAsync()).ShouldBe("Ստեփանակերտ, second.\n");
        later.Context.Response.Headers["Memento-Datetime"].ToString().ShouldBe(Rfc1123(t.AddMinutes(30)));

        var translation = await GetAsync($"/api/documents/{id}/content?language=fr", headers: ("Accept-Datetime", Rfc1123(t.AddMinutes(12))));
        (await translation.ReadAsTextAsync()).ShouldBe("Ստեփանակերտ, premier.\n");

        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}/content", headers: ("Accept-Datetime", Rfc1123(t.AddMinutes(-1)))), 404, "not-found");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}/content", headers: ("Accept-Datetime", "last tuesday")), 400, "malformed-request");
    }

    [Fact]
    public async Task The_timemap_lists_every_revision_as_a_memento()
    {
        var (id, t) = await StoryAsync();

        var result = await GetAsync($"/api/documents/{id}/timemap");
        result.Context.Response.StatusCode.ShouldBe(200);
        result.Context.Response.ContentType.ShouldNotBeNull().ShouldStartWith("application/link-format");
        var baseUri = "http://localhost";
        (await result.ReadAsTextAsync()).ShouldBe(string.Join(",\n",
            $"<{baseUri}/api/documents/{id}/content>;rel=\"original\"",
            $"<{baseUri}/api/documents/{id}/timemap>;rel=\"self\";type=\"application/link-format\";from=\"{Rfc1123(t)}\";until=\"{Rfc1123(t.AddMinutes(30))}\"",
            $"<{baseUri}/api/documents/{id}/content>;rel=\"timegate\"",
            $"<{baseUri}/api/documents/{id}/content?revision=1>;rel=\"first memento\";datetime=\"{Rfc1123(t)}\"",
            $"<{baseUri}/api/documents/{id}/content?revision=2>;rel=\"last memento\";datetime=\"{Rfc1123(t.AddMinutes(30))}\"") + "\n");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{Guid.NewGuid()}/timemap"), 404, "not-found");
    }
}

public sealed class Tracing_a_documents_lineage(AppFixture fixture) : ArchiveContext(fixture)
{
    [Fact]
    public async Task A_translation_of_an_old_revision_is_outdated_in_the_lineage()
    {
        var t = Now;
        var doc = await IngestAsync("Les élections.\n", "fr", "Lineage story");
        Advance(1);
        await TranslateAsync(doc.Id, "hy", "Ընտրությունները Ստեփանակերտում.\n");
        Advance(1);
        await VerifyAsync(doc.Id, 1, language: "hy", verdict: "disputed");
        Advance(1);
        await EditAsync(doc.Id, 1, "Les élections reportées.\n");
        Advance(1);
        await VerifyAsync(doc.Id, 2);

        var lineage = await OkJsonAsync<Lineage>(await GetAsync($"/api/documents/{doc.Id}/lineage"));
        lineage.CurrentRevision.ShouldBe(2);
        lineage.Nodes.Select(n => n.Kind).ShouldBe(["revision", "revision", "translation", "verification", "verification"]);
        var translation = lineage.Nodes[2];
        (translation.Language, translation.Revision, translation.Outdated, translation.RevisionsBehind, translation.Latest).ShouldBe(("hy", 1, true, 1, true));
        translation.ContentDigest.ShouldBe(ContentDigest.Of(System.Text.Encoding.UTF8.GetBytes("Ընտրությունները Ստեփանակերտում.\n")));
        translation.At.ShouldBe(t.AddMinutes(1));
        lineage.Nodes[3].Verdict.ShouldBe("disputed");
        lineage.Nodes[3].Actor.ShouldBe("test.verifier");
        lineage.Edges.ShouldBe([
            new LineageEdge("revision:2", "revision:1", "revisionOf"),
            new LineageEdge(translation.Id, "revision:1", "translationOf"),
            new LineageEdge(lineage.Nodes[3].Id, translation.Id, "verifies"),
            new LineageEdge(lineage.Nodes[4].Id, "revision:2", "verifies"),
        ]);
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{Guid.NewGuid()}/lineage"), 404, "not-found");
    }
}
