using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Provenance.Api.Feed;

/// <summary>
/// One ledger event as a CloudEvents 1.0 structured-mode JSON object. <c>id</c> is the event's own id (stable across
/// reads, replays and nodes); <c>sequence</c> (the CloudEvents sequence extension) is its global position.
/// </summary>
public sealed record CloudEvent(
    [property: JsonPropertyName("specversion")] string SpecVersion,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("time")] string Time,
    [property: JsonPropertyName("datacontenttype")] string DataContentType,
    [property: JsonPropertyName("sequence")] string Sequence,
    [property: JsonPropertyName("streamversion")] long StreamVersion,
    [property: JsonPropertyName("data")] JsonElement Data)
{
    public const string MediaType = "application/cloudevents+json";

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static CloudEvent From(FeedEvent e, string source) => new("1.0", e.Id.ToString(), source, e.CloudEventType, e.StreamId.ToString(),
        e.Timestamp.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture), "application/json",
        e.Sequence.ToString(CultureInfo.InvariantCulture), e.Version, JsonDocument.Parse(e.Data).RootElement.Clone());

    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, Json);
}

/// <summary>Maps Marten's event type names (<c>document_translated</c>) to CloudEvents types (<c>org.provenance.document.translated.v1</c>).</summary>
public static class CloudEventTypes
{
    public const string Prefix = "org.provenance.";
    public const string Version = ".v1";

    /// <summary>Marten's own bookkeeping events (sequence-gap tombstones) are not part of the feed.</summary>
    public static bool IsInternal(string alias) => alias is "tombstone" || alias.StartsWith("mt_", StringComparison.Ordinal);

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
