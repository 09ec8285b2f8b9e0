using Marten;
using Marten.Events;
using System.Text;
using Provenance.Api.Access;
using Provenance.Api.Audit;
using Provenance.Api.Documents;
using Provenance.Tests.Documents;
using Shouldly;

namespace Provenance.Tests.Audit;

public sealed class Searching_documents(AppFixture fixture) : ArchiveContext(fixture)
{
    /// <summary>Search is indexed by the async daemon (like the audit log): a search waits until it has caught up.</summary>
    private async Task<SearchResults> SearchAsync(string query, string? language = null)
    {
        await Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        var url = $"/api/search?q={Uri.EscapeDataString(query)}&limit=100" + (language is null ? "" : $"&language={language}");
        return await OkJsonAsync<SearchResults>(await GetAsync(url));
    }

    [Fact]
    public async Task French_accents_and_stemming_find_the_translation_with_a_highlighted_snippet()
    {
        var doc = await IngestAsync("The elections in the capital were postponed.\n", "en", "Search story");
        await TranslateAsync(doc.Id, "fr-CA", "Les élections dans la capitale ont été reportées.\n");

        var french = await SearchAsync("élection", "fr");
        var hit = french.Items.Where(h => h.DocumentId == doc.Id).ShouldHaveSingleItem();
        (hit.Kind, hit.Language, hit.Revision, hit.Title).ShouldBe(("translation", "fr-CA", 1, "Search story"));
        hit.Snippet.ShouldContain("<mark>élections</mark>");
        hit.Content.ShouldBe($"/api/documents/{doc.Id}/content?language=fr-CA&revision=1");
        hit.Rank.ShouldBeGreaterThan(0);

        var english = await SearchAsync("postpone", "en");
        english.Items.Where(h => h.DocumentId == doc.Id).ShouldHaveSingleItem().Snippet.ShouldContain("<mark>postponed</mark>");
    }

    [Fact]
    public async Task Armenian_text_is_found_and_ranked_by_relevance()
    {
        var once = await IngestAsync("Ստեփանակերտ քաղաքը.\n", "hy", "Armenian once");
        var twice = await IngestAsync("Ստեփանակերտ, Ստեփանակերտ քաղաքը.\n", "hy", "Armenian twice");

        var results = await SearchAsync("Ստեփանակերտ");
        var mine = results.Items.Where(h => h.DocumentId == once.Id || h.DocumentId == twice.Id).ToList();
        mine.Select(h => h.DocumentId).ShouldBe([twice.Id, once.Id]);
        mine[0].Snippet.ShouldContain("<mark>Ստեփանակերտ</mark>");
        mine[0].Rank.ShouldBeGreaterThan(mine[1].Rank);
    }

    [Fact]
    public async Task Only_the_current_text_is_searched_and_binary_content_is_skipped()
    {
        var token = $"zq{Guid.NewGuid():N}"[..12];
        var doc = await IngestAsync($"Old {token}alpha wording.\n", "en", "Search story");
        await EditAsync(doc.Id, 1, $"New {token}beta wording.\n");
        (await SearchAsync($"{token}alpha")).Items.ShouldNotContain(h => h.DocumentId == doc.Id);
        var current = (await SearchAsync($"{token}beta")).Items.ShouldHaveSingleItem();
        (current.DocumentId, current.Revision, current.Kind).ShouldBe((doc.Id, 2, "revision"));

        var pdf = Encoding.ASCII.GetBytes($"%PDF-1.4\n{token}gamma\n%%EOF\n");
        var ingest = await As(Roles.Contributor, s => s.Post.Json(new { title = "A PDF", language = "en", contentBase64 = Convert.ToBase64String(pdf), mediaType = "application/pdf" })
            .ToUrl("/api/documents"));
        ingest.Context.Response.StatusCode.ShouldBe(201);
        (await SearchAsync($"{token}gamma")).Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_search_without_a_query_is_a_problem()
    {
        await ShouldBeProblemAsync(await GetAsync("/api/search"), 422, "validation");
        await ShouldBeProblemAsync(await GetAsync("/api/search?q=x&language=klingon"), 422, "validation");
    }
}
