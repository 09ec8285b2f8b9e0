using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Provenance.Api.Http;

namespace Provenance.Api.Contract;

/// <summary>
/// The cross-cutting half of the OpenAPI document (<c>/openapi/v1.json</c>); the endpoints' own attributes are the other half.
/// Per operation: exactly the responses the endpoint declares (<c>[ProducesResponseType]</c>), the body it reads itself
/// (<see cref="AcceptsBodyAttribute"/>), <c>application/problem+json</c> on every 4xx/5xx (its own <see cref="ProblemResponsesAttribute"/>
/// plus what authentication, roles, idempotency and body parsing add), headers, and its security (anonymous: <c>security: []</c>).
/// Per document: info, servers without a trailing slash, the bearer scheme, the tags' descriptions, the problem schema.
/// </summary>
public sealed partial class OpenApiContract : IOpenApiDocumentTransformer, IOpenApiOperationTransformer, IOpenApiSchemaTransformer
{
    public const string SecurityScheme = "apiKey";
    public const string ProblemSchema = "Problem";
    private const string ProblemJson = "application/problem+json";

    public static void Configure(OpenApiOptions options)
    {
        var contract = new OpenApiContract();
        options.AddOperationTransformer(contract);
        options.AddDocumentTransformer(contract);
        options.AddSchemaTransformer(contract);
    }

    /// <summary>
    /// Numbers are numbers: the web serializer also reads them from strings, so the generated schema says "integer or string with a
    /// digits pattern", but the API always writes them as JSON numbers and clients should send them so.
    /// </summary>
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        foreach (var number in new[] { JsonSchemaType.Integer, JsonSchemaType.Number })
        {
            if (schema.Type is { } type && type.HasFlag(number) && type.HasFlag(JsonSchemaType.String))
            {
                schema.Type = type & ~JsonSchemaType.String;
                schema.Pattern = null;
            }
        }
        return Task.CompletedTask;
    }

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var document = context.Document ?? throw new InvalidOperationException("The operation transformer runs without its document.");
        // Wolverine repeats its route-derived name as summary and description; a summary comes from [EndpointSummary] instead.
        if (operation.Description is { } description && (description == operation.OperationId || WolverineName().IsMatch(description))) operation.Description = null;
        if (operation.Summary is { } summary && (summary == operation.OperationId || WolverineName().IsMatch(summary))) operation.Summary = null;

        operation.Responses ??= new OpenApiResponses();
        var declared = metadata.OfType<ProducesResponseTypeAttribute>().Select(a => Code(a.StatusCode)).ToHashSet();
        if (declared.Count > 0)
        {
            // Wolverine adds 200 and 404 to endpoints returning IResult; what the endpoint declares is the truth.
            foreach (var code in operation.Responses.Keys.Where(k => !declared.Contains(k)).ToList()) operation.Responses.Remove(code);
        }

        var problems = new SortedSet<int>(metadata.OfType<ProblemResponsesAttribute>().SelectMany(a => a.Statuses));
        var bodies = metadata.OfType<AcceptsBodyAttribute>().ToList();
        if (bodies.Count > 0)
        {
            var body = new OpenApiRequestBody { Required = bodies.All(b => b.Required), Content = new Dictionary<string, OpenApiMediaType>() };
            foreach (var accepted in bodies)
            {
                body.Content[accepted.MediaType] = new OpenApiMediaType { Schema = await RequestSchemaAsync(accepted, context, document, ct) };
            }
            operation.RequestBody = body;
        }
        if (operation.RequestBody is not null) problems.UnionWith([400, 413, 415, 422]);

        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        var authorize = metadata.OfType<IAuthorizeData>().ToList();
        if (anonymous || authorize.Count == 0)
        {
            // Anonymous, unless the endpoint itself may ask for a key (entry bundles of a private log): then the key is optional.
            operation.Security = problems.Contains(401)
                ? [new OpenApiSecurityRequirement(), new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecurityScheme, document)] = [] }]
                : [];
        }
        else
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecurityScheme, document)] = [] }];
            problems.Add(401);
            var roles = authorize.SelectMany(a => a.Roles?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [])
                .Distinct().ToList();
            if (roles.Count > 0)
            {
                problems.Add(403);
                var named = string.Join(" or ", roles.Append(Access.Roles.Admin).Distinct().Select(r => $"`{r}`"));
                operation.Description = Join(operation.Description, $"Requires an API key with the {named} role.");
            }
            else operation.Description = Join(operation.Description, "Any valid API key may call this.");
        }

        operation.Parameters ??= [];
        if (metadata.OfType<IdempotentAttribute>().Any())
        {
            problems.UnionWith([409, 422]);
            AddHeaderParameter(operation, "Idempotency-Key", required: false);
        }
        foreach (var header in metadata.OfType<RequestHeaderAttribute>()) AddHeaderParameter(operation, header.Name, header.Required);

        foreach (var status in problems) operation.Responses[Code(status)] = new OpenApiResponse();
        foreach (var (code, response) in operation.Responses)
        {
            if (response is not OpenApiResponse concrete) continue;
            var status = int.Parse(code);
            if (status >= 400)
            {
                concrete.Content = new Dictionary<string, OpenApiMediaType>
                {
                    [ProblemJson] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
                };
            }
            else if (concrete.Content is { } content)
            {
                foreach (var (mediaType, media) in content) media.Schema = DescribedAs(mediaType, media.Schema);
            }
            concrete.Description = ResponseDescription(status, concrete.Description);
        }
        foreach (var any in metadata.OfType<ProducesAnyContentAttribute>())
        {
            if (operation.Responses.TryGetValue(Code(any.Status), out var response) && response is OpenApiResponse concrete)
            {
                concrete.Content = new Dictionary<string, OpenApiMediaType> { ["*/*"] = new() { Schema = DescribedAs("*/*", null) } };
            }
        }
        foreach (var headers in metadata.OfType<ResponseHeadersAttribute>())
        {
            if (!operation.Responses.TryGetValue(Code(headers.Status), out var response) || response is not OpenApiResponse concrete)
            {
                throw new InvalidOperationException($"{operation.OperationId} declares headers for {headers.Status}, which it does not answer.");
            }
            concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
            foreach (var name in headers.Names)
            {
                concrete.Headers[name] = new OpenApiHeader { Description = HeaderDescription(name), Required = AlwaysSent.Contains(name), Schema = Text() };
            }
        }
        var sorted = operation.Responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        operation.Responses.Clear();
        foreach (var (code, response) in sorted) operation.Responses[code] = response;
    }

    public async Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Provenance API",
            Version = "1",
            Description = "Documents, their revisions, translations and fact-checks, recorded as events in a tamper-evident ledger. "
                + "Send an API key as `Authorization: Bearer <key>`. Every error is `application/problem+json` (RFC 9457) with a stable "
                + "`type` (`urn:provenance:problem:<slug>`) and, for invalid fields, `errors`.",
            Contact = Contact(context.ApplicationServices.GetRequiredService<IConfiguration>().GetSection("Provenance:Contact")),
            // The repository carries no licence grant: an SPDX LicenseRef says so rather than inventing one.
            License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-Proprietary" },
        };
        foreach (var server in document.Servers ?? []) server.Url = server.Url?.TrimEnd('/') is { Length: > 0 } url ? url : "/";

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SecurityScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "API key",
            Description = "An API key (`pvk_…`) as `Authorization: Bearer <key>`. Admins create keys with roles (`POST /api/keys`).",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem();

        var used = (document.Paths ?? []).Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []).SelectMany(o => o.Tags?.AsEnumerable() ?? [])
            .Select(t => t.Name).ToHashSet();
        // Known capabilities in their order, then any other tag an endpoint names, undescribed (the contract tests reject that).
        document.Tags = new HashSet<OpenApiTag>(ApiTags.All.Where(t => used.Contains(t.Name))
            .Select(t => new OpenApiTag { Name = t.Name, Description = t.Description })
            .Concat(used.Where(u => ApiTags.All.All(t => t.Name != u)).Order(StringComparer.Ordinal).Select(u => new OpenApiTag { Name = u })));

        await RemoveUnreferencedSchemasAsync(document, ct);
    }

    /// <summary>Who runs this deployment: <c>Provenance:Contact:{Name,Email,Url}</c>, by default the operators, unnamed.</summary>
    private static OpenApiContact Contact(IConfigurationSection settings) => new()
    {
        Name = settings["Name"] ?? "The operators of this Provenance deployment",
        Email = settings["Email"],
        Url = Uri.TryCreate(settings["Url"], UriKind.Absolute, out var url) ? url : null,
    };

    /// <summary>
    /// A request body's schema, by reference. Commands bind every member as nullable (validation comes after binding), so "required" is
    /// what the endpoint requires: <see cref="AcceptsBodyAttribute.RequiredMembers"/> and the members declared non-nullable.
    /// </summary>
    private static async Task<IOpenApiSchema> RequestSchemaAsync(AcceptsBodyAttribute accepted, OpenApiOperationTransformerContext context,
        OpenApiDocument document, CancellationToken ct)
    {
        var type = accepted.Schema;
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.ContainsKey(type.Name))
        {
            var schema = await context.GetOrCreateSchemaAsync(type, null, ct);
            if (schema is OpenApiSchema concrete)
            {
                var nullability = new System.Reflection.NullabilityInfoContext();
                var nonNullable = type.GetProperties()
                    .Where(p => !p.IsDefined(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), true))
                    .Where(p => p.PropertyType.IsValueType ? Nullable.GetUnderlyingType(p.PropertyType) is null : nullability.Create(p).ReadState == System.Reflection.NullabilityState.NotNull)
                    .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name));
                concrete.Required = new HashSet<string>(accepted.RequiredMembers.Concat(nonNullable).Where(m => concrete.Properties?.ContainsKey(m) == true));
            }
            document.AddComponent(type.Name, schema);
        }
        return new OpenApiSchemaReference(type.Name, document);
    }

    private static void AddHeaderParameter(OpenApiOperation operation, string name, bool required)
    {
        if (operation.Parameters!.Any(p => p.In == ParameterLocation.Header && string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))) return;
        operation.Parameters!.Add(new OpenApiParameter
        {
            Name = name, In = ParameterLocation.Header, Required = required, Description = HeaderDescription(name), Schema = Text(),
        });
    }

    private static OpenApiSchema Text() => new() { Type = JsonSchemaType.String };

    /// <summary>
    /// One <c>[ProducesResponseType]</c> names one type for all its media types; it describes the JSON one. Every other representation is
    /// text (CSV, Turtle, XML, a diff, a signed note, an event stream) or bytes (PDF, tiles, stored content of any type).
    /// </summary>
    private static IOpenApiSchema? DescribedAs(string mediaType, IOpenApiSchema? schema)
    {
        var type = mediaType.Split(';')[0].Trim().ToLowerInvariant();
        if (type == "application/json") return schema;
        if (type.EndsWith("+json", StringComparison.Ordinal)) return new OpenApiSchema { Type = JsonSchemaType.Object };
        if (type.StartsWith("text/", StringComparison.Ordinal) || type is "application/xml" or "application/link-format" or "application/x-ndjson")
        {
            return Text();
        }
        return new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
    }

    private static string Code(int status) => status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Join(string? first, string second) => string.IsNullOrEmpty(first) ? second : first + "\n\n" + second;

    /// <summary>RFC 9457 problem details, as every error of the API is written (<see cref="Problems"/>).</summary>
    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details. Clients branch on `type`; `title` and `detail` are for people. Some problems carry "
            + "extension members (`currentRevision`, `basedOn`, `limit`, …).",
        Required = new HashSet<string> { "type", "title", "status" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = $"A stable URI: `{Problems.TypePrefix}<slug>`.", Examples = [JsonValue(Problems.Validation.Type)] },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Per-field messages of a validation problem, by field name (`documents[2].title` for an item of a list).",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
        AdditionalPropertiesAllowed = true,
    };

    private static System.Text.Json.Nodes.JsonNode JsonValue(string value) => System.Text.Json.Nodes.JsonValue.Create(value);

    private static string ResponseDescription(int status, string? given) => status switch
    {
        200 or 201 when !string.IsNullOrEmpty(given) && given is not ("OK" or "Created") => given,
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No content",
        304 => "Not modified: `If-None-Match` names the current entity tag.",
        400 => "Malformed: a body that is not valid JSON or form data, a header or parameter that cannot be read.",
        401 => "No valid API key (`unauthenticated`).",
        403 => "The API key's roles do not allow this (`forbidden`).",
        404 => "No such resource, or not one this API key may see (`not-found`).",
        406 => "None of the accepted media types, or the requested format, can be produced (`not-acceptable`).",
        409 => "Conflicts with the current state, or a request with this `Idempotency-Key` is still in progress.",
        412 => "Stale: the document has moved on since the revision `If-Match` names (`stale-revision`); `ETag` names the current one.",
        413 => "The content is larger than the configured limit (`content-too-large`).",
        415 => "The request's content type is not accepted here (`unsupported-media-type`).",
        422 => "Invalid: per-field `errors` (`validation`), or the `Idempotency-Key` was used for a different request.",
        428 => "`If-Match` is required: name the revision this change is based on (`precondition-required`).",
        500 => "The server holds data that fails its own checks (`fixity-failed`, `ledger-mismatch`), or an unexpected error.",
        503 => "The ledger is behind the requested events, or its database is unavailable; retry later.",
        _ => string.IsNullOrEmpty(given) ? "Response" : given,
    };

    /// <summary>Response headers sent every time a response declares them; the others only when they apply (a next page, a memento).</summary>
    private static readonly HashSet<string> AlwaysSent = ["Location", "ETag", "Repr-Digest", "Content-Language", "Vary"];

    private static string HeaderDescription(string name) => name switch
    {
        "Location" => "The URL of what the request created.",
        "ETag" => "The entity tag. A document's names its revision (`\"3\"`): send it back as `If-Match` to base a change on it.",
        "Link" => "RFC 8288 links: `rel=\"next\"` for the next page, or the Memento relations (`original`, `timegate`, `timemap`).",
        "Repr-Digest" => "RFC 9530 digest of the bytes sent: `sha-256=:<base64>:`.",
        "Content-Language" => "The language of the content.",
        "Content-Disposition" => "`attachment` for active content types, with a file name.",
        "Memento-Datetime" => "RFC 7089: when this memento (revision) became current.",
        "Vary" => "The request headers the answer depends on.",
        "Retry-After" => "Seconds to wait before retrying.",
        Reports.ProvenanceReportEndpoint.SignatureHeader => "The report's detached signature by the ledger's key.",
        "If-Match" => "The entity tag of the revision this change is based on (the document's `ETag`, for example `\"1\"`).",
        "If-None-Match" => "Entity tags the client already holds: a match answers 304.",
        "Accept-Datetime" => "RFC 7089 datetime negotiation: the revision current at that time (RFC 1123 date).",
        "Idempotency-Key" => "Makes a retry safe: the same key and request (per API key) returns the first response with `Idempotent-Replayed: true` and records nothing new.",
        "Last-Event-ID" => "Resume the stream after this cursor (the `id:` of the last event received).",
        _ => name,
    };

    /// <summary>Component schemas nothing refers to any more (<c>IResult</c>, once every response is declared), transitively from the paths.</summary>
    private static async Task RemoveUnreferencedSchemasAsync(OpenApiDocument document, CancellationToken ct)
    {
        if (document.Components?.Schemas is not { Count: > 0 } schemas) return;
        using var stream = new MemoryStream();
        await document.SerializeAsJsonAsync(stream, OpenApiSpecVersion.OpenApi3_1, ct);
        using var json = JsonDocument.Parse(stream.ToArray());
        var components = json.RootElement.GetProperty("components").TryGetProperty("schemas", out var s) ? s : default;
        var reached = new HashSet<string>();
        var pending = new Stack<string>(References(json.RootElement.GetProperty("paths").GetRawText()));
        while (pending.TryPop(out var name))
        {
            if (!reached.Add(name) || components.ValueKind != JsonValueKind.Object || !components.TryGetProperty(name, out var schema)) continue;
            foreach (var next in References(schema.GetRawText())) pending.Push(next);
        }
        foreach (var name in schemas.Keys.Where(n => !reached.Contains(n)).ToList()) schemas.Remove(name);
    }

    private static IEnumerable<string> References(string json) => SchemaReference().Matches(json).Select(m => m.Groups[1].Value);

    [GeneratedRegex("^(GET|POST|PUT|PATCH|DELETE|HEAD)_[A-Za-z0-9_]*$")]
    private static partial Regex WolverineName();

    [GeneratedRegex("\"#/components/schemas/([^\"]+)\"")]
    private static partial Regex SchemaReference();
}
