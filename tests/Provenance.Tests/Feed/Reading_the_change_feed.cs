using System.Collections.Concurrent;
using System.Text.Json;
using Marten;
using Marten.Events;
using Marten.Services;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;
using Provenance.Api.Tenancy;

namespace Provenance.Tests.Feed;

public sealed class Reading_the_change_feed(AppFixture fixture) : FeedContext(fixture)
{
    [Fact]
    public async Task Feed_pages_every_event_once_in_global_order_as_cloudevents()
    {
        var start = await EndOfFeedAsync();
        var document = await IngestAsync("Line one.\n", title: "Feed order");
        await EditAsync(document.Id, 1, "Line one, corrected.\n");
        await TranslateAsync(document.Id, "fr", "Ligne un, corrigée.\n");

        var items = (await ReadAllAfterAsync(start, limit: 1)).Where(e => e.GetProperty("subject").GetString() == document.Id.ToString()).ToList();

        items.Select(e => e.GetProperty("type").GetString()).ShouldBe([
            "org.provenance.document.ingested.v1", "org.provenance.document.edited.v1", "org.provenance.document.translated.v1"]);
        items.Select(e => e.GetProperty("id").GetString()).Distinct().Count().ShouldBe(3);
        var sequences = items.Select(e => long.Parse(e.GetProperty("sequence").GetString()!)).ToList();
        sequences.ShouldBeInOrder(SortDirection.Ascending);
        var stored = await EventsOfAsync(document.Id);
        items.Select(e => e.GetProperty("id").GetString()).ShouldBe(stored.Select(e => e.Id.ToString()));
        foreach (var e in items)
        {
            e.GetProperty("specversion").GetString().ShouldBe("1.0");
            e.GetProperty("source").GetString().ShouldBe("/provenance");
            e.GetProperty("datacontenttype").GetString().ShouldBe("application/json");
            DateTimeOffset.Parse(e.GetProperty("time").GetString()!).ShouldBe(Fixture.Clock.GetUtcNow(), TimeSpan.FromDays(3650));
            e.GetProperty("data").GetProperty("documentId").GetString().ShouldBe(document.Id.ToString());
        }
        items[2].GetProperty("data").GetProperty("language").GetString().ShouldBe("fr");

        // Reading again from the same cursor gives the same events with the same ids.
        var again = (await ReadAllAfterAsync(start, limit: 50)).Where(e => e.GetProperty("subject").GetString() == document.Id.ToString());
        again.Select(e => e.GetProperty("id").GetString()).ShouldBe(items.Select(e => e.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Feed_filters_by_document_and_by_type()
    {
        var start = await EndOfFeedAsync();
        var mine = await IngestAsync("Mine.\n", title: "Filtered");
        var other = await IngestAsync("Other.\n", title: "Not filtered");
        await EditAsync(mine.Id, 1, "Mine, edited.\n");
        await EditAsync(other.Id, 1, "Other, edited.\n");

        var byDocument = await ReadAllAfterAsync(start, $"&document={mine.Id}");
        byDocument.Select(e => e.GetProperty("subject").GetString()).Distinct().ShouldBe([mine.Id.ToString()]);
        byDocument.Count.ShouldBe(2);

        var edits = await ReadAllAfterAsync(start, "&types=org.provenance.document.edited.v1");
        edits.ShouldAllBe(e => e.GetProperty("type").GetString() == "org.provenance.document.edited.v1");
        edits.Select(e => e.GetProperty("subject").GetString()).ShouldBe([mine.Id.ToString(), other.Id.ToString()]);
    }

    [Fact]
    public async Task Feed_never_skips_events_under_concurrent_writers()
    {
        var start = await EndOfFeedAsync();
        const int writers = 6, editsEach = 4;
        var documents = new ConcurrentBag<Guid>();
        var writing = Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var document = await IngestAsync($"Writer {w}, revision 1.\n", title: $"Concurrent {w}");
            documents.Add(document.Id);
            for (var r = 1; r <= editsEach; r++) await EditAsync(document.Id, r, $"Writer {w}, revision {r + 1}.\n");
        })));

        // A reader pages the feed while the writers commit, then drains it once they are done.
        var seen = new List<JsonElement>();
        var cursor = start;
        while (true)
        {
            var done = writing.IsCompleted;
            if (done) await Store.WaitForNonStaleProjectionDataAsync(Patience);
            var page = await ReadFeedAsync($"?after={cursor}&limit=5");
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
            if (done && page.Items.Count == 0) break;
            if (page.Items.Count == 0) await Task.Yield();
        }
        await writing;

        var ours = seen.Where(e => documents.Contains(Guid.Parse(e.GetProperty("subject").GetString()!))).ToList();
        ours.Count.ShouldBe(writers * (1 + editsEach));
        ours.Select(e => e.GetProperty("id").GetString()).Distinct().Count().ShouldBe(ours.Count);
        seen.Select(e => long.Parse(e.GetProperty("sequence").GetString()!)).ShouldBeInOrder(SortDirection.Ascending);
        foreach (var document in ours.GroupBy(e => e.GetProperty("subject").GetString()))
        {
            document.Select(e => e.GetProperty("streamversion").GetInt64()).ShouldBe(Enumerable.Range(1, 1 + editsEach).Select(v => (long)v));
        }
    }

    [Fact]
    public async Task A_reader_that_moved_past_a_later_event_still_gets_an_earlier_one_that_commits_late()
    {
        var start = await EndOfFeedAsync();
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var late = Guid.CreateVersion7();
        var options = SessionOptions.ForTransaction(transaction);
        options.TenantId = Tenants.Default;
        await using (var session = Store.LightweightSession(options))
        {
            // Sequence allocated and row written, but not committed: a lower sequence than the ingest below.
            session.Events.StartStream<DocumentView>(late, new DocumentIngested(late, "Late", "en", "text/plain; charset=utf-8",
                ContentDigest.Of("late"u8), 4, null, null, null, null, "test", "test.contributor", null));
            await session.SaveChangesAsync();
        }
        var early = await IngestAsync("Committed first.\n", title: "Early");

        // The daemon cannot get past the open gap, so neither can the feed, however often it is read.
        await Should.ThrowAsync<TimeoutException>(() => Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(4)));
        var before = await ReadAllAfterWithoutWaitingAsync(start);
        before.ShouldNotContain(e => e.GetProperty("subject").GetString() == early.Id.ToString());

        await transaction.CommitAsync();
        var after = (await ReadAllAfterAsync(start)).Select(e => e.GetProperty("subject").GetString()).ToList();
        after.IndexOf(late.ToString()).ShouldBeGreaterThanOrEqualTo(0);
        after.IndexOf(late.ToString()).ShouldBeLessThan(after.IndexOf(early.Id.ToString()));
    }

    private async Task<List<JsonElement>> ReadAllAfterWithoutWaitingAsync(string after)
    {
        var items = new List<JsonElement>();
        var cursor = after;
        while (true)
        {
            var page = await ReadFeedAsync($"?after={cursor}&limit=50");
            items.AddRange(page.Items);
            cursor = page.NextCursor;
            if (page.Items.Count == 0) return items;
        }
    }

    public static TheoryData<string, string> BadQueries => new()
    {
        { "?after=not-a-cursor", "after" },
        { "?limit=0", "limit" },
        { "?limit=501", "limit" },
        { "?types=org.provenance.document.deleted.v1", "types" },
    };

    [Theory, MemberData(nameof(BadQueries))]
    public async Task Feed_rejects_bad_queries_with_a_problem(string query, string field)
    {
        var result = await As(Roles.Integrator, s => s.Get.Url("/api/feed" + query));
        await ShouldBeProblemAsync(result, 422, "validation");
        (await result.ReadAsTextAsync()).ShouldContain($"\"{field}\"");
    }

    [Theory, InlineData(Roles.Reader), InlineData(Roles.Contributor)]
    public async Task Only_integrators_read_the_feed(string role)
    {
        var result = await As(role, s => s.Get.Url("/api/feed"));
        result.Context.Response.StatusCode.ShouldBe(403);
        var stream = await As(role, s => s.Get.Url("/api/feed/stream"));
        stream.Context.Response.StatusCode.ShouldBe(403);
    }
}
