using System.Globalization;
using System.Text.RegularExpressions;
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

/// <summary>RFC 7089 §4: every memento says when it was recorded and links to its original, its TimeGate and its TimeMap.</summary>
public sealed class Reading_mementos(AppFixture fixture) : ArchiveContext(fixture)
{
    private const string Base = "http://localhost";
    private static string Rfc1123(DateTimeOffset t) => t.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);

    /// <summary>The links of a <c>Link</c> header (RFC 8288) or a TimeMap (RFC 6690): target, rel and datetime.</summary>
    private static List<(string Target, string[] Rels, string? Datetime)> Links(string header)
        => Regex.Matches(header, "<([^>]*)>((?:\\s*;\\s*[a-z]+=\"[^\"]*\")*)").Select(m => (
            m.Groups[1].Value,
            Regex.Match(m.Groups[2].Value, "rel=\"([^\"]*)\"").Groups[1].Value.Split(' '),
            Regex.Match(m.Groups[2].Value, "datetime=\"([^\"]*)\"") is { Success: true } d ? d.Groups[1].Value : null)).ToList();

    private static string Target(IEnumerable<(string Target, string[] Rels, string? Datetime)> links, string rel)
        => links.Where(l => l.Rels.Contains(rel)).ShouldHaveSingleItem($"one rel=\"{rel}\"").Target;

    /// <summary>Steps the clock to just after the next whole second: each memento in a second of its own, less than a second apart.</summary>
    private void NextSecond(int milliseconds)
    {
        var now = Now;
        Fixture.Clock.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerSecond - now.Ticks % TimeSpan.TicksPerSecond) + TimeSpan.FromMilliseconds(milliseconds));
    }

    private async Task<(Guid Id, DateTimeOffset Ingested, DateTimeOffset Edited, DateTimeOffset Translated)> StoryAsync()
    {
        NextSecond(900);
        var ingested = Now;
        var doc = await IngestAsync("Memento, first.\n", "en", "Memento story");
        NextSecond(100);
        var translated = Now;
        await TranslateAsync(doc.Id, "fr", "Memento, premier.\n");
        NextSecond(650);
        var edited = Now;
        await EditAsync(doc.Id, 1, "Memento, second.\n");
        NextSecond(0);
        return (doc.Id, ingested, edited, translated);
    }

    [Fact]
    public async Task A_memento_answers_with_its_datetime_and_links_to_its_original_timegate_and_timemap()
    {
        var (id, ingested, edited, translated) = await StoryAsync();
        var original = $"{Base}/api/documents/{id}/content";

        foreach (var (revision, at) in new[] { (1, ingested), (2, edited) })
        {
            var memento = await GetAsync($"/api/documents/{id}/content?revision={revision}");
            memento.Context.Response.StatusCode.ShouldBe(200);
            var headers = memento.Context.Response.Headers;
            headers["Memento-Datetime"].ToString().ShouldBe(Rfc1123(at));
            var links = Links(headers.Link.ToString());
            Target(links, "original").ShouldBe(original);
            Target(links, "timegate").ShouldBe(original);
            Target(links, "timemap").ShouldBe($"{Base}/api/documents/{id}/timemap");
        }

        var translation = await GetAsync($"/api/documents/{id}/content?language=fr&revision=1");
        (await translation.ReadAsTextAsync()).ShouldBe("Memento, premier.\n");
        translation.Context.Response.Headers["Memento-Datetime"].ToString().ShouldBe(Rfc1123(translated));
        var translationLinks = Links(translation.Context.Response.Headers.Link.ToString());
        Target(translationLinks, "original").ShouldBe($"{original}?language=fr");
        Target(translationLinks, "timegate").ShouldBe($"{original}?language=fr");
        Target(translationLinks, "timemap").ShouldBe($"{Base}/api/documents/{id}/timemap?language=fr");

        // The original resource is its own TimeGate and names its TimeMap; it is no memento.
        var current = await GetAsync($"/api/documents/{id}/content");
        current.Context.Response.Headers.ContainsKey("Memento-Datetime").ShouldBeFalse();
        current.Context.Response.Headers.Vary.ToString().ShouldContain("accept-datetime");
        var currentLinks = Links(current.Context.Response.Headers.Link.ToString());
        Target(currentLinks, "timegate").ShouldBe(original);
        Target(currentLinks, "timemap").ShouldBe($"{Base}/api/documents/{id}/timemap");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("fr")]
    public async Task Each_mementos_advertised_datetime_sent_back_as_accept_datetime_selects_that_memento(string? language)
    {
        var (id, _, _, _) = await StoryAsync();
        if (language is not null)
        {
            // A second translation of revision 1 is a memento of its own, then one of revision 2.
            NextSecond(300);
            await TranslateAsync(id, "fr", "Memento, premier, retraduit.\n", sourceRevision: 1);
            NextSecond(300);
            await TranslateAsync(id, "fr", "Memento, deuxième.\n", sourceRevision: 2);
            NextSecond(0);
        }
        var query = language is null ? "" : $"?language={language}";

        var timemap = await GetAsync($"/api/documents/{id}/timemap{query}");
        timemap.Context.Response.StatusCode.ShouldBe(200, await timemap.ReadAsTextAsync());
        var mementos = Links(await timemap.ReadAsTextAsync()).Where(l => l.Rels.Contains("memento")).ToList();
        mementos.Count.ShouldBe(language is null ? 2 : 3);
        mementos.Select(m => m.Target).Distinct().Count().ShouldBe(mementos.Count, "each memento has a URI of its own");

        foreach (var (uri, _, datetime) in mementos)
        {
            var memento = await GetAsync(uri[Base.Length..]);
            memento.Context.Response.StatusCode.ShouldBe(200);
            var advertised = memento.Context.Response.Headers["Memento-Datetime"].ToString();
            advertised.ShouldBe(datetime, "the TimeMap and the memento agree on its datetime");

            var selected = await GetAsync($"/api/documents/{id}/content{query}", headers: ("Accept-Datetime", advertised));
            selected.Context.Response.StatusCode.ShouldBe(200);
            (Base + selected.Context.Response.Headers.ContentLocation).ShouldBe(uri);
            selected.Context.Response.Headers["Memento-Datetime"].ToString().ShouldBe(advertised);
            (await selected.ReadAsTextAsync()).ShouldBe(await memento.ReadAsTextAsync());
        }
    }

    [Fact]
    public async Task A_translation_memento_is_named_by_its_version_and_bad_memento_queries_are_problems()
    {
        var (id, _, _, _) = await StoryAsync();
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}/content?version=2"), 422, "validation");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}/content?language=fr&version=999"), 404, "not-found");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}/content?language=fr&revision=2&version=2"), 404, "not-found");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}/timemap?language=de"), 404, "not-found");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}/timemap?language=not_a_tag!"), 422, "validation");

        // The document's own language asked by name is the own-language TimeMap.
        (await (await GetAsync($"/api/documents/{id}/timemap?language=en")).ReadAsTextAsync())
            .ShouldBe(await (await GetAsync($"/api/documents/{id}/timemap")).ReadAsTextAsync());
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
