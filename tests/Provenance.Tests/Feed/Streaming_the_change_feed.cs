using System.Net.Http.Headers;
using System.Text.Json;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Feed;

public sealed class Streaming_the_change_feed(AppFixture fixture) : FeedContext(fixture)
{
    private sealed record SseEvent(string Id, string Data);

    /// <summary>Reads the stream line by line until <paramref name="enough"/> events (and, if asked, a heartbeat) have arrived.</summary>
    private async Task<(List<SseEvent> Events, bool SawHeartbeat)> ReadStreamAsync(string query, string? lastEventId, Func<List<SseEvent>, bool> enough,
        bool needHeartbeat = false)
    {
        using var client = Host.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/feed/stream" + query);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", KeyFor(Roles.Integrator));
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        using var cancel = new CancellationTokenSource(Patience);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));

        var events = new List<SseEvent>();
        var heartbeat = false;
        string? id = null, data = null;
        while (!(enough(events) && (heartbeat || !needHeartbeat)))
        {
            var line = await reader.ReadLineAsync(cancel.Token) ?? throw new EndOfStreamException("The stream ended.");
            if (line.StartsWith(": keep-alive")) heartbeat = true;
            else if (line.StartsWith("id: ")) id = line[4..];
            else if (line.StartsWith("data: ")) data = line[6..];
            else if (line.Length == 0 && data is not null)
            {
                events.Add(new SseEvent(id!, data));
                (id, data) = (null, null);
            }
        }
        return (events, heartbeat);
    }

    [Fact]
    public async Task The_stream_sends_events_with_cursor_ids_and_resumes_after_last_event_id()
    {
        var start = await EndOfFeedAsync();
        var document = await IngestAsync("Streamed.\n", title: "Streamed");
        await EditAsync(document.Id, 1, "Streamed, one.\n");
        await EditAsync(document.Id, 2, "Streamed, two.\n");

        var (first, _) = await ReadStreamAsync($"?after={start}&document={document.Id}", null, e => e.Count >= 2);
        first.Count.ShouldBe(2);
        var events = first.Select(e => JsonDocument.Parse(e.Data).RootElement).ToList();
        events.Select(e => e.GetProperty("type").GetString()).ShouldBe(["org.provenance.document.ingested.v1", "org.provenance.document.edited.v1"]);
        events.ShouldAllBe(e => e.GetProperty("subject").GetString() == document.Id.ToString());

        // Reconnecting with the last id seen resumes exactly after it, then idles with heartbeats.
        var (rest, heartbeat) = await ReadStreamAsync($"?document={document.Id}", first[^1].Id, e => e.Count >= 1, needHeartbeat: true);
        heartbeat.ShouldBeTrue();
        rest.Count.ShouldBe(1);
        var last = JsonDocument.Parse(rest[0].Data).RootElement;
        last.GetProperty("data").GetProperty("revision").GetInt32().ShouldBe(3);
        var page = await ReadFeedAsync($"?after={first[^1].Id}&document={document.Id}");
        page.Items.Single().GetProperty("id").GetString().ShouldBe(last.GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_bad_last_event_id_is_a_problem()
    {
        var result = await As(Roles.Integrator, s =>
        {
            s.Get.Url("/api/feed/stream");
            s.WithRequestHeader("Last-Event-ID", "garbage");
        });
        await ShouldBeProblemAsync(result, 422, "validation");
    }
}
