using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Documents;

public sealed class Editing_documents(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task An_edit_based_on_the_current_revision_records_the_next_revision_with_a_change_summary()
    {
        var document = await IngestAsync("one\ntwo\nthree\n");
        Fixture.Clock.Advance(TimeSpan.FromMinutes(5));

        var result = await As(Roles.Contributor, s =>
        {
            s.Post.Json(new { content = "one\n2\nthree\nfour\n", reason = "Correction: the second line was wrong." })
                .ToUrl($"/api/documents/{document.Id}/revisions");
            s.WithRequestHeader("If-Match", "\"1\"");
        });

        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
        result.Context.Response.Headers.Location.ToString().ShouldBe($"/api/documents/{document.Id}/revisions/2");
        result.Context.Response.Headers.ETag.ToString().ShouldBe("\"2\"");
        var view = (await result.ReadAsJsonAsync<DocumentResource>())!;
        view.Revision.ShouldBe(2);
        view.UpdatedAt.ShouldBe(Fixture.Clock.GetUtcNow());
        var edited = (await EventsOfAsync(document.Id)).Last().Data.ShouldBeOfType<DocumentEdited>();
        edited.ShouldBe(edited with { Revision = 2, BaseRevision = 1, LinesAdded = 2, LinesRemoved = 1, Actor = "test.contributor" });
        edited.Reason.ShouldBe("Correction: the second line was wrong.");

        var first = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{document.Id}/content?revision=1"));
        (await first.ReadAsTextAsync()).ShouldBe("one\ntwo\nthree\n");
        var current = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{document.Id}/content"));
        (await current.ReadAsTextAsync()).ShouldBe("one\n2\nthree\nfour\n");
    }

    [Fact]
    public async Task An_edit_without_If_Match_is_refused_with_428_and_records_nothing()
    {
        var document = await IngestAsync();
        var result = await As(Roles.Contributor, s => s.Post.Json(new { content = "new", reason = "r" }).ToUrl($"/api/documents/{document.Id}/revisions"));
        await ShouldBeProblemAsync(result, 428, "precondition-required");
        (await EventsOfAsync(document.Id)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task An_edit_based_on_a_stale_revision_is_refused_with_412_naming_the_current_revision()
    {
        var document = await IngestAsync("a\n");
        await EditAsync(document.Id, 1, "b\n");

        var result = await As(Roles.Contributor, s =>
        {
            s.Post.Json(new { content = "c\n", reason = "late" }).ToUrl($"/api/documents/{document.Id}/revisions");
            s.WithRequestHeader("If-Match", "\"1\"");
        });

        await ShouldBeProblemAsync(result, 412, "stale-revision");
        (await result.ReadAsTextAsync()).ShouldContain("\"currentRevision\":2");
        result.Context.Response.Headers.ETag.ToString().ShouldBe("\"2\"");
        (await EventsOfAsync(document.Id)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Identical_content_is_refused_and_records_nothing()
    {
        var document = await IngestAsync("same\n");
        var result = await As(Roles.Contributor, s =>
        {
            s.Post.Json(new { content = "same\n", reason = "no change" }).ToUrl($"/api/documents/{document.Id}/revisions");
            s.WithRequestHeader("If-Match", "\"1\"");
        });
        await ShouldBeProblemAsync(result, 422, "unchanged-content");
        (await EventsOfAsync(document.Id)).Count.ShouldBe(1);
    }

    [Theory]
    [InlineData("\"abc\"", """{"content":"x","reason":"r"}""", 400, "malformed-request")]
    [InlineData("\"1\"", """{"content":"x"}""", 422, "validation")]
    [InlineData("\"1\"", """{"reason":"r"}""", 422, "validation")]
    [InlineData("\"1\"", """{"content":"x","reason":"r","mediaType":"application/unknown"}""", 422, "validation")]
    [InlineData("\"1\"", """{"content":"x","reason":""", 400, "malformed-json")]
    public async Task Bad_edits_are_problems_and_record_nothing(string ifMatch, string body, int status, string slug)
    {
        var document = await IngestAsync();
        var result = await As(Roles.Contributor, s =>
        {
            s.Post.Text(body).ToUrl($"/api/documents/{document.Id}/revisions").ContentType("application/json");
            s.WithRequestHeader("If-Match", ifMatch);
        });
        await ShouldBeProblemAsync(result, status, slug);
        (await EventsOfAsync(document.Id)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Editing_an_unknown_document_is_a_404()
    {
        var events = await EventCountAsync();
        var result = await As(Roles.Contributor, s =>
        {
            s.Post.Json(new { content = "x", reason = "r" }).ToUrl($"/api/documents/{Guid.NewGuid()}/revisions");
            s.WithRequestHeader("If-Match", "\"1\"");
        });
        await ShouldBeProblemAsync(result, 404, "not-found");
        (await EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task Twenty_concurrent_editors_of_one_base_revision_yield_exactly_one_new_revision()
    {
        var document = await IngestAsync("base\n");

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => As(Roles.Contributor, s =>
        {
            s.Post.Json(new { content = $"editor {i}\n", reason = $"edit {i}" }).ToUrl($"/api/documents/{document.Id}/revisions");
            s.WithRequestHeader("If-Match", "\"1\"");
        })));

        var statuses = results.Select(r => r.Context.Response.StatusCode).ToList();
        statuses.Count(s => s == 201).ShouldBe(1);
        statuses.Count(s => s == 412).ShouldBe(19);
        var events = await EventsOfAsync(document.Id);
        events.Count.ShouldBe(2);
        var winner = results.Single(r => r.Context.Response.StatusCode == 201);
        var edited = events[1].Data.ShouldBeOfType<DocumentEdited>();
        (await winner.ReadAsJsonAsync<DocumentResource>())!.ContentDigest.ShouldBe(edited.ContentDigest);
    }
}
