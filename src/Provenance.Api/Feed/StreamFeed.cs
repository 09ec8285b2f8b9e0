using System.Diagnostics;
using System.Text;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Feed;

public static class StreamFeedEndpoint
{
    public const int PageSize = 100;

    /// <summary>
    /// The feed as Server-Sent Events: each event's <c>id:</c> is its cursor, so a reconnect with <c>Last-Event-ID</c> (or
    /// <c>?after=</c>) resumes exactly after it. Memory per client is one page: the stream reads a page, writes and flushes it
    /// (a slow client makes the flush, and so the next read, wait), and polls with backoff when caught up.
    /// </summary>
    [WolverineGet("/api/feed/stream", OperationId = "streamFeed"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Feed), EndpointSummary("The change feed as Server-Sent Events")]
    [RequestHeader("Last-Event-ID")]
    [ProducesResponseType<string>(200, "text/event-stream"), ProblemResponses(422)]
    public static async Task Get(string? after, string? types, Guid? document, HttpContext context, IDocumentStore store, FeedReader feed,
        IOptions<FeedOptions> options, PublicBaseUrl baseUrl)
    {
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        var resume = lastEventId.Length > 0 ? lastEventId : after;
        var (request, problem) = FeedRequest.Parse(resume, PageSize, types, document, store, lastEventId.Length > 0 ? "Last-Event-ID" : "after");
        if (problem is not null)
        {
            await problem.ExecuteAsync(context);
            return;
        }

        var ct = context.RequestAborted;
        var settings = options.Value;
        var schemas = baseUrl.For(context.Request);
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var body = context.Response.Body;
        await body.WriteAsync("retry: 2000\n\n"u8.ToArray(), ct);
        await body.FlushAsync(ct);

        var position = request!.After;
        var idle = settings.PollInterval;
        var sinceWrite = Stopwatch.StartNew();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var slice = await feed.ReadAsync(position, PageSize, request.Filter, ct);
                foreach (var e in slice.Events)
                {
                    var json = Encoding.UTF8.GetString(CloudEvent.From(e, settings.SourceOfCurrentArchive, schemas).ToUtf8Json());
                    await body.WriteAsync(Encoding.UTF8.GetBytes($"id: {Cursors.Encode(e.Sequence)}\nevent: {CloudEventTypes.FromAlias(e.Type)}\ndata: {json}\n\n"), ct);
                }
                position = slice.Next;
                if (slice.Events.Count > 0)
                {
                    await body.FlushAsync(ct);
                    sinceWrite.Restart();
                    idle = settings.PollInterval;
                    continue;
                }
                if (sinceWrite.Elapsed >= settings.HeartbeatInterval)
                {
                    await body.WriteAsync(": keep-alive\n\n"u8.ToArray(), ct);
                    await body.FlushAsync(ct);
                    sinceWrite.Restart();
                }
                var untilHeartbeat = settings.HeartbeatInterval - sinceWrite.Elapsed;
                await Task.Delay(idle < untilHeartbeat ? idle : untilHeartbeat < TimeSpan.Zero ? TimeSpan.Zero : untilHeartbeat, ct);
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, settings.MaxPollInterval.Ticks));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
    }
}
