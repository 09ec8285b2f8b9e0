using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Provenance.Api.EventStore;

namespace Provenance.Api.Feed;

/// <summary>
/// One ledger event as a CloudEvents 1.0 structured-mode JSON object. <c>id</c> is the event's own id (stable across
/// reads, replays and nodes); <c>sequence</c> (the CloudEvents sequence extension) is its global position, zero-padded to
/// <see cref="SequenceDigits"/> digits so that, as the extension requires, the strings sort in the order of the numbers;
/// <c>dataschema</c> is the absolute URL of the JSON Schema of <c>data</c> (<see cref="EventCatalogue"/>).
/// </summary>
public sealed record CloudEvent(
    [property: JsonPropertyName("specversion")] string SpecVersion,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("time")] string Time,
    [property: JsonPropertyName("datacontenttype")] string DataContentType,
    [property: JsonPropertyName("dataschema")] string DataSchema,
    [property: JsonPropertyName("sequence")] string Sequence,
    [property: JsonPropertyName("streamversion")] long StreamVersion,
    [property: JsonPropertyName("data")] JsonElement Data)
{
    public const string MediaType = "application/cloudevents+json";

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Wide enough for any <see cref="long"/> (19 digits), with one to spare.</summary>
    public const int SequenceDigits = 20;

    /// <param name="baseUrl">The absolute base of <c>dataschema</c> (<see cref="PublicBaseUrl"/>).</param>
    public static CloudEvent From(StoredEvent e, string source, string baseUrl) => new("1.0", e.Id.ToString(), source, CloudEventTypes.FromAlias(e.Type),
        e.StreamId.ToString(), TimeOf(e.Timestamp), DataMediaType, EventCatalogue.SchemaUrl(baseUrl, CloudEventTypes.FromAlias(e.Type)), SequenceOf(e.Sequence),
        e.Version, JsonDocument.Parse(e.Data).RootElement.Clone());

    /// <summary>The <c>datacontenttype</c> of every event's <c>data</c>.</summary>
    public const string DataMediaType = "application/json";

    /// <summary>The <c>time</c> attribute: RFC 3339 in UTC, to the microsecond the store keeps.</summary>
    public static string TimeOf(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static string SequenceOf(long position) => position.ToString("D" + SequenceDigits, CultureInfo.InvariantCulture);

    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, Json);
}

/// <summary>Maps Marten's event type names (<c>document_translated</c>) to CloudEvents types (<c>org.provenance.document.translated.v1</c>).</summary>
public static class CloudEventTypes
{
    public const string Prefix = "org.provenance.";
    public const string Version = ".v1";

    public static string FromAlias(string alias)
    {
        var split = alias.IndexOf('_');
        var name = split < 0 ? alias : alias[..split] + "." + alias[(split + 1)..];
        return Prefix + name + Version;
    }

    public static string? ToAlias(string type)
    {
        if (!type.StartsWith(Prefix, StringComparison.Ordinal) || !type.EndsWith(Version, StringComparison.Ordinal)) return null;
        var name = type[Prefix.Length..^Version.Length];
        var dot = name.IndexOf('.');
        return dot < 0 ? name : name[..dot] + "_" + name[(dot + 1)..];
    }
}
