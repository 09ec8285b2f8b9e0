using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Http;

public sealed class Idempotent_requests(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task A_retried_ingest_returns_the_first_response_and_appends_nothing()
    {
        var key = Guid.NewGuid().ToString();
        var body = new { title = "Retried", language = "en", content = "Once.\n" };
        var events = await EventCountAsync();

        var first = await As(Roles.Contributor, s => { s.Post.Json(body).ToUrl("/api/documents"); s.WithRequestHeader("Idempotency-Key", key); });
        var retry = await As(Roles.Contributor, s => { s.Post.Json(body).ToUrl("/api/documents"); s.WithRequestHeader("Idempotency-Key", key); });

        first.Context.Response.StatusCode.ShouldBe(201);
        retry.Context.Response.StatusCode.ShouldBe(201);
        retry.Context.Response.Headers["Idempotent-Replayed"].ToString().ShouldBe("true");
        retry.Context.Response.Headers.Location.ToString().ShouldBe(first.Context.Response.Headers.Location.ToString());
        retry.Context.Response.Headers.ETag.ToString().ShouldBe("\"1\"");
        (await retry.ReadAsTextAsync()).ShouldBe(await first.ReadAsTextAsync());
        (await EventCountAsync()).ShouldBe(events + 1);
    }

    [Fact]
    public async Task Concurrent_retries_of_one_edit_record_it_once()
    {
        var document = await IngestAsync("v1\n");
        var key = Guid.NewGuid().ToString();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => As(Roles.Contributor, s =>
        {
            s.Post.Json(new { content = "v2\n", reason = "retry storm" }).ToUrl($"/api/documents/{document.Id}/revisions");
            s.WithRequestHeader("If-Match", "\"1\"");
            s.WithRequestHeader("Idempotency-Key", key);
        })));

        // The twins that lost the race to the first are answered with the first's response, never with a stale-revision 412.
        results.Select(r => r.Context.Response.StatusCode).ShouldAllBe(s => s == 201);
        results.Select(r => r.Context.Response.Headers.Location.ToString()).Distinct().ShouldHaveSingleItem();
        (await EventsOfAsync(document.Id)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Reusing_a_key_for_a_different_request_is_a_422_problem()
    {
        var key = Guid.NewGuid().ToString();
        await As(Roles.Contributor, s => { s.Post.Json(new { title = "A", language = "en", content = "a" }).ToUrl("/api/documents"); s.WithRequestHeader("Idempotency-Key", key); });
        var events = await EventCountAsync();

        var reused = await As(Roles.Contributor, s => { s.Post.Json(new { title = "B", language = "en", content = "b" }).ToUrl("/api/documents"); s.WithRequestHeader("Idempotency-Key", key); });

        await ShouldBeProblemAsync(reused, 422, "idempotency-key-reused");
        (await EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task Keys_belong_to_the_principal_that_used_them()
    {
        var key = Guid.NewGuid().ToString();
        var body = new { title = "Mine", language = "en", content = "m" };
        var mine = await As(Roles.Contributor, s => { s.Post.Json(body).ToUrl("/api/documents"); s.WithRequestHeader("Idempotency-Key", key); });
        var theirs = await As(Roles.Admin, s => { s.Post.Json(body).ToUrl("/api/documents"); s.WithRequestHeader("Idempotency-Key", key); });

        mine.Context.Response.StatusCode.ShouldBe(201);
        theirs.Context.Response.StatusCode.ShouldBe(201);
        (await theirs.ReadAsJsonAsync<DocumentResource>())!.Id.ShouldNotBe((await mine.ReadAsJsonAsync<DocumentResource>())!.Id);
    }

    [Fact]
    public async Task A_refused_request_is_not_kept_so_its_retry_is_checked_again()
    {
        var key = Guid.NewGuid().ToString();
        var invalid = await As(Roles.Contributor, s => { s.Post.Json(new { title = "", language = "en", content = "x" }).ToUrl("/api/documents"); s.WithRequestHeader("Idempotency-Key", key); });
        await ShouldBeProblemAsync(invalid, 422, "validation");
        var replay = await As(Roles.Contributor, s => { s.Post.Json(new { title = "", language = "en", content = "x" }).ToUrl("/api/documents"); s.WithRequestHeader("Idempotency-Key", key); });
        await ShouldBeProblemAsync(replay, 422, "validation");
        replay.Context.Response.Headers["Idempotent-Replayed"].ToString().ShouldBeEmpty();

        var corrected = await As(Roles.Contributor, s => { s.Post.Json(new { title = "Fixed", language = "en", content = "x" }).ToUrl("/api/documents"); s.WithRequestHeader("Idempotency-Key", key); });
        corrected.Context.Response.StatusCode.ShouldBe(201);
    }
}
