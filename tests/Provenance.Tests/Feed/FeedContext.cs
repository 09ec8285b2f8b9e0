using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Alba;
using Marten.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Feed;

/// <summary>Helpers shared by the feed and webhook specifications: reading pages, waiting, and a real HTTP receiver.</summary>
public abstract class FeedContext(AppFixture fixture) : IntegrationContext(fixture)
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Waits for the daemon to process everything committed (Marten refuses to wait on an empty store).</summary>
    protected async Task CatchUpAsync()
    {
        if (await EventCountAsync() > 0) await Store.WaitForNonStaleProjectionDataAsync(Patience);
    }

    protected sealed record Page(IReadOnlyList<JsonElement> Items, string NextCursor);

    protected async Task<Page> ReadFeedAsync(string query)
    {
        var result = await As(Roles.Integrator, s => s.Get.Url("/api/feed" + query));
        var text = await result.ReadAsTextAsync();
        result.Context.Response.StatusCode.ShouldBe(200, text);
        using var json = JsonDocument.Parse(text);
        return new Page(json.RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone()).ToList(),
            json.RootElement.GetProperty("nextCursor").GetString()!);
    }

    /// <summary>The cursor after everything the feed can serve now: where a test starts reading its own events.</summary>
    protected async Task<string> EndOfFeedAsync()
    {
        await CatchUpAsync();
        var cursor = "";
        while (true)
        {
            var page = await ReadFeedAsync($"?limit=500{(cursor.Length > 0 ? "&after=" + cursor : "")}");
            cursor = page.NextCursor;
            if (page.Items.Count == 0) return cursor;
        }
    }

    /// <summary>Pages from <paramref name="after"/> to the end of the feed.</summary>
    protected async Task<List<JsonElement>> ReadAllAfterAsync(string after, string extra = "", int limit = 3)
    {
        await Store.WaitForNonStaleProjectionDataAsync(Patience);
        var items = new List<JsonElement>();
        var cursor = after;
        while (true)
        {
            var page = await ReadFeedAsync($"?after={cursor}&limit={limit}{extra}");
            items.AddRange(page.Items);
            page.NextCursor.ShouldNotBeNullOrEmpty();
            cursor = page.NextCursor;
            if (page.Items.Count == 0) return items;
        }
    }

    protected async Task<JsonElement> CreateSubscriptionAsync(object body)
    {
        var result = await As(Roles.Integrator, s => s.Post.Json(body).ToUrl("/api/subscriptions"));
        var text = await result.ReadAsTextAsync();
        result.Context.Response.StatusCode.ShouldBe(201, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    protected async Task<JsonElement> GetJsonAsync(string url, string role = Roles.Integrator)
    {
        var result = await As(role, s => s.Get.Url(url));
        var text = await result.ReadAsTextAsync();
        result.Context.Response.StatusCode.ShouldBe(200, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Checks a condition until it holds or the patience runs out; each round waits for a signal or the daemon, never a fixed sleep.</summary>
    protected static async Task Eventually(Func<Task<bool>> condition, Func<Task> between, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Gave up waiting: {what}");
            await between();
        }
    }
}

/// <summary>A webhook receiver on a real socket (Kestrel, 127.0.0.1, port 0) that fails, hangs or recovers on command.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public enum Behaviour { Accept, Fail500, Reject400, Hang }

    public sealed record Received(string WebhookId, string Timestamp, string Signature, string ContentType, string Body, int AnsweredWith)
    {
        public JsonElement Event => JsonDocument.Parse(Body).RootElement;
    }

    private readonly WebApplication _app;
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly TaskCompletionSource _releaseHung = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public ConcurrentQueue<Received> Requests { get; } = new();
    public Behaviour Mode { get; set; } = Behaviour.Accept;
    /// <summary>When set, writes the whole response itself (any status, headers and body bytes) in place of <see cref="Mode"/>.</summary>
    public Func<HttpContext, Task>? Answer { get; set; }
    public string Url { get; }

    private WebhookReceiver(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/hook", async (HttpContext context) =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            var mode = receiver!.Mode;
            var answer = receiver.Answer;
            var status = answer is not null ? -1 : mode switch { Behaviour.Fail500 => 500, Behaviour.Reject400 => 400, Behaviour.Hang => 0, _ => 204 };
            receiver.Requests.Enqueue(new Received(context.Request.Headers["webhook-id"].ToString(),
                context.Request.Headers["webhook-timestamp"].ToString(), context.Request.Headers["webhook-signature"].ToString(),
                context.Request.ContentType ?? "", body, status));
            receiver._arrived.Release();
            if (answer is not null)
            {
                await answer(context);
                return Results.Empty;
            }
            if (mode == Behaviour.Hang)
            {
                await Task.WhenAny(receiver._releaseHung.Task, Task.Delay(Timeout.Infinite, context.RequestAborted));
                return Results.StatusCode(504);
            }
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        var address = app.Urls.Single();
        receiver = new WebhookReceiver(app, address.TrimEnd('/') + "/hook");
        return receiver;
    }

    /// <summary>Waits (on the receiver's own arrival signal) until <paramref name="condition"/> holds over what arrived.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<Received>, bool> condition, string what, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(30));
        while (!condition(Requests.ToList()))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                throw new TimeoutException($"Gave up waiting for {what}; received {Requests.Count}.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _releaseHung.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
