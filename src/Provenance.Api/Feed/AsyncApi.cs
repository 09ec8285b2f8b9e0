using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Provenance.Api.Feed;

/// <summary>
/// The AsyncAPI 3.0 document of what Provenance sends: the Server-Sent Events stream and webhook deliveries, one message per
/// CloudEvents type, each payload's <c>data</c> a reference to the type's schema in the event catalogue.
/// </summary>
public static class AsyncApiEndpoint
{
    public const string Path = "/asyncapi/v1.json";
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [WolverineGet(Path, OperationId = "getAsyncApiDocument"), AllowAnonymous, Tags(EventSchemaEndpoints.Tag)]
    [EndpointSummary("The AsyncAPI 3.0 document of the Server-Sent Events stream and the webhooks")]
    [ProducesResponseType<JsonObject>(StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType(StatusCodes.Status304NotModified)]
    public static IResult Get(HttpContext context, EventCatalogue catalogue, PublicBaseUrl baseUrl)
    {
        var document = Document(catalogue, baseUrl.For(context.Request));
        return EventSchemaEndpoints.Cacheable(context, Encoding.UTF8.GetBytes(document.ToJsonString(Indented)), "application/json");
    }

    public static JsonObject Document(EventCatalogue catalogue, string baseUrl)
    {
        var root = new Uri(baseUrl);
        var streamMessages = new JsonObject();
        var webhookMessages = new JsonObject();
        var messages = new JsonObject();
        foreach (var definition in catalogue.Documented)
        {
            var name = MessageName(definition);
            // The stored events are on the stream and the webhooks; the subscription test event only goes to webhooks.
            if (catalogue.Find(definition.Type) is not null)
            {
                messages[name] = Message(definition, baseUrl, webhook: false);
                streamMessages[name] = Ref($"#/components/messages/{name}");
            }
            messages[name + "Webhook"] = Message(definition, baseUrl, webhook: true);
            webhookMessages[name] = Ref($"#/components/messages/{name}Webhook");
        }

        return new JsonObject
        {
            ["asyncapi"] = "3.0.0",
            ["id"] = "urn:provenance:events",
            ["info"] = new JsonObject
            {
                ["title"] = "Provenance events",
                ["version"] = "1",
                ["description"] = "Every event the ledger records, as a CloudEvents 1.0 structured-mode JSON object, on the Server-Sent Events " +
                    "stream and to webhook subscriptions. `sequence` is the event's global position, zero-padded to 20 digits so the " +
                    "strings sort in ledger order; `dataschema` is the absolute URL of the JSON Schema (2020-12) of `data`, listed at " +
                    $"{baseUrl}/api/events/schemas. The pull feed `GET /api/feed` serves the same events in pages (see {baseUrl}/openapi/v1.json).",
            },
            ["defaultContentType"] = CloudEvent.MediaType,
            ["servers"] = new JsonObject
            {
                ["provenance"] = new JsonObject
                {
                    ["host"] = root.IsDefaultPort ? root.Host : $"{root.Host}:{root.Port}",
                    ["protocol"] = root.Scheme,
                    ["title"] = "The Provenance API",
                    ["security"] = new JsonArray(Ref("#/components/securitySchemes/apiKey")),
                },
                ["subscriber"] = new JsonObject
                {
                    ["host"] = "{subscriberHost}",
                    ["protocol"] = "https",
                    ["title"] = "A webhook receiver",
                    ["description"] = "The integrator's own server: the host of the URL given when the subscription was created " +
                        "(POST /api/subscriptions). Provenance signs each request; the receiver verifies it (see the webhook messages' headers).",
                    ["variables"] = new JsonObject
                    {
                        ["subscriberHost"] = new JsonObject { ["description"] = "Host (and port) of the subscription's URL." },
                    },
                },
            },
            ["channels"] = new JsonObject
            {
                ["feedStream"] = new JsonObject
                {
                    ["address"] = "/api/feed/stream",
                    ["title"] = "Change feed as Server-Sent Events",
                    ["description"] = "GET with `Accept: text/event-stream` and an integrator key. Each event is one SSE message: `id:` its " +
                        "cursor, `event:` its CloudEvents type, `data:` the CloudEvent on one line. Reconnect with `Last-Event-ID` (or " +
                        "`?after=<cursor>`) to resume right after the last event received. Filters: `types` (comma-separated CloudEvents " +
                        "types) and `document` (a document id). Idle streams carry `: keep-alive` comments.",
                    ["servers"] = new JsonArray(Ref("#/servers/provenance")),
                    ["messages"] = streamMessages,
                },
                ["webhooks"] = new JsonObject
                {
                    ["address"] = null,
                    ["title"] = "Webhook deliveries",
                    ["description"] = "POST to each subscription's URL, one event per request, in order per document, retried with " +
                        "backoff until a 2xx. Signed as Standard Webhooks specifies: verify `webhook-signature` over " +
                        "`{webhook-id}.{webhook-timestamp}.{body}` with the subscription's secret, reject stale timestamps, and use " +
                        "`webhook-id` to drop redeliveries.",
                    ["servers"] = new JsonArray(Ref("#/servers/subscriber")),
                    ["messages"] = webhookMessages,
                },
            },
            ["operations"] = new JsonObject
            {
                ["streamEvents"] = new JsonObject
                {
                    ["action"] = "send",
                    ["title"] = "Stream the change feed",
                    ["channel"] = Ref("#/channels/feedStream"),
                    ["bindings"] = new JsonObject { ["http"] = new JsonObject { ["method"] = "GET", ["bindingVersion"] = "0.3.0" } },
                    ["messages"] = new JsonArray(streamMessages.Select(m => (JsonNode)Ref($"#/channels/feedStream/messages/{m.Key}")).ToArray()),
                },
                ["deliverWebhooks"] = new JsonObject
                {
                    ["action"] = "send",
                    ["title"] = "Deliver events to a webhook subscription",
                    ["channel"] = Ref("#/channels/webhooks"),
                    ["bindings"] = new JsonObject { ["http"] = new JsonObject { ["method"] = "POST", ["bindingVersion"] = "0.3.0" } },
                    ["messages"] = new JsonArray(webhookMessages.Select(m => (JsonNode)Ref($"#/channels/webhooks/messages/{m.Key}")).ToArray()),
                },
            },
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject
                {
                    ["apiKey"] = new JsonObject
                    {
                        ["type"] = "http",
                        ["scheme"] = "bearer",
                        ["description"] = "An API key with the integrator role, sent as `Authorization: Bearer <key>`.",
                    },
                },
                ["schemas"] = new JsonObject
                {
                    ["cloudEvent"] = Envelope(),
                    ["standardWebhookHeaders"] = WebhookHeaders(),
                },
                ["messageTraits"] = new JsonObject
                {
                    ["standardWebhook"] = new JsonObject
                    {
                        ["headers"] = Ref("#/components/schemas/standardWebhookHeaders"),
                        ["bindings"] = new JsonObject
                        {
                            ["http"] = new JsonObject { ["headers"] = Ref("#/components/schemas/standardWebhookHeaders"), ["bindingVersion"] = "0.3.0" },
                        },
                    },
                },
                ["messages"] = messages,
            },
        };
    }

    /// <summary><c>document_ingested</c> → <c>documentIngested</c>.</summary>
    public static string MessageName(EventDefinition definition)
        => string.Concat(definition.Alias.Split('_').Select((part, i) => i == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..]));

    private static JsonObject Message(EventDefinition definition, string baseUrl, bool webhook)
    {
        var schemaUrl = EventCatalogue.SchemaUrl(baseUrl, definition.Type);
        var message = new JsonObject
        {
            ["name"] = definition.Type,
            ["title"] = definition.Type,
            ["summary"] = definition.Summary,
            ["contentType"] = CloudEvent.MediaType,
            ["payload"] = new JsonObject
            {
                ["allOf"] = new JsonArray(
                    Ref("#/components/schemas/cloudEvent"),
                    new JsonObject
                    {
                        ["type"] = "object",
                        // Stored events carry their ledger position; the webhook-only test event has none.
                        ["required"] = EventCatalogue.WebhookOnly.Contains(definition) ? new JsonArray() : new JsonArray("sequence", "streamversion"),
                        ["properties"] = new JsonObject
                        {
                            ["type"] = new JsonObject { ["const"] = definition.Type },
                            ["dataschema"] = new JsonObject { ["const"] = schemaUrl },
                            ["data"] = Ref(schemaUrl),
                        },
                    }),
            },
        };
        if (webhook) message["traits"] = new JsonArray(Ref("#/components/messageTraits/standardWebhook"));
        return message;
    }

    private static JsonObject Envelope() => new()
    {
        ["type"] = "object",
        ["description"] = "A CloudEvents 1.0 event in structured-mode JSON.",
        ["required"] = new JsonArray("specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data"),
        ["properties"] = new JsonObject
        {
            ["specversion"] = new JsonObject { ["const"] = "1.0" },
            ["id"] = new JsonObject { ["type"] = "string", ["format"] = "uuid", ["description"] = "The event's own id: the same on every read, replay and node." },
            ["source"] = new JsonObject { ["type"] = "string", ["format"] = "uri-reference", ["description"] = "Provenance:Feed:Source (default /provenance)." },
            ["type"] = new JsonObject { ["type"] = "string", ["pattern"] = @"^org\.provenance\.[a-z]+\.[a-z_]+\.v[0-9]+$" },
            ["subject"] = new JsonObject { ["type"] = "string", ["format"] = "uuid", ["description"] = "The document the event belongs to." },
            ["time"] = new JsonObject { ["type"] = "string", ["format"] = "date-time", ["description"] = "When it was recorded (UTC, microseconds)." },
            ["datacontenttype"] = new JsonObject { ["const"] = "application/json" },
            ["dataschema"] = new JsonObject { ["type"] = "string", ["format"] = "uri", ["description"] = "The JSON Schema of data." },
            ["sequence"] = new JsonObject
            {
                ["type"] = "string",
                ["pattern"] = $"^[0-9]{{{CloudEvent.SequenceDigits}}}$",
                ["description"] = "CloudEvents sequence extension: the global position, zero-padded so that strings sort as the numbers do.",
            },
            ["streamversion"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["description"] = "The event's position in its document's stream." },
            ["data"] = new JsonObject { ["type"] = "object" },
        },
    };

    private static JsonObject WebhookHeaders() => new()
    {
        ["type"] = "object",
        ["description"] = "Standard Webhooks signature headers.",
        ["required"] = new JsonArray("webhook-id", "webhook-timestamp", "webhook-signature"),
        ["properties"] = new JsonObject
        {
            ["webhook-id"] = new JsonObject
            {
                ["type"] = "string",
                ["pattern"] = "^msg_[0-9a-f]{32}$",
                ["description"] = "The delivery's id: the same on every retry of it, so a receiver can drop duplicates.",
            },
            ["webhook-timestamp"] = new JsonObject
            {
                ["type"] = "string",
                ["pattern"] = "^[0-9]+$",
                ["description"] = "Unix seconds when the attempt was signed; reject values far from your clock.",
            },
            ["webhook-signature"] = new JsonObject
            {
                ["type"] = "string",
                ["pattern"] = "^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$",
                ["description"] = "Space-separated `v1,<base64 HMAC-SHA256>` signatures of `{webhook-id}.{webhook-timestamp}.{body}` " +
                    "with the subscription's secret (`whsec_…`, base64 key); accept the request if any one verifies.",
            },
            ["content-type"] = new JsonObject { ["const"] = CloudEvent.MediaType + "; charset=utf-8" },
        },
    };

    private static JsonObject Ref(string target) => new() { ["$ref"] = target };
}
