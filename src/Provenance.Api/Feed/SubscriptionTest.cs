using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Access;
using Provenance.Api.Contract;
using Wolverine.Http;

namespace Provenance.Api.Feed;

/// <summary>The test event's <c>data</c>: which subscription it tests, and a sentence for whoever reads the receiver's log.</summary>
[System.ComponentModel.Description("A test event sent on request (POST /api/subscriptions/{id}/test) to a webhook subscription only: never stored, never on the feed.")]
public sealed record SubscriptionTestData(
    [property: JsonPropertyName("subscriptionId")] Guid SubscriptionId,
    [property: JsonPropertyName("message")] string Message);

/// <summary>
/// A CloudEvent that is not in the ledger: sent only by <c>POST /api/subscriptions/{id}/test</c>, never by the feed, so it has no
/// <c>sequence</c>; its <c>subject</c> is the subscription.
/// </summary>
public sealed record SubscriptionTestEvent(
    [property: JsonPropertyName("specversion")] string SpecVersion,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("time")] string Time,
    [property: JsonPropertyName("datacontenttype")] string DataContentType,
    [property: JsonPropertyName("dataschema")] string DataSchema,
    [property: JsonPropertyName("data")] SubscriptionTestData Data)
{
    public const string EventType = "org.provenance.subscription.test.v1";

    /// <summary>The catalogue entry of this webhook-only type (its data schema is served like the stored events').</summary>
    public static readonly EventDefinition Definition = new(EventType, "subscription_test", typeof(SubscriptionTestData));

    public static SubscriptionTestEvent Create(Guid eventId, Guid subscriptionId, string source, DateTimeOffset at, string baseUrl) => new("1.0",
        eventId.ToString(), source, EventType, subscriptionId.ToString(),
        CloudEvent.TimeOf(at), CloudEvent.DataMediaType,
        EventCatalogue.SchemaUrl(baseUrl, EventType),
        new SubscriptionTestData(subscriptionId, "A test event from Provenance: if its signature verifies, this endpoint is ready."));

    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this);
}

/// <summary>The test event's attempt: the delivery log's attempt fields, with the <c>webhook-id</c> and event id it carried.</summary>
public sealed record TestAttempt(string WebhookId, Guid EventId, string Type, bool Succeeded, DateTimeOffset At, int? StatusCode, int LatencyMs,
    IReadOnlyDictionary<string, string> ResponseHeaders, string? ResponseBody, string? Error)
{
    public static TestAttempt From(string webhookId, Guid eventId, SentAttempt sent) => new(webhookId, eventId, SubscriptionTestEvent.EventType,
        sent.Succeeded, sent.Attempt.At, sent.Attempt.StatusCode, sent.Attempt.LatencyMs, sent.Attempt.ResponseHeaders, sent.Attempt.ResponseBody,
        sent.Attempt.Error);
}

public static class SubscriptionTestEndpoint
{
    /// <summary>
    /// Sends a signed <c>org.provenance.subscription.test.v1</c> event now and answers with the attempt (200 whatever the receiver
    /// answered: <c>succeeded</c>, <c>statusCode</c> and <c>error</c> say how it went). Paused and disabled subscriptions can be tested.
    /// </summary>
    [WolverinePost("/api/subscriptions/{id}/test", OperationId = "testSubscription"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("Send a signed test event to the subscription's URL now, and return the attempt")]
    [ProducesResponseType<TestAttempt>(200, "application/json"), ProblemResponses(404)]
    public static async Task<IResult> Post(Guid id, HttpContext context, WebhookSubscriptions subscriptions, ClaimsPrincipal user)
        => await subscriptions.TestAsync(id, SubscriptionViewer.Of(user), context.RequestAborted) is { } attempt
            ? Results.Ok(attempt)
            : SubscriptionsEndpoint.NotFound(id);
}
