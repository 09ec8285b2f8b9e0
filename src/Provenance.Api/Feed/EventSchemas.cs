using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Http;
using Wolverine.Http;

namespace Provenance.Api.Feed;

/// <summary>One entry of the event catalogue: a CloudEvents type, what it records, and where its data schema is.</summary>
public sealed record EventTypeEntry(string Type, string Summary, string DataSchema);

public sealed record EventCatalogueResource(IReadOnlyList<EventTypeEntry> Items, string AsyncApi);

/// <summary>
/// The event catalogue: the JSON Schema of each CloudEvents type's <c>data</c>, at the URL every event names in its
/// <c>dataschema</c>. Public and cacheable: a schema describes the API, not anyone's data.
/// </summary>
public static class EventSchemaEndpoints
{
    public const string Tag = "Events";
    public const string CacheControl = "public, max-age=3600";
    private static readonly JsonSerializerOptions Compact = new(JsonSerializerOptions.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [WolverineGet("/api/events/schemas", OperationId = "listEventSchemas"), AllowAnonymous, Tags(Tag)]
    [EndpointSummary("The event catalogue: every CloudEvents type with its data schema's URL")]
    [ProducesResponseType<EventCatalogueResource>(StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType(StatusCodes.Status304NotModified)]
    public static IResult List(HttpContext context, EventCatalogue catalogue, PublicBaseUrl baseUrl)
    {
        var root = baseUrl.For(context.Request);
        var resource = new EventCatalogueResource(
            catalogue.Documented.Select(d => new EventTypeEntry(d.Type, d.Summary, EventCatalogue.SchemaUrl(root, d.Type))).ToList(),
            root + AsyncApiEndpoint.Path);
        return Cacheable(context, JsonSerializer.SerializeToUtf8Bytes(resource, Compact), "application/json");
    }

    [WolverineGet("/api/events/schemas/{type}", OperationId = "getEventSchema"), AllowAnonymous, Tags(Tag)]
    [EndpointSummary("The JSON Schema (2020-12) of one CloudEvents type's data")]
    [ProducesResponseType<JsonObject>(StatusCodes.Status200OK, EventCatalogue.SchemaMediaType)]
    [ProducesResponseType(StatusCodes.Status304NotModified)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static IResult Get(string type, HttpContext context, EventCatalogue catalogue, PublicBaseUrl baseUrl)
    {
        if (catalogue.FindDocumented(type) is not { } definition)
        {
            var shown = type.Length > 100 ? type[..100] + "…" : type;
            return Problems.Result(Problems.NotFound,
                $"No event type '{shown}'; the catalogue at {EventCatalogue.SchemaPathPrefix.TrimEnd('/')} lists {catalogue.Documented.Count}.");
        }
        var schema = EventCatalogue.Schema(definition, baseUrl.For(context.Request));
        return Cacheable(context, Encoding.UTF8.GetBytes(schema.ToJsonString(Indented)), EventCatalogue.SchemaMediaType);
    }

    /// <summary>Public caching with a strong ETag of the bytes, and 304 for a matching <c>If-None-Match</c>.</summary>
    public static IResult Cacheable(HttpContext context, byte[] body, string mediaType)
    {
        var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(body))[..32]}\"";
        var headers = context.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = CacheControl;
        if (EntityTags.AnyMatches(context.Request.Headers.IfNoneMatch.ToString(), etag, weak: true))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(body, mediaType);
    }
}
