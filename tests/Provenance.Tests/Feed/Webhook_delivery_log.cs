using System.Text;
using System.Text.Json;
using Alba;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Feed;

/// <summary>
/// The per-attempt delivery log as Svix, Stripe and GitHub show it: every attempt's time, status code, latency, a few response
/// headers and the first 4 KB of the body, or the connection error; redelivery of failures only; a test event on demand.
/// </summary>
public sealed class Webhook_delivery_log(AppFixture fixture) : FeedContext(fixture)
{
    private static readonly string[] AttemptFields = ["at", "statusCode", "latencyMs", "responseHeaders", "responseBody", "error"];

    private async Task<JsonElement> DeliveriesAsync(Guid subscription) => (await GetJsonAsync($"/api/subscriptions/{subscription}/deliveries")).GetProperty("items");

    private Task<JsonElement> DeliveryAsync(Guid subscription, Guid delivery) => GetJsonAsync($"/api/subscriptions/{subscription}/deliveries/{delivery}");

    private async Task<JsonElement> TestAsync(Guid subscription)
    {
        var result = await As(Roles.Integrator, s => s.Post.Url($"/api/subscriptions/{subscription}/test"));
        var text = await result.ReadAsTextAsync();
        result.Context.Response.StatusCode.ShouldBe(200, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private Task WaitForStatusAsync(Guid subscription, Func<JsonElement, bool> which, string status) => Eventually(
        async () => (await DeliveriesAsync(subscription)).EnumerateArray().Any(d => which(d) && d.GetProperty("status").GetString() == status),
        async () => await Task.Yield(), $"a delivery to be {status}");

    private static async Task AnswerAsync(HttpContext context, int status, byte[] body, params (string Name, string Value)[] headers)
    {
        context.Response.StatusCode = status;
        foreach (var (name, value) in headers) context.Response.Headers.Append(name, value);
        await context.Response.Body.WriteAsync(body);
    }

    /// <summary>Changes the stored URL behind the API's back (as DNS could change what a name points at).</summary>
    private async Task PointAtAsync(Guid subscription, string url)
    {
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var point = new NpgsqlCommand($"update {Fixture.Schema}.webhook_subscriptions set url = $2 where id = $1", connection);
        point.Parameters.AddWithValue(subscription);
        point.Parameters.AddWithValue(url);
        (await point.ExecuteNonQueryAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task Every_attempt_is_logged_with_its_status_latency_kept_headers_and_body()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var document = await IngestAsync("Attempts.\n", title: "Attempt log");
        var id = (await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id })).GetProperty("id").GetGuid();
        receiver.Answer = c => AnswerAsync(c, 503, "{\"error\":\"overloaded, try later\"}"u8.ToArray(),
            ("Content-Type", "application/json"), ("X-Request-Id", "req-1"), ("Set-Cookie", "session=secret"), ("X-Internal-Token", "t0ps3cret"));

        await EditAsync(document.Id, 1, "Attempts, edited.\n");
        await receiver.WaitUntilAsync(r => r.Count == 1, "the first attempt");
        await Eventually(async () => (await DeliveriesAsync(id))[0].GetProperty("lastStatusCode").ValueKind == JsonValueKind.Number,
            async () => await Task.Yield(), "the first attempt to be recorded");
        receiver.Answer = c => AnswerAsync(c, 200, "thanks"u8.ToArray(), ("Content-Type", "text/plain"));
        Fixture.Clock.Advance(TimeSpan.FromHours(2));
        await receiver.WaitUntilAsync(r => r.Count == 2, "the retry");
        await WaitForStatusAsync(id, _ => true, "succeeded");

        var deliveryId = (await DeliveriesAsync(id))[0].GetProperty("id").GetGuid();
        var delivery = await DeliveryAsync(id, deliveryId);
        delivery.GetProperty("status").GetString().ShouldBe("succeeded");
        delivery.GetProperty("webhookId").GetString().ShouldBe(receiver.Requests.First().WebhookId);
        delivery.GetProperty("attemptCount").GetInt32().ShouldBe(2);
        var attempts = delivery.GetProperty("attempts").EnumerateArray().ToList();
        attempts.Count.ShouldBe(2);
        foreach (var attempt in attempts) attempt.EnumerateObject().Select(p => p.Name).ShouldBe(AttemptFields, ignoreOrder: true);

        var failed = attempts[0];
        failed.GetProperty("statusCode").GetInt32().ShouldBe(503);
        failed.GetProperty("responseBody").GetString().ShouldBe("{\"error\":\"overloaded, try later\"}");
        failed.GetProperty("error").GetString()!.ShouldContain("503");
        failed.GetProperty("latencyMs").GetInt32().ShouldBeGreaterThanOrEqualTo(0);
        var headers = failed.GetProperty("responseHeaders");
        headers.GetProperty("x-request-id").GetString().ShouldBe("req-1");
        headers.GetProperty("content-type").GetString().ShouldBe("application/json");
        headers.TryGetProperty("set-cookie", out _).ShouldBeFalse();
        headers.TryGetProperty("x-internal-token", out _).ShouldBeFalse();

        var succeeded = attempts[1];
        succeeded.GetProperty("statusCode").GetInt32().ShouldBe(200);
        succeeded.GetProperty("responseBody").GetString().ShouldBe("thanks");
        succeeded.GetProperty("error").ValueKind.ShouldBe(JsonValueKind.Null);
        DateTimeOffset.Parse(succeeded.GetProperty("at").GetString()!).ShouldBeGreaterThan(DateTimeOffset.Parse(failed.GetProperty("at").GetString()!));

        await ShouldBeProblemAsync(await As(Roles.Integrator, s => s.Get.Url($"/api/subscriptions/{id}/deliveries/{Guid.NewGuid()}")), 404, "not-found");
    }

    public static TheoryData<string> HostileBodies => new() { "huge", "binary", "cut-character", "hostile-headers" };

    [Theory, MemberData(nameof(HostileBodies))]
    public async Task Hostile_responses_are_kept_bounded_as_safe_text(string kind)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var id = (await CreateSubscriptionAsync(new { url = receiver.Url })).GetProperty("id").GetGuid();
        var cut = new byte[4095].Select(_ => (byte)'a').Concat("é"u8.ToArray()).Concat("tail"u8.ToArray()).ToArray();
        receiver.Answer = kind switch
        {
            // 64 MB that would take a while to read: only the first 4 KB are.
            "huge" => async c =>
            {
                c.Response.StatusCode = 200;
                var chunk = Encoding.ASCII.GetBytes(new string('A', 64 * 1024));
                for (var i = 0; i < 1024 && !c.RequestAborted.IsCancellationRequested; i++) await c.Response.Body.WriteAsync(chunk, c.RequestAborted);
            },
            "binary" => c => AnswerAsync(c, 500, [0x00, 0xFF, 0xFE, (byte)'<', (byte)'b', (byte)'>', 0xC3, 0x28, 0x1B, (byte)'[', (byte)'2', (byte)'J', 0x00],
                ("Content-Type", "application/octet-stream")),
            "cut-character" => c => AnswerAsync(c, 200, cut),
            "hostile-headers" => null,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        // Kestrel will not send a control character or a raw non-ASCII byte in a header; a hostile receiver will.
        await using var raw = kind == "hostile-headers"
            ? await RawReceiver.StartAsync(Encoding.Latin1.GetBytes(
                "HTTP/1.1 200 OK\r\nServer: " + new string('s', 5000) + "\r\nX-Request-Id: a\u00e9b\u0001c\r\nContent-Type: text/html; charset=\"<script>\"\r\n"
                + "Content-Length: 2\r\nConnection: close\r\n\r\nok"))
            : null;
        if (raw is not null) await PointAtAsync(id, raw.Url);

        var attempt = await TestAsync(id);
        var body = attempt.GetProperty("responseBody").GetString()!;
        Encoding.UTF8.GetByteCount(body).ShouldBeLessThanOrEqualTo(4096 * 3, "U+FFFD stands for one bad byte at most");
        body.ShouldNotContain('\0');
        body.Where(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')).ShouldBeEmpty();
        switch (kind)
        {
            case "huge":
                body.ShouldBe(new string('A', 4096));
                break;
            case "binary":
                attempt.GetProperty("statusCode").GetInt32().ShouldBe(500);
                body.ShouldContain("<b>");
                body.ShouldContain('\uFFFD');
                break;
            case "cut-character":
                body.ShouldBe(new string('a', 4095), "the é cut by the limit is dropped, not shown as U+FFFD");
                break;
            case "hostile-headers":
                var headers = attempt.GetProperty("responseHeaders");
                headers.GetProperty("server").GetString()!.Length.ShouldBe(256);
                headers.GetProperty("x-request-id").GetString()!.ShouldAllBe(c => c >= ' ' && c <= '~');
                headers.GetProperty("content-type").GetString().ShouldBe("text/html; charset=\"<script>\"");
                break;
        }

        // What was answered is what the log keeps.
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand($"select response_body from {Fixture.Schema}.webhook_attempts where subscription_id = $1", connection);
        read.Parameters.AddWithValue(id);
        ((string)(await read.ExecuteScalarAsync())!).ShouldBe(body);
    }

    [Fact]
    public async Task A_binary_response_to_a_delivery_is_recorded_with_the_delivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var document = await IngestAsync("Binary answer.\n", title: "Binary answer");
        var id = (await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id })).GetProperty("id").GetGuid();
        receiver.Answer = c => AnswerAsync(c, 202, [0x00, 0x00, 0xFF, 0xC0, 0x80, (byte)'o', (byte)'k']);
        await EditAsync(document.Id, 1, "Binary answer, edited.\n");
        await WaitForStatusAsync(id, _ => true, "succeeded");
        var deliveryId = (await DeliveriesAsync(id))[0].GetProperty("id").GetGuid();
        var attempt = (await DeliveryAsync(id, deliveryId)).GetProperty("attempts").EnumerateArray().Single();
        attempt.GetProperty("statusCode").GetInt32().ShouldBe(202);
        attempt.GetProperty("responseBody").GetString()!.ShouldEndWith("ok");
        attempt.GetProperty("responseBody").GetString()!.ShouldNotContain('\0');
    }

    [Fact]
    public async Task A_connection_error_is_logged_without_a_status_code()
    {
        var id = (await CreateSubscriptionAsync(new { url = "http://127.0.0.1:9/hook" })).GetProperty("id").GetGuid();
        var attempt = await TestAsync(id);
        attempt.GetProperty("succeeded").GetBoolean().ShouldBeFalse();
        attempt.GetProperty("statusCode").ValueKind.ShouldBe(JsonValueKind.Null);
        attempt.GetProperty("responseBody").ValueKind.ShouldBe(JsonValueKind.Null);
        attempt.GetProperty("error").GetString()!.ShouldStartWith("Connection failed");
    }

    [Fact]
    public async Task The_test_event_is_signed_sent_at_once_and_returns_the_attempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var subscription = await CreateSubscriptionAsync(new { url = receiver.Url, types = new[] { "org.provenance.document.verified.v1" } });
        var id = subscription.GetProperty("id").GetGuid();
        // Paused subscriptions can be tested: that is how an integrator checks a fixed receiver before resuming.
        (await As(Roles.Integrator, s => s.Patch.Json(new { status = "paused" }).ToUrl($"/api/subscriptions/{id}"))).Context.Response.StatusCode.ShouldBe(200);

        var attempt = await TestAsync(id);
        attempt.GetProperty("succeeded").GetBoolean().ShouldBeTrue();
        attempt.GetProperty("statusCode").GetInt32().ShouldBe(204);
        attempt.GetProperty("type").GetString().ShouldBe("org.provenance.subscription.test.v1");
        var request = receiver.Requests.Single();
        request.WebhookId.ShouldBe(attempt.GetProperty("webhookId").GetString());
        Delivering_webhooks.SignatureIsValid(subscription.GetProperty("secret").GetString()!, request).ShouldBeTrue();
        request.Event.GetProperty("type").GetString().ShouldBe("org.provenance.subscription.test.v1");
        request.Event.GetProperty("subject").GetString().ShouldBe(id.ToString());
        request.Event.GetProperty("id").GetString().ShouldBe(attempt.GetProperty("eventId").GetString());
        request.Event.GetProperty("data").GetProperty("subscriptionId").GetString().ShouldBe(id.ToString());
        request.ContentType.ShouldStartWith("application/cloudevents+json");

        // A second test is a new event.
        var again = await TestAsync(id);
        again.GetProperty("webhookId").GetString().ShouldNotBe(attempt.GetProperty("webhookId").GetString());
        (await DeliveriesAsync(id)).GetArrayLength().ShouldBe(0, "a test event is not a delivery of the feed");
        await ShouldBeProblemAsync(await As(Roles.Integrator, s => s.Post.Url($"/api/subscriptions/{Guid.NewGuid()}/test")), 404, "not-found");
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Post.Url($"/api/subscriptions/{id}/test")), 403, "forbidden");
    }

    [Fact]
    public async Task The_test_event_obeys_the_target_rules_at_connect_time()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var id = (await CreateSubscriptionAsync(new { url = receiver.Url })).GetProperty("id").GetGuid();
        // As if DNS now pointed the host inside: the stored URL names an address no webhook may call.
        await PointAtAsync(id, receiver.Url.Replace("127.0.0.1", "[::1]"));
        var attempt = await TestAsync(id);
        attempt.GetProperty("succeeded").GetBoolean().ShouldBeFalse();
        attempt.GetProperty("statusCode").ValueKind.ShouldBe(JsonValueKind.Null);
        attempt.GetProperty("error").GetString()!.ShouldContain("Refused to connect");
        receiver.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Replaying_failed_deliveries_sends_only_the_failed_ones_again()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var document = await IngestAsync("Replay failed.\n", title: "Replay failed");
        var id = (await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id })).GetProperty("id").GetGuid();
        await EditAsync(document.Id, 1, "Replay failed, one.\n");
        await WaitForStatusAsync(id, _ => true, "succeeded");
        receiver.Mode = WebhookReceiver.Behaviour.Reject400;
        await EditAsync(document.Id, 2, "Replay failed, two.\n");
        await WaitForStatusAsync(id, _ => true, "failed");
        var before = receiver.Requests.Count;
        var failedId = (await DeliveriesAsync(id)).EnumerateArray().Single(d => d.GetProperty("status").GetString() == "failed").GetProperty("webhookId").GetString();

        receiver.Mode = WebhookReceiver.Behaviour.Accept;
        var replay = await As(Roles.Integrator, s => s.Post.Url($"/api/subscriptions/{id}/replay?status=failed"));
        var text = await replay.ReadAsTextAsync();
        replay.Context.Response.StatusCode.ShouldBe(202, text);
        JsonDocument.Parse(text).RootElement.GetProperty("replayed").GetInt32().ShouldBe(1);
        await receiver.WaitUntilAsync(r => r.Count == before + 1, "the failed delivery again");
        await Eventually(async () => (await DeliveriesAsync(id)).EnumerateArray().All(d => d.GetProperty("status").GetString() == "succeeded"),
            async () => await Task.Yield(), "every delivery to have succeeded");
        receiver.Requests.Last().WebhookId.ShouldBe(failedId);
        receiver.Requests.Count.ShouldBe(before + 1);

        var nothingLeft = await As(Roles.Integrator, s => s.Post.Url($"/api/subscriptions/{id}/replay?status=failed"));
        JsonDocument.Parse(await nothingLeft.ReadAsTextAsync()).RootElement.GetProperty("replayed").GetInt32().ShouldBe(0);
        await ShouldBeProblemAsync(await As(Roles.Integrator, s => s.Post.Url($"/api/subscriptions/{id}/replay?status=pending")), 422, "validation");
    }

    [Fact]
    public async Task A_retry_asked_for_while_an_attempt_is_in_flight_is_not_lost()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var document = await IngestAsync("In flight.\n", title: "Replay in flight");
        var id = (await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id })).GetProperty("id").GetGuid();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Answer = async c =>
        {
            await release.Task;
            c.Response.StatusCode = 204;
        };
        await EditAsync(document.Id, 1, "In flight, edited.\n");
        await receiver.WaitUntilAsync(r => r.Count == 1, "the attempt, held by the receiver");

        var deliveryId = (await DeliveriesAsync(id)).EnumerateArray().Single().GetProperty("id").GetGuid();
        var retry = await As(Roles.Integrator, s => s.Post.Url($"/api/subscriptions/{id}/deliveries/{deliveryId}/retry"));
        retry.Context.Response.StatusCode.ShouldBe(202, await retry.ReadAsTextAsync());
        receiver.Answer = null;
        release.SetResult();

        // The attempt that was in flight is logged, and the retry still sends the event again (so would a replay).
        await receiver.WaitUntilAsync(r => r.Count == 2, "the retried delivery");
        await Eventually(async () => (await DeliveriesAsync(id)).EnumerateArray().Single() is var d
                && d.GetProperty("status").GetString() == "succeeded" && d.GetProperty("attempts").GetInt32() == 2,
            async () => await Task.Yield(), "the retried delivery to be recorded");
        receiver.Requests.Select(r => r.WebhookId).Distinct().Count().ShouldBe(1);
    }

    [Fact]
    public async Task A_failed_write_of_the_attempt_log_loses_neither_the_outcome_nor_the_pending_delivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var document = await IngestAsync("Crash.\n", title: "Crash while recording");
        var id = (await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id })).GetProperty("id").GetGuid();
        var name = "fail_attempts_" + id.ToString("N");
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        async Task Sql(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
        // The database refuses the attempt's row as if the node died while recording; the sequence (not transactional) says it tried.
        await Sql($"""
            create sequence {Fixture.Schema}.{name}_tried;
            create function {Fixture.Schema}.{name}() returns trigger language plpgsql as $$
            begin perform nextval('{Fixture.Schema}.{name}_tried'); raise exception 'simulated crash while recording an attempt'; end $$;
            create trigger {name} before insert on {Fixture.Schema}.webhook_attempts
                for each row when (new.subscription_id = '{id}') execute function {Fixture.Schema}.{name}();
            """);
        try
        {
            await EditAsync(document.Id, 1, "Crash, edited.\n");
            await receiver.WaitUntilAsync(r => r.Count == 1, "the attempt");
            await Eventually(async () =>
            {
                await using var tried = new NpgsqlCommand($"select is_called from {Fixture.Schema}.{name}_tried", connection);
                return (bool)(await tried.ExecuteScalarAsync())!;
            }, async () => await Task.Yield(), "the dispatcher to try recording the attempt");

            // Nothing of the outcome was recorded: the delivery is still pending, leased, with no status and no attempt in the log.
            var delivery = (await DeliveriesAsync(id)).EnumerateArray().Single();
            delivery.GetProperty("status").GetString().ShouldBe("pending");
            delivery.GetProperty("lastStatusCode").ValueKind.ShouldBe(JsonValueKind.Null);
            (await DeliveryAsync(id, delivery.GetProperty("id").GetGuid())).GetProperty("attempts").GetArrayLength().ShouldBe(0);
        }
        finally
        {
            await Sql($"drop trigger {name} on {Fixture.Schema}.webhook_attempts; drop function {Fixture.Schema}.{name}(); drop sequence {Fixture.Schema}.{name}_tried;");
        }

        // Once the lease runs out the delivery goes out again, with the same webhook-id, and this time it is logged.
        Fixture.Clock.Advance(TimeSpan.FromHours(2));
        await receiver.WaitUntilAsync(r => r.Count == 2, "the delivery after the lease ran out");
        await WaitForStatusAsync(id, _ => true, "succeeded");
        receiver.Requests.Select(r => r.WebhookId).Distinct().Count().ShouldBe(1);
        var deliveryId = (await DeliveriesAsync(id))[0].GetProperty("id").GetGuid();
        var logged = await DeliveryAsync(id, deliveryId);
        logged.GetProperty("attemptCount").GetInt32().ShouldBe(2);
        logged.GetProperty("attempts").EnumerateArray().Single().GetProperty("statusCode").GetInt32().ShouldBe(204);
    }
}

/// <summary>A receiver on a bare socket that answers every request with the same bytes, whatever HTTP allows.</summary>
public sealed class RawReceiver : IAsyncDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    public string Url { get; }

    private RawReceiver(System.Net.Sockets.TcpListener listener, byte[] response)
    {
        _listener = listener;
        Url = $"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}/hook";
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var stream = client.GetStream();
                var buffer = new byte[64 * 1024];
                var seen = new List<byte>();
                // Read the request head and its Content-Length body, then answer and close.
                while (true)
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0) break;
                    seen.AddRange(buffer.AsSpan(0, n).ToArray());
                    var text = Encoding.Latin1.GetString(seen.ToArray());
                    var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end < 0) continue;
                    var length = System.Text.RegularExpressions.Regex.Match(text, "(?im)^content-length:\\s*(\\d+)");
                    if (!length.Success || seen.Count - end - 4 >= int.Parse(length.Groups[1].Value)) break;
                }
                await stream.WriteAsync(response, _stop.Token);
            }
        });
    }

    public static Task<RawReceiver> StartAsync(byte[] response)
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return Task.FromResult(new RawReceiver(listener, response));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
        }
    }
}
