using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marten.Events;
using Npgsql;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Feed;

public sealed class Delivering_webhooks(AppFixture fixture) : FeedContext(fixture)
{
    /// <summary>Standard Webhooks, written from the spec: HMAC-SHA256 over "{id}.{timestamp}.{body}" with the base64 key after "whsec_".</summary>
    internal static bool SignatureIsValid(string secret, WebhookReceiver.Received request)
    {
        var key = Convert.FromBase64String(secret.Split('_', 2)[1]);
        var expected = Convert.ToBase64String(new HMACSHA256(key).ComputeHash(Encoding.UTF8.GetBytes($"{request.WebhookId}.{request.Timestamp}.{request.Body}")));
        return request.Signature.Split(' ').Any(s => s.StartsWith("v1,") && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(s[3..]), Encoding.ASCII.GetBytes(expected)));
    }

    private static IEnumerable<string> Subjects(IEnumerable<WebhookReceiver.Received> requests, Guid document)
        => requests.Where(r => r.Event.GetProperty("subject").GetString() == document.ToString()).Select(r => r.Event.GetProperty("type").GetString()!);

    private async Task<JsonElement> DeliveriesAsync(Guid subscription) => (await GetJsonAsync($"/api/subscriptions/{subscription}/deliveries")).GetProperty("items");

    /// <summary>Moves the app's clock past any retry backoff; the dispatcher polls every 50 ms (test settings) and finds the row due.</summary>
    private void AdvancePastBackoff() => Fixture.Clock.Advance(TimeSpan.FromHours(2));

    /// <summary>Attempt number <paramref name="attempts"/> has failed and its retry is scheduled in the (app clock's) future.</summary>
    private Task RetryScheduledAsync(Guid subscription, int attempts) => Eventually(async () => (await DeliveriesAsync(subscription)).EnumerateArray()
            .Any(d => d.GetProperty("attempts").GetInt32() == attempts && d.GetProperty("status").GetString() == "pending"
                      && d.GetProperty("lastError").ValueKind == JsonValueKind.String
                      && DateTimeOffset.Parse(d.GetProperty("nextAttemptAt").GetString()!) > Fixture.Clock.GetUtcNow()),
        async () => await Task.Yield(), $"attempt {attempts} to be recorded as failed");

    [Fact]
    public async Task Events_are_delivered_signed_in_document_order_as_cloudevents()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var subscription = await CreateSubscriptionAsync(new { url = receiver.Url });
        var secret = subscription.GetProperty("secret").GetString()!;
        secret.ShouldStartWith("whsec_");
        var id = subscription.GetProperty("id").GetGuid();

        var document = await IngestAsync("Hello.\n", title: "Webhook order");
        await EditAsync(document.Id, 1, "Hello again.\n");
        await TranslateAsync(document.Id, "de", "Hallo.\n");

        await receiver.WaitUntilAsync(r => Subjects(r, document.Id).Count() == 3, "three deliveries");
        Subjects(receiver.Requests, document.Id).ShouldBe([
            "org.provenance.document.ingested.v1", "org.provenance.document.edited.v1", "org.provenance.document.translated.v1"]);
        var mine = receiver.Requests.Where(r => r.Event.GetProperty("subject").GetString() == document.Id.ToString()).ToList();
        foreach (var request in mine)
        {
            SignatureIsValid(secret, request).ShouldBeTrue(request.Signature);
            request.WebhookId.ShouldStartWith("msg_");
            long.Parse(request.Timestamp).ShouldBeInRange(Fixture.Clock.GetUtcNow().ToUnixTimeSeconds() - 7200, Fixture.Clock.GetUtcNow().ToUnixTimeSeconds());
            request.ContentType.ShouldStartWith("application/cloudevents+json");
            request.Event.GetProperty("specversion").GetString().ShouldBe("1.0");
        }
        SignatureIsValid("whsec_" + Convert.ToBase64String(new byte[32]), mine[0]).ShouldBeFalse();

        // The stored secret is encrypted, and no read ever shows it again.
        (await GetJsonAsync($"/api/subscriptions/{id}")).TryGetProperty("secret", out _).ShouldBeFalse();
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand($"select secret from {Fixture.Schema}.webhook_subscriptions where id = @id", connection);
        read.Parameters.AddWithValue("id", id);
        ((string)(await read.ExecuteScalarAsync())!).ShouldNotContain(secret.Split('_', 2)[1]);

        await Eventually(async () => (await DeliveriesAsync(id)).EnumerateArray().Count(d => d.GetProperty("status").GetString() == "succeeded") == 3,
            async () => await Task.Yield(), "the log to show three successes");
        var log = (await DeliveriesAsync(id)).EnumerateArray().ToList();
        log.ShouldAllBe(d => d.GetProperty("attempts").GetInt32() == 1 && d.GetProperty("lastStatusCode").GetInt32() == 204);
        log.Select(d => d.GetProperty("webhookId").GetString()).OrderBy(x => x).ShouldBe(mine.Select(r => r.WebhookId).OrderBy(x => x));
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_with_backoff_and_later_events_of_the_document_wait()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Mode = WebhookReceiver.Behaviour.Fail500;
        var document = await IngestAsync("Retry me.\n", title: "Retry order");
        var subscription = await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id });
        var id = subscription.GetProperty("id").GetGuid();

        await EditAsync(document.Id, 1, "Retry me, first edit.\n");
        await receiver.WaitUntilAsync(r => r.Count == 1, "the first attempt");
        await RetryScheduledAsync(id, 1);
        await EditAsync(document.Id, 2, "Retry me, second edit.\n");
        await Store.WaitForNonStaleProjectionDataAsync(Patience);

        // Only the head of the document's queue is attempted; the second edit waits behind it.
        receiver.Requests.Count.ShouldBe(1);
        var pending = (await DeliveriesAsync(id)).EnumerateArray().ToList();
        pending.Count.ShouldBe(2);
        pending.ShouldAllBe(d => d.GetProperty("status").GetString() == "pending");
        var head = pending.Single(d => d.GetProperty("attempts").GetInt32() == 1);
        head.GetProperty("lastStatusCode").GetInt32().ShouldBe(500);
        head.GetProperty("lastError").GetString()!.ShouldContain("500");
        DateTimeOffset.Parse(head.GetProperty("nextAttemptAt").GetString()!).ShouldBeGreaterThan(Fixture.Clock.GetUtcNow());

        AdvancePastBackoff();
        await receiver.WaitUntilAsync(r => r.Count == 2, "the second attempt");
        await RetryScheduledAsync(id, 2);
        receiver.Mode = WebhookReceiver.Behaviour.Accept;
        AdvancePastBackoff();
        await receiver.WaitUntilAsync(r => r.Count(x => x.AnsweredWith == 204) == 2, "both edits accepted");

        var requests = receiver.Requests.ToList();
        requests.Select(r => r.Event.GetProperty("data").GetProperty("revision").GetInt32()).ShouldBe([2, 2, 2, 3]);
        requests.Take(3).Select(r => r.WebhookId).Distinct().Count().ShouldBe(1);
        (await GetJsonAsync($"/api/subscriptions/{id}")).GetProperty("status").GetString().ShouldBe("active");
    }

    [Fact]
    public async Task A_timeout_is_retried_and_a_4xx_is_not()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var document = await IngestAsync("Timeouts.\n", title: "Timeouts");
        var subscription = await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id });
        var id = subscription.GetProperty("id").GetGuid();

        receiver.Mode = WebhookReceiver.Behaviour.Hang;
        await EditAsync(document.Id, 1, "Timeouts, edited.\n");
        await receiver.WaitUntilAsync(r => r.Count == 1, "the hung attempt");
        await Eventually(async () => (await DeliveriesAsync(id))[0].GetProperty("lastError").ValueKind == JsonValueKind.String,
            async () => await Task.Yield(), "the timeout to be recorded");
        var timedOut = (await DeliveriesAsync(id))[0];
        timedOut.GetProperty("status").GetString().ShouldBe("pending");
        timedOut.GetProperty("lastError").GetString()!.ShouldContain("Timed out");

        receiver.Mode = WebhookReceiver.Behaviour.Reject400;
        AdvancePastBackoff();
        await receiver.WaitUntilAsync(r => r.Count == 2, "the retry");
        await Eventually(async () => (await DeliveriesAsync(id))[0].GetProperty("status").GetString() == "failed",
            async () => await Task.Yield(), "the 400 to fail the delivery");
        AdvancePastBackoff();
        await Store.WaitForNonStaleProjectionDataAsync(Patience);
        receiver.Requests.Count.ShouldBe(2);

        // An operator retries it by hand once the receiver is fixed.
        receiver.Mode = WebhookReceiver.Behaviour.Accept;
        var deliveryId = (await DeliveriesAsync(id))[0].GetProperty("id").GetGuid();
        var retry = await As(Roles.Integrator, s => s.Post.Url($"/api/subscriptions/{id}/deliveries/{deliveryId}/retry"));
        retry.Context.Response.StatusCode.ShouldBe(202, await retry.ReadAsTextAsync());
        await receiver.WaitUntilAsync(r => r.Count == 3 && r[2].AnsweredWith == 204, "the manual retry");
        receiver.Requests.Select(r => r.WebhookId).Distinct().Count().ShouldBe(1);
    }

    [Fact]
    public async Task Consecutive_failures_disable_the_subscription_until_it_is_resumed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Mode = WebhookReceiver.Behaviour.Fail500;
        var document = await IngestAsync("Disable.\n", title: "Disable");
        var subscription = await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id });
        var id = subscription.GetProperty("id").GetGuid();
        await EditAsync(document.Id, 1, "Disable, edited.\n");

        await receiver.WaitUntilAsync(r => r.Count == 1, "attempt 1");
        await RetryScheduledAsync(id, 1);
        AdvancePastBackoff();
        await receiver.WaitUntilAsync(r => r.Count == 2, "attempt 2");
        await RetryScheduledAsync(id, 2);
        AdvancePastBackoff();
        await receiver.WaitUntilAsync(r => r.Count == 3, "attempt 3");
        await Eventually(async () => (await GetJsonAsync($"/api/subscriptions/{id}")).GetProperty("status").GetString() == "disabled",
            async () => await Task.Yield(), "the subscription to be disabled");
        var disabled = await GetJsonAsync($"/api/subscriptions/{id}");
        disabled.GetProperty("statusReason").GetString()!.ShouldContain("3 consecutive");
        AdvancePastBackoff();
        await Store.WaitForNonStaleProjectionDataAsync(Patience);
        receiver.Requests.Count.ShouldBe(3);

        receiver.Mode = WebhookReceiver.Behaviour.Accept;
        var resume = await As(Roles.Integrator, s => s.Patch.Json(new { status = "active" }).ToUrl($"/api/subscriptions/{id}"));
        resume.Context.Response.StatusCode.ShouldBe(200, await resume.ReadAsTextAsync());
        await receiver.WaitUntilAsync(r => r.Count == 4 && r[3].AnsweredWith == 204, "the delivery after resuming");
        (await GetJsonAsync($"/api/subscriptions/{id}")).GetProperty("consecutiveFailures").GetInt32().ShouldBe(0);
    }

    [Fact]
    public async Task Paused_subscriptions_hold_deliveries_and_a_rotated_secret_signs_the_next_ones()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var document = await IngestAsync("Pause.\n", title: "Pause");
        var subscription = await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id });
        var id = subscription.GetProperty("id").GetGuid();
        var oldSecret = subscription.GetProperty("secret").GetString()!;

        var pause = await As(Roles.Integrator, s => s.Patch.Json(new { status = "paused", rotateSecret = true }).ToUrl($"/api/subscriptions/{id}"));
        var paused = JsonDocument.Parse(await pause.ReadAsTextAsync()).RootElement;
        pause.Context.Response.StatusCode.ShouldBe(200);
        paused.GetProperty("status").GetString().ShouldBe("paused");
        var newSecret = paused.GetProperty("secret").GetString()!;
        newSecret.ShouldNotBe(oldSecret);

        await EditAsync(document.Id, 1, "Pause, edited.\n");
        await Store.WaitForNonStaleProjectionDataAsync(Patience);
        (await DeliveriesAsync(id)).EnumerateArray().Single().GetProperty("status").GetString().ShouldBe("pending");
        receiver.Requests.ShouldBeEmpty();

        var resume = await As(Roles.Integrator, s => s.Patch.Json(new { status = "active" }).ToUrl($"/api/subscriptions/{id}"));
        resume.Context.Response.StatusCode.ShouldBe(200);
        await receiver.WaitUntilAsync(r => r.Count == 1, "the held delivery");
        // The new secret signs first; the old one signs too until the rotation's grace period ends (Rotating_webhook_secrets).
        var request = receiver.Requests.Single();
        var signatures = request.Signature.Split(' ');
        signatures.Length.ShouldBe(2);
        SignatureIsValid(newSecret, request with { Signature = signatures[0] }).ShouldBeTrue();
        SignatureIsValid(oldSecret, request with { Signature = signatures[1] }).ShouldBeTrue();
    }

    [Fact]
    public async Task Replay_redelivers_from_a_cursor_with_the_same_webhook_ids()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var document = await IngestAsync("Replay.\n", title: "Replay");
        var subscription = await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id, types = new[] { "org.provenance.document.edited.v1" } });
        var id = subscription.GetProperty("id").GetGuid();
        await EditAsync(document.Id, 1, "Replay, one.\n");
        await EditAsync(document.Id, 2, "Replay, two.\n");
        await receiver.WaitUntilAsync(r => r.Count == 2, "two edits");
        var firstIds = receiver.Requests.Select(r => r.WebhookId).ToList();

        var replay = await As(Roles.Integrator, s => s.Post.Url($"/api/subscriptions/{id}/replay"));
        replay.Context.Response.StatusCode.ShouldBe(202, await replay.ReadAsTextAsync());
        JsonDocument.Parse(await replay.ReadAsTextAsync()).RootElement.GetProperty("replayed").GetInt32().ShouldBe(2);
        await receiver.WaitUntilAsync(r => r.Count == 4, "the replayed edits");
        receiver.Requests.Select(r => r.WebhookId).ShouldBe(firstIds.Concat(firstIds));
        receiver.Requests.ShouldAllBe(r => r.Event.GetProperty("type").GetString() == "org.provenance.document.edited.v1");

        var badCursor = await As(Roles.Integrator, s => s.Post.Url($"/api/subscriptions/{id}/replay?from=nope"));
        await ShouldBeProblemAsync(badCursor, 422, "validation");
    }

    [Fact]
    public async Task Deleting_a_subscription_stops_deliveries()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var document = await IngestAsync("Delete.\n", title: "Delete");
        var id = (await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id })).GetProperty("id").GetGuid();
        var delete = await As(Roles.Integrator, s => s.Delete.Url($"/api/subscriptions/{id}"));
        delete.Context.Response.StatusCode.ShouldBe(204);
        await EditAsync(document.Id, 1, "Delete, edited.\n");
        await Store.WaitForNonStaleProjectionDataAsync(Patience);
        receiver.Requests.ShouldBeEmpty();
        await ShouldBeProblemAsync(await As(Roles.Integrator, s => s.Get.Url($"/api/subscriptions/{id}")), 404, "not-found");
        await ShouldBeProblemAsync(await As(Roles.Integrator, s => s.Delete.Url($"/api/subscriptions/{id}")), 404, "not-found");
    }
}
