using System.Text.Json;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Documents;

/// <summary>
/// A bulk import sends batches of documents: each one the same ingestion as <c>POST /api/documents</c>, the batch one
/// transaction, and with an Idempotency-Key per batch a resumed import never records a batch twice.
/// </summary>
public sealed class Importing_in_batches(AppFixture fixture) : IntegrationContext(fixture)
{
    private static object Document(string title, string language = "en", string? content = null)
        => new { title, language, content = content ?? $"{title}: the text.\n", publisher = "Wire", reason = "Imported." };

    [Fact]
    public async Task A_batch_records_every_document_in_one_transaction_and_answers_each_one()
    {
        var before = await EventCountAsync();
        var result = await As(Roles.Contributor, s => s.Post.Json(new { documents = new[] { Document("Batch one"), Document("Batch two", "fr-CA"), Document("Batch three") } })
            .ToUrl("/api/documents/batch"));

        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
        var items = JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("items").EnumerateArray().ToList();
        items.Count.ShouldBe(3);
        (await EventCountAsync()).ShouldBe(before + 3);
        for (var i = 0; i < 3; i++)
        {
            var location = items[i].GetProperty("location").GetString()!;
            var view = await As(Roles.Reader, s => s.Get.Url(location));
            view.Context.Response.StatusCode.ShouldBe(200);
            var json = JsonDocument.Parse(await view.ReadAsTextAsync()).RootElement;
            json.GetProperty("title").GetString().ShouldBe(new[] { "Batch one", "Batch two", "Batch three" }[i]);
            json.GetProperty("contentDigest").GetString().ShouldBe(items[i].GetProperty("contentDigest").GetString());
            items[i].GetProperty("etag").GetString().ShouldBe(view.Context.Response.Headers.ETag.ToString());
        }
    }

    [Fact]
    public async Task Documents_of_a_batch_with_the_same_content_share_one_stored_copy()
    {
        var rows = await ContentRowsAsync();
        var same = $"Shared text {Guid.NewGuid()}.\n";
        var result = await As(Roles.Contributor, s => s.Post.Json(new { documents = new[] { Document("Copy A", content: same), Document("Copy B", content: same) } })
            .ToUrl("/api/documents/batch"));
        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
        (await ContentRowsAsync()).ShouldBe(rows + 1);
        var location = JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("items")[1].GetProperty("location").GetString();
        (await (await As(Roles.Reader, s => s.Get.Url($"{location}/content"))).ReadAsTextAsync()).ShouldBe(same);
    }

    [Fact]
    public async Task One_bad_document_refuses_the_whole_batch_naming_it_and_nothing_is_written()
    {
        var before = await EventCountAsync();
        var result = await As(Roles.Contributor, s => s.Post.Json(new { documents = new[] { Document("Fine"), Document(""), Document("Bad language", "not a tag!") } })
            .ToUrl("/api/documents/batch"));

        await ShouldBeProblemAsync(result, 422, "validation");
        var errors = JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("errors");
        errors.TryGetProperty("documents[1].title", out _).ShouldBeTrue(errors.ToString());
        errors.TryGetProperty("documents[2].language", out _).ShouldBeTrue(errors.ToString());
        errors.TryGetProperty("documents[0].title", out _).ShouldBeFalse();
        (await EventCountAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task A_batch_sent_again_with_its_idempotency_key_is_answered_from_the_first_and_records_nothing()
    {
        var key = $"import-{Guid.NewGuid():N}-batch-1";
        var body = new { documents = new[] { Document("Resumed one"), Document("Resumed two") } };
        var first = await As(Roles.Contributor, s => { s.Post.Json(body).ToUrl("/api/documents/batch"); s.WithRequestHeader("Idempotency-Key", key); });
        first.Context.Response.StatusCode.ShouldBe(201, await first.ReadAsTextAsync());
        var count = await EventCountAsync();

        var again = await As(Roles.Contributor, s => { s.Post.Json(body).ToUrl("/api/documents/batch"); s.WithRequestHeader("Idempotency-Key", key); });
        again.Context.Response.StatusCode.ShouldBe(201);
        (await again.ReadAsTextAsync()).ShouldBe(await first.ReadAsTextAsync());
        (await EventCountAsync()).ShouldBe(count);
    }

    [Fact]
    public async Task An_empty_or_oversized_batch_is_refused()
    {
        await ShouldBeProblemAsync(await As(Roles.Contributor, s => s.Post.Json(new { documents = Array.Empty<object>() }).ToUrl("/api/documents/batch")), 422, "validation");
        var tooMany = Enumerable.Range(0, IngestBatches.MaxDocuments + 1).Select(i => Document($"Doc {i}")).ToArray();
        await ShouldBeProblemAsync(await As(Roles.Contributor, s => s.Post.Json(new { documents = tooMany }).ToUrl("/api/documents/batch")), 422, "validation");
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Post.Json(new { documents = new[] { Document("Reader") } }).ToUrl("/api/documents/batch")), 403, "forbidden");
    }
}
