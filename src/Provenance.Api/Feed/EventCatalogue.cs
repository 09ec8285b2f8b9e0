using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;
using Marten;

namespace Provenance.Api.Feed;

/// <summary>One CloudEvents type the feed, the SSE stream and webhooks emit, and the stored event behind it.</summary>
public sealed record EventDefinition(string Type, string Alias, Type DataType)
{
    public string Summary => DataType.GetCustomAttribute<DescriptionAttribute>()?.Description ?? DataType.Name;
}

/// <summary>
/// The event types integrators see: every event type of ours that Marten maps, named <c>org.provenance.&lt;noun&gt;.&lt;verb&gt;.v1</c>.
/// Marten's own lifecycle events are not ours and never published: its single-stream projections register JasperFx's
/// <c>Archived</c> (and <c>Compacted&lt;T&gt;</c>) whether or not anything appends one (jasperfx#778), which is how an
/// undocumented <c>org.provenance.archived.v1</c> used to be offered as a filter; nothing here archives a stream.
/// </summary>
public sealed class EventCatalogue
{
    public const string SchemaPathPrefix = "/api/events/schemas/";
    public const string SchemaDialect = "https://json-schema.org/draft/2020-12/schema";
    public const string SchemaMediaType = "application/schema+json";

    private readonly Dictionary<string, EventDefinition> _byType;

    public EventCatalogue(IDocumentStore store)
    {
        All = store.Options.Events.AllKnownEventTypes().Where(t => IsPublished(t.EventType))
            .Select(t => new EventDefinition(CloudEventTypes.FromAlias(t.EventTypeName), t.EventTypeName, t.EventType))
            .OrderBy(d => LifeOrder(d.DataType)).ThenBy(d => d.Type, StringComparer.Ordinal).ToList();
        _byType = All.ToDictionary(d => d.Type, StringComparer.Ordinal);
        Aliases = All.Select(d => d.Alias).ToArray();
        Documented = [.. All, .. WebhookOnly];
    }

    /// <summary>CloudEvents types sent to webhooks only, never stored nor on the feed: the subscription test event.</summary>
    public static readonly IReadOnlyList<EventDefinition> WebhookOnly = [SubscriptionTestEvent.Definition];

    /// <summary>Every type with a served data schema: the stored ones (<see cref="All"/>) and <see cref="WebhookOnly"/>.</summary>
    public IReadOnlyList<EventDefinition> Documented { get; }

    /// <summary>A type of <see cref="Documented"/>, by its CloudEvents type.</summary>
    public EventDefinition? FindDocumented(string type) => Find(type) ?? WebhookOnly.FirstOrDefault(d => d.Type == type);

    /// <summary>A document's life (<see cref="Documents.DocumentEventTypes"/>), then the others by name.</summary>
    public IReadOnlyList<EventDefinition> All { get; }

    /// <summary>Marten's type names of the published events: what the feed reads from <c>mt_events</c>.</summary>
    public IReadOnlyList<string> Aliases { get; }

    public IReadOnlySet<string> Types => _byType.Keys.ToHashSet(StringComparer.Ordinal);

    public EventDefinition? Find(string type) => _byType.GetValueOrDefault(type);

    private static int LifeOrder(Type type)
    {
        var index = Documents.DocumentEventTypes.All.ToList().IndexOf(type);
        return index < 0 ? int.MaxValue : index;
    }

    /// <summary>Ours, not Marten's bookkeeping (tombstones) nor JasperFx's stream lifecycle events.</summary>
    public static bool IsPublished(Type dataType) => dataType.Assembly == typeof(EventCatalogue).Assembly;

    public static string SchemaUrl(string baseUrl, string type) => baseUrl + SchemaPathPrefix + type;

    /// <summary>
    /// The JSON Schema (2020-12) of an event's <c>data</c>, generated from the event record with the names the store writes
    /// (camelCase). A member is required unless it may be null: an event's shape only grows, by new optional members, so events
    /// stored before a member existed lack it. Unknown members are allowed for the same reason.
    /// </summary>
    public static JsonObject Schema(EventDefinition definition, string baseUrl)
    {
        var schema = (JsonObject)StoredShape.GetJsonSchemaAsNode(definition.DataType, Exporter);
        RequireNonNullable(schema);
        var root = new JsonObject
        {
            ["$schema"] = SchemaDialect,
            ["$id"] = SchemaUrl(baseUrl, definition.Type),
            ["title"] = definition.Type,
            ["description"] = definition.Summary,
        };
        foreach (var (key, value) in schema.ToList())
        {
            schema.Remove(key);
            if (!root.ContainsKey(key)) root[key] = value;
        }
        return root;
    }

    // Marten stores events with System.Text.Json, camelCase names, nulls written (ProvenanceSetup's UseSystemTextJsonForSerialization).
    private static readonly JsonSerializerOptions StoredShape = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static readonly JsonSchemaExporterOptions Exporter = new()
    {
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = (context, node) =>
        {
            if (node is not JsonObject schema) return node;
            var attributes = context.PropertyInfo?.AttributeProvider;
            var description = attributes?.GetCustomAttributes(typeof(DescriptionAttribute), true).OfType<DescriptionAttribute>().FirstOrDefault()
                ?? (context.PropertyInfo is null ? context.TypeInfo.Type.GetCustomAttribute<DescriptionAttribute>() : null);
            if (description is not null) schema["description"] = description.Description;
            if (attributes?.GetCustomAttributes(typeof(RegularExpressionAttribute), true).OfType<RegularExpressionAttribute>().FirstOrDefault() is { } pattern)
            {
                schema["pattern"] = pattern.Pattern;
            }
            return schema;
        },
    };

    private static void RequireNonNullable(JsonObject schema)
    {
        if (schema["properties"] is JsonObject properties)
        {
            var required = new JsonArray();
            foreach (var (name, property) in properties)
            {
                if (property is not JsonObject p) continue;
                RequireNonNullable(p);
                var nullable = p["type"] is JsonArray types && types.Any(t => t?.GetValue<string>() == "null");
                if (!nullable) required.Add(name);
            }
            schema.Remove("required");
            if (required.Count > 0) schema["required"] = required;
        }
        if (schema["items"] is JsonObject items) RequireNonNullable(items);
    }
}
