using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Documents;

public sealed class Reading_a_documents_history(AppFixture fixture) : ArchiveContext(fixture)
{
    private async Task<(Guid Id, DateTimeOffset Start)> StoryAsync()
    {
        var start = Now;
        var doc = await IngestAsync("Line one.\n", "en", "History story");
        Advance(1);
        await EditAsync(doc.Id, 1, "Line one, edited.\n", "Typo");
        Advance(1);
        await TranslateAsync(doc.Id, "fr", "Ligne un, éditée.\n");
        Advance(1);
        await VerifyAsync(doc.Id, 2);
        Advance(1);
        await EditAsync(doc.Id, 2, "Line one, edited twice.\n", "Style");
        return (doc.Id, start);
    }

    [Fact]
    public async Task History_pages_in_order_with_a_cursor()
    {
        var (id, start) = await StoryAsync();

        var first = await OkJsonAsync<HistoryPage>(await GetAsync($"/api/documents/{id}/history?limit=2"));
        first.Items.Select(i => (i.Version, i.Type)).ShouldBe([(1L, "document_ingested"), (2L, "document_edited")]);
        first.NextCursor.ShouldNotBeNull();
        var ingested = first.Items[0];
        ingested.Revision.ShouldBe(1);
        ingested.Language.ShouldBe("en");
        ingested.Actor.ShouldBe("test.contributor");
        ingested.Timestamp.ShouldBe(start);
        ingested.ContentDigest.ShouldBe(ContentDigest.Of("Line one.\n"u8));
        first.Items[1].Reason.ShouldBe("Typo");
        first.Items[1].Timestamp.ShouldBe(start.AddMinutes(1));

        var second = await GetAsync($"/api/documents/{id}/history?limit=2&after={first.NextCursor}");
        second.Context.Response.Headers.Link.ToString().ShouldContain("rel=\"next\"");
        var page2 = await OkJsonAsync<HistoryPage>(second);
        page2.Items.Select(i => (i.Version, i.Type)).ShouldBe([(3L, "document_translated"), (4L, "document_verified")]);
        page2.Items[0].Language.ShouldBe("fr");
        page2.Items[0].Revision.ShouldBe(2);
        page2.Items[1].Verdict.ShouldBe("verified");
        page2.Items[1].Actor.ShouldBe("test.verifier");

        var last = await OkJsonAsync<HistoryPage>(await GetAsync($"/api/documents/{id}/history?limit=2&after={page2.NextCursor}"));
        last.Items.ShouldHaveSingleItem().Revision.ShouldBe(3);
        last.NextCursor.ShouldBeNull();
        last.Items.Select(i => i.Sequence).Concat(page2.Items.Select(i => i.Sequence)).Distinct().Count().ShouldBe(3);
    }

    [Fact]
    public async Task History_filters_by_event_type()
    {
        var (id, _) = await StoryAsync();

        var edits = await OkJsonAsync<HistoryPage>(await GetAsync($"/api/documents/{id}/history?type=document_edited"));
        edits.Items.Select(i => (i.Version, i.Revision, i.Reason)).ShouldBe([(2L, 2, "Typo"), (5L, 3, "Style")]);

        var others = await OkJsonAsync<HistoryPage>(await GetAsync($"/api/documents/{id}/history?type=document_translated,document_verified"));
        others.Items.Select(i => i.Type).ShouldBe(["document_translated", "document_verified"]);
    }

    [Fact]
    public async Task Bad_history_requests_are_problems()
    {
        var (id, _) = await StoryAsync();
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}/history?type=document_deleted"), 422, "validation");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}/history?after=nonsense"), 422, "validation");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}/history?limit=0"), 422, "validation");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{Guid.NewGuid()}/history"), 404, "not-found");
    }

    [Fact]
    public async Task Revisions_list_their_metadata_and_link_their_content()
    {
        var (id, start) = await StoryAsync();

        var list = await OkJsonAsync<RevisionPage>(await GetAsync($"/api/documents/{id}/revisions"));
        list.Items.Select(r => r.Revision).ShouldBe([1, 2, 3]);
        list.Items[1].Reason.ShouldBe("Typo");
        list.Items[1].LinesAdded.ShouldBe(1);
        list.Items[1].LinesRemoved.ShouldBe(1);
        list.Items[1].RecordedAt.ShouldBe(start.AddMinutes(1));
        list.Items[1].Content.ShouldBe($"/api/documents/{id}/content?revision=2");

        var paged = await OkJsonAsync<RevisionPage>(await GetAsync($"/api/documents/{id}/revisions?limit=2"));
        paged.Items.Count.ShouldBe(2);
        var rest = await OkJsonAsync<RevisionPage>(await GetAsync($"/api/documents/{id}/revisions?limit=2&after={paged.NextCursor}"));
        rest.Items.ShouldHaveSingleItem().Revision.ShouldBe(3);

        var one = await OkJsonAsync<RevisionResource>(await GetAsync($"/api/documents/{id}/revisions/3"));
        one.ContentDigest.ShouldBe(ContentDigest.Of("Line one, edited twice.\n"u8));
        one.Actor.ShouldBe("test.contributor");
        var content = await GetAsync(one.Content);
        (await content.ReadAsTextAsync()).ShouldBe("Line one, edited twice.\n");

        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{id}/revisions/4"), 404, "not-found");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{Guid.NewGuid()}/revisions"), 404, "not-found");
    }
}
