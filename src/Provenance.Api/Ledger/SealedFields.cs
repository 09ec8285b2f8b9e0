using System.Text.Json;
using Provenance.Api.Documents;
using Provenance.Api.EventStore;
using Provenance.Ledger;

namespace Provenance.Api.Ledger;

/// <summary>
/// Which fields of each event type the ledger seals in leaf format 2 (README of Provenance.Ledger §2a), so they can be erased while the
/// leaf stands: the free text people write about themselves or others. Digests, sizes, revisions, methods and verdicts are not
/// sealed: they are what the ledger proves.
/// </summary>
public static class SealedFields
{
    /// <summary>The name a redaction request uses for a field, and its path in the event payload.</summary>
    public static readonly IReadOnlyDictionary<string, string> PathOf = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["title"] = "title", ["reason"] = "reason", ["publisher"] = "publisher", ["sourceUri"] = "sourceUri",
        ["originalFileName"] = "originalFileName", ["translator"] = "translator", ["notes"] = "notes", ["evidence"] = "evidence",
        ["claimQuote"] = "claim.quote",
    };

    static readonly Dictionary<Type, string[]> ByEventType = new()
    {
        [typeof(DocumentIngested)] = ["title", "reason", "publisher", "sourceUri", "originalFileName"],
        [typeof(DocumentEdited)] = ["reason"],
        [typeof(DocumentTranslated)] = ["translator", "reason"],
        [typeof(DocumentVerified)] = ["reason", "notes", "evidence", "claim.quote"],
    };

    /// <summary>The payload paths sealed for <paramref name="eventType"/> (Marten's stored type name); none for other types.</summary>
    public static IReadOnlyList<string> For(string eventType, EventTypeNames names)
        => names.TypeOf(eventType) is { } type ? ByEventType.GetValueOrDefault(type) ?? [] : [];

    /// <summary>The request names of the fields <paramref name="eventType"/> carries that a redaction may erase.</summary>
    public static IEnumerable<string> NamesFor(string eventType, EventTypeNames names)
        => PathOf.Where(p => For(eventType, names).Contains(p.Value)).Select(p => p.Key);

    /// <summary>
    /// Every (stream, version, path) that the committed redaction events among <paramref name="events"/> erased: the only fields whose
    /// salt may be missing, and the only format-1 events whose payload may differ from its leaf.
    /// </summary>
    public static HashSet<(Guid Stream, long Version, string Path)> ErasedBy(IEnumerable<StoredEvent> events, EventTypeNames names)
    {
        var erased = new HashSet<(Guid, long, string)>();
        var redaction = names.Of<DocumentRedacted>();
        foreach (var e in events.Where(e => e.Type == redaction))
        {
            using var json = JsonDocument.Parse(e.Data);
            if (!json.RootElement.TryGetProperty("fields", out var fields) || fields.ValueKind != JsonValueKind.Array) continue;
            foreach (var f in fields.EnumerateArray())
            {
                if (f.TryGetProperty("version", out var v) && f.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String)
                {
                    erased.Add((e.StreamId, v.GetInt64(), p.GetString()!));
                }
            }
        }
        return erased;
    }
}

/// <summary>How one committed event stands against its leaf once redactions are taken into account.</summary>
public static class LeafJudgement
{
    /// <summary>
    /// Null when <paramref name="ev"/> hashes to <paramref name="leaf"/> chained to <paramref name="previous"/> (with the leaf hash it
    /// hashes to), or the kind of disagreement. A format-1 event named by a committed redaction does not hash to its leaf and is not a
    /// disagreement (<paramref name="redactedFormat1"/>); a format-2 seal without its salt is one unless a redaction names it.
    /// </summary>
    public static (bool Matches, bool RedactedFormat1, string? SealProblem, byte[] PayloadHash) Judge(StoredEvent ev, StoredLeaf leaf, byte[] previous,
        HashSet<(Guid Stream, long Version, string Path)> erased)
    {
        var (entry, payloadHash) = ev.TryToEntry(previous, leaf.Format);
        var matches = entry is not null && LeafEncoding.LeafHash(entry).AsSpan().SequenceEqual(leaf.LeafHash);
        if (leaf.Format == LeafEncoding.FormatVersion2)
        {
            var unnamed = (ev.Seals ?? []).FirstOrDefault(s => s.Redacted && !erased.Contains((ev.StreamId, ev.Version, s.Path)));
            if (unnamed is not null)
            {
                return (false, false, $"The salt of sealed field '{unnamed.Path}' of sequence {ev.Sequence} is gone, but no committed redaction erased it.", payloadHash);
            }
            return (matches, false, null, payloadHash);
        }
        var redacted = !matches && erased.Any(x => x.Stream == ev.StreamId && x.Version == ev.Version);
        return (matches, redacted, null, payloadHash);
    }
}
