using JasperFx.Events;
using Provenance.Api.EventStore;

namespace Provenance.Api.Documents;

/// <summary>The facts of one event, flattened: what history pages, the audit log and the pages show of it.</summary>
public class EventFacts
{
    public Guid DocumentId { get; set; }
    /// <summary>Position in the document's stream (1-based).</summary>
    public long Version { get; set; }
    /// <summary>Position in the whole ledger.</summary>
    public long Sequence { get; set; }
    /// <summary>The event type's stable name, e.g. <c>document_edited</c>.</summary>
    public string Type { get; set; } = "";
    /// <summary>The revision the event created, translated or verified.</summary>
    public int Revision { get; set; }
    public string? Language { get; set; }
    public string Actor { get; set; } = "";
    public DateTimeOffset Timestamp { get; set; }
    public string? Reason { get; set; }
    public string? CorrelationId { get; set; }
    public string? ContentDigest { get; set; }
    public string? MediaType { get; set; }
    public long? Size { get; set; }
    public string? Method { get; set; }
    public string? Verdict { get; set; }
    public string? ClaimQuote { get; set; }
    /// <summary>Set on an event imported by <c>provenance restore</c>: where it was first recorded.</summary>
    public ImportedFrom? ImportedFrom { get; set; }

    public void Fill(IEvent e) => Fill(e.StreamId, e.Version, e.Sequence, e.EventTypeName, e.Timestamp, e.CorrelationId, e.Data);

    protected void Fill(Guid stream, long version, long sequence, string type, DateTimeOffset timestamp, string? correlationId, object data)
    {
        (DocumentId, Version, Sequence, Type, Timestamp, CorrelationId) = (stream, version, sequence, type, timestamp, correlationId);
        switch (data)
        {
            case DocumentIngested i:
                ImportedFrom = i.ImportedFrom;
                (Revision, Language, Actor, Reason, ContentDigest, MediaType, Size) = (1, i.Language, i.Actor, i.Reason, i.ContentDigest, i.MediaType, i.Size);
                break;
            case DocumentEdited d:
                ImportedFrom = d.ImportedFrom;
                (Revision, Actor, Reason, ContentDigest, MediaType, Size) = (d.Revision, d.Actor, d.Reason, d.ContentDigest, d.MediaType, d.Size);
                break;
            case DocumentTranslated t:
                ImportedFrom = t.ImportedFrom;
                (Revision, Language, Actor, Reason, ContentDigest, MediaType, Size, Method) =
                    (t.SourceRevision, t.Language, t.Actor, t.Reason, t.ContentDigest, t.MediaType, t.Size, t.Method);
                break;
            case DocumentVerified v:
                ImportedFrom = v.ImportedFrom;
                (Revision, Language, Actor, Reason, Method, Verdict, ClaimQuote) = (v.Revision, v.Language, v.Actor, v.Reason, v.Method, v.Verdict, v.Claim?.Quote);
                break;
            case DocumentRedacted r:
                (Actor, Reason) = (r.Actor, $"{r.Reason} ({r.LegalBasis.Code}{(r.Reference is null ? "" : $", {r.Reference}")})");
                break;
            case DocumentWithdrawn w:
                (Actor, Reason) = (w.Actor, $"{w.Reason} ({w.LegalBasis.Code}{(w.Reference is null ? "" : $", {w.Reference}")})");
                break;
            case DocumentReinstated r:
                (Actor, Reason) = (r.Actor, r.Reason);
                break;
            case DocumentHeld h:
                (Actor, Reason) = (h.Actor, h.Reason);
                break;
            case DocumentHoldReleased h:
                (Actor, Reason) = (h.Actor, h.Reason);
                break;
        }
    }
}

/// <summary>One event of one document's history.</summary>
public sealed class HistoryEntry : EventFacts
{
    public static HistoryEntry From(StoredEvent e, object data)
    {
        var entry = new HistoryEntry();
        entry.Fill(e.StreamId, e.Version, e.Sequence, e.Type, e.Timestamp, e.CorrelationId, data);
        return entry;
    }
}

/// <summary>One own-language revision, addressable by number: what the content endpoint resolves.</summary>
public sealed record RevisionRecord(
    Guid DocumentId, int Revision, string MediaType, string ContentDigest, long Size, int LinesAdded, int LinesRemoved, string Actor,
    string? Reason, DateTimeOffset RecordedAt, long Sequence, long Version);

/// <summary>One recorded translation (every one, not only the latest per language).</summary>
public sealed record TranslationRecord(
    Guid DocumentId, string Language, int SourceRevision, string MediaType, string ContentDigest, long Size, string Translator, string Method,
    string Actor, string? Reason, DateTimeOffset RecordedAt, long Sequence, long Version);

/// <summary>Everything recorded about one document, read from its stream in one indexed query, as the pages and proofs use it.</summary>
public sealed record DocumentRecordSet(IReadOnlyList<HistoryEntry> History, IReadOnlyList<RevisionRecord> Revisions,
    IReadOnlyList<TranslationRecord> Translations)
{
    /// <summary>The latest translation into <paramref name="language"/> (of <paramref name="sourceRevision"/> when given).</summary>
    public TranslationRecord? LatestTranslation(string language, int? sourceRevision, bool exact)
        => Translations.LastOrDefault(t =>
            (exact ? string.Equals(t.Language, language, StringComparison.OrdinalIgnoreCase) : Languages.Matches(language, t.Language))
            && (sourceRevision is null || t.SourceRevision == sourceRevision));
}

/// <summary>
/// Revisions, translations and history served straight from the document's own stream (Marten's (stream_id, version) index):
/// nothing is copied at write time, so an edit commits one event and one view, and these reads see it at once.
/// </summary>
public sealed class DocumentRecords(StoredEvents events, EventTypeNames names)
{
    public EventTypeNames Names => names;

    string[] RevisionTypes => [names.Of<DocumentIngested>(), names.Of<DocumentEdited>()];

    public async Task<DocumentRecordSet> AllAsync(Guid id, CancellationToken ct, DateTimeOffset? until = null)
        => Collect(await events.OfStreamAsync(id, ct, until: until));

    public async Task<IReadOnlyList<RevisionRecord>> RevisionsAsync(Guid id, CancellationToken ct, DateTimeOffset? until = null)
        => Collect(await events.OfStreamAsync(id, ct, types: RevisionTypes, until: until)).Revisions;

    public async Task<RevisionRecord?> RevisionAsync(Guid id, int revision, CancellationToken ct)
        => (await RevisionsAsync(id, ct)).FirstOrDefault(r => r.Revision == revision);

    public async Task<IReadOnlyList<TranslationRecord>> TranslationsAsync(Guid id, CancellationToken ct, DateTimeOffset? until = null)
        => Collect(await events.OfStreamAsync(id, ct, types: [names.Of<DocumentTranslated>()], until: until)).Translations;

    /// <summary>A page of history after <paramref name="afterVersion"/>, optionally of some event types.</summary>
    public async Task<IReadOnlyList<HistoryEntry>> HistoryAsync(Guid id, long afterVersion, int limit, IReadOnlyCollection<string>? types,
        CancellationToken ct)
        => Collect(await events.OfStreamAsync(id, ct, afterVersion, limit, types)).History;

    DocumentRecordSet Collect(IReadOnlyList<StoredEvent> stored)
    {
        var history = new List<HistoryEntry>(stored.Count);
        var revisions = new List<RevisionRecord>();
        var translations = new List<TranslationRecord>();
        foreach (var e in stored)
        {
            object? data = e.Type == names.Of<DocumentIngested>() ? e.DataAs<DocumentIngested>()
                : e.Type == names.Of<DocumentEdited>() ? e.DataAs<DocumentEdited>()
                : e.Type == names.Of<DocumentTranslated>() ? e.DataAs<DocumentTranslated>()
                : e.Type == names.Of<DocumentVerified>() ? e.DataAs<DocumentVerified>()
                : e.Type == names.Of<DocumentRedacted>() ? e.DataAs<DocumentRedacted>()
                : e.Type == names.Of<DocumentWithdrawn>() ? e.DataAs<DocumentWithdrawn>()
                : e.Type == names.Of<DocumentReinstated>() ? e.DataAs<DocumentReinstated>()
                : e.Type == names.Of<DocumentHeld>() ? e.DataAs<DocumentHeld>()
                : e.Type == names.Of<DocumentHoldReleased>() ? e.DataAs<DocumentHoldReleased>()
                : null;
            if (data is null) continue;
            history.Add(HistoryEntry.From(e, data));
            switch (data)
            {
                case DocumentIngested i:
                    revisions.Add(new RevisionRecord(e.StreamId, 1, i.MediaType, i.ContentDigest, i.Size, 0, 0, i.Actor, i.Reason, e.Timestamp, e.Sequence, e.Version));
                    break;
                case DocumentEdited d:
                    revisions.Add(new RevisionRecord(e.StreamId, d.Revision, d.MediaType, d.ContentDigest, d.Size, d.LinesAdded, d.LinesRemoved, d.Actor,
                        d.Reason, e.Timestamp, e.Sequence, e.Version));
                    break;
                case DocumentTranslated t:
                    translations.Add(new TranslationRecord(e.StreamId, t.Language, t.SourceRevision, t.MediaType, t.ContentDigest, t.Size, t.Translator,
                        t.Method, t.Actor, t.Reason, e.Timestamp, e.Sequence, e.Version));
                    break;
            }
        }
        return new DocumentRecordSet(history, revisions, translations);
    }
}
