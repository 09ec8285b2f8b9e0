using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Feed;

/// <summary>
/// Rotation with overlap, checked with the Standard Webhooks reference verifier for TypeScript (npm <c>standardwebhooks</c> 1.1.1,
/// installed by ops/test.sh from tests/Provenance.Tests/Feed/standardwebhooks): during the grace period (24 h by default) both the
/// old and the new secret verify a delivery; after it, only the new one.
/// </summary>
public sealed class Rotating_webhook_secrets(AppFixture fixture) : FeedContext(fixture)
{
    private static string VerifierFolder => Path.Combine(typeof(Rotating_webhook_secrets).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!, "tests", "Provenance.Tests", "Feed", "standardwebhooks");

    /// <summary>"ok" or the library's error, for each (secret, request): one node process verifies them all.</summary>
    private static async Task<List<string>> VerifyWithStandardWebhooksAsync(params (string Secret, WebhookReceiver.Received Request)[] checks)
    {
        File.Exists(Path.Combine(VerifierFolder, "node_modules", "standardwebhooks", "package.json"))
            .ShouldBeTrue($"run 'npm ci' in {VerifierFolder} (ops/test.sh does)");
        var input = JsonSerializer.Serialize(checks.Select(c => new
        {
            secret = c.Secret,
            headers = new Dictionary<string, string>
            {
                ["webhook-id"] = c.Request.WebhookId, ["webhook-timestamp"] = c.Request.Timestamp, ["webhook-signature"] = c.Request.Signature,
            },
            bodyBase64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(c.Request.Body)),
            now = long.Parse(c.Request.Timestamp),
        }));
        var start = new ProcessStartInfo("node", "verify.js")
        {
            WorkingDirectory = VerifierFolder, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var node = Process.Start(start)!;
        await node.StandardInput.WriteAsync(input);
        node.StandardInput.Close();
        var output = await node.StandardOutput.ReadToEndAsync();
        var errors = await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        node.ExitCode.ShouldBe(0, errors);
        return JsonSerializer.Deserialize<List<string>>(output)!;
    }

    [Fact]
    public async Task After_a_rotation_both_secrets_verify_for_the_grace_period_and_then_only_the_new_one()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var document = await IngestAsync("Rotation.\n", title: "Rotation with overlap");
        var subscription = await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id });
        var id = subscription.GetProperty("id").GetGuid();
        var oldSecret = subscription.GetProperty("secret").GetString()!;
        subscription.GetProperty("previousSecretExpiresAt").ValueKind.ShouldBe(JsonValueKind.Null);

        await EditAsync(document.Id, 1, "Rotation, before.\n");
        await receiver.WaitUntilAsync(r => r.Count == 1, "the delivery before the rotation");
        var before = receiver.Requests.Last();
        before.Signature.Split(' ').Length.ShouldBe(1);

        var rotate = await As(Roles.Integrator, s => s.Patch.Json(new { rotateSecret = true }).ToUrl($"/api/subscriptions/{id}"));
        var rotated = JsonDocument.Parse(await rotate.ReadAsTextAsync()).RootElement;
        rotate.Context.Response.StatusCode.ShouldBe(200);
        var newSecret = rotated.GetProperty("secret").GetString()!;
        newSecret.ShouldNotBe(oldSecret);
        // The store keeps microseconds; the clock may carry ticks.
        DateTimeOffset.Parse(rotated.GetProperty("previousSecretExpiresAt").GetString()!)
            .ShouldBe(Fixture.Clock.GetUtcNow() + TimeSpan.FromHours(24), TimeSpan.FromMilliseconds(1));

        await EditAsync(document.Id, 2, "Rotation, during the grace period.\n");
        await receiver.WaitUntilAsync(r => r.Count == 2, "the delivery during the grace period");
        var during = receiver.Requests.Last();
        during.Signature.Split(' ').Length.ShouldBe(2);

        // The test event is signed the same way.
        var test = await As(Roles.Integrator, s => s.Post.Url($"/api/subscriptions/{id}/test"));
        test.Context.Response.StatusCode.ShouldBe(200, await test.ReadAsTextAsync());
        var testRequest = receiver.Requests.Last();

        Fixture.Clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        await EditAsync(document.Id, 3, "Rotation, after the grace period.\n");
        await receiver.WaitUntilAsync(r => r.Count == 4, "the delivery after the grace period");
        var after = receiver.Requests.Last();
        after.Signature.Split(' ').Length.ShouldBe(1);

        var results = await VerifyWithStandardWebhooksAsync(
            (oldSecret, before), (newSecret, before),
            (oldSecret, during), (newSecret, during),
            (oldSecret, testRequest), (newSecret, testRequest),
            (oldSecret, after), (newSecret, after));
        results.ShouldBe<string>([
            "ok", "No matching signature found",
            "ok", "ok",
            "ok", "ok",
            "No matching signature found", "ok",
        ]);
    }

    [Fact]
    public async Task Rotating_again_within_the_grace_period_keeps_only_the_two_newest_secrets()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var document = await IngestAsync("Rotate twice.\n", title: "Rotate twice");
        var subscription = await CreateSubscriptionAsync(new { url = receiver.Url, document = document.Id });
        var id = subscription.GetProperty("id").GetGuid();
        var first = subscription.GetProperty("secret").GetString()!;
        async Task<string> RotateAsync()
        {
            var result = await As(Roles.Integrator, s => s.Patch.Json(new { rotateSecret = true }).ToUrl($"/api/subscriptions/{id}"));
            return JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("secret").GetString()!;
        }
        var second = await RotateAsync();
        var third = await RotateAsync();

        await EditAsync(document.Id, 1, "Rotate twice, edited.\n");
        await receiver.WaitUntilAsync(r => r.Count == 1, "the delivery");
        var request = receiver.Requests.Single();
        (await VerifyWithStandardWebhooksAsync((first, request), (second, request), (third, request)))
            .ShouldBe(["No matching signature found", "ok", "ok"]);
    }
}
