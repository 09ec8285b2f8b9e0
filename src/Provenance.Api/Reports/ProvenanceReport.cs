using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using Provenance.Api.Documents;
using Provenance.Api.Ledger;
using Provenance.Ledger;
using Provenance.Api.EventStore;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Reports;

/// <summary>
/// Everything a compliance reviewer needs about one document, computed from its events alone (never from "now",
/// except <see cref="GeneratedAt"/>): the model every export format renders.
/// </summary>
public sealed record ProvenanceReport(
    string Format,
    DateTimeOffset GeneratedAt,
    ReportDocument Document,
    IReadOnlyList<ReportEvent> Events,
    IReadOnlyList<ReportRevision> Revisions,
    IReadOnlyList<ReportTranslation> Translations,
    IReadOnlyList<ReportVerdict> Verifications,
    IReadOnlyList<ReportFixityCheck> FixityChecks,
    ReportLineage Lineage,
    ReportIntegrity Integrity)
{
    /// <summary>The people (and tools) the events name, as the people directory describes them when the report is made.</summary>
    public IReadOnlyList<Access.ReportAgent> Agents { get; init; } = [];

    /// <summary>How the report names a login: its display name, or the login itself.</summary>
    public string Label(string login) => Agents.FirstOrDefault(a => a.Name == login)?.Label ?? login;

    public Access.ReportAgent? Agent(string login) => Agents.FirstOrDefault(a => a.Name == login);
}

public sealed record ReportDocument(Guid Id, string Title, string Language, string MediaType, int CurrentRevision, string ContentDigest, long Size,
    string? OriginalFileName, string? SourceUri, string? Publisher, DateTimeOffset? PublishedAt, string Channel,
    DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>One event: <c>Kind</c> is the event record's name, <c>EventType</c> the name the store (and the leaf) commits to, <c>Data</c> the stored payload.</summary>
public sealed record ReportEvent(long Sequence, long Version, string Kind, string EventType, DateTimeOffset Timestamp, string Actor, string? Reason,
    string? CorrelationId, string? CausationId, string Summary, JsonElement Data);

public sealed record ReportRevision(int Revision, int? BaseRevision, string MediaType, string ContentDigest, long Size, int? LinesAdded, int? LinesRemoved,
    string Actor, string? Reason, DateTimeOffset RecordedAt, long Sequence);

/// <summary>A translation; <c>Outdated</c> when its source is older than the current revision, <c>Superseded</c> when a later one into the same language exists.</summary>
public sealed record ReportTranslation(string Language, int SourceRevision, string MediaType, string ContentDigest, long Size, string Translator, string Method,
    string Actor, string? Reason, DateTimeOffset RecordedAt, long Sequence, bool Outdated, bool Superseded);

/// <summary>A verdict; <c>Target</c> is the lineage node it verifies.</summary>
public sealed record ReportVerdict(int Revision, string? Language, VerifiedClaim? Claim, string Method, string Verdict, IReadOnlyList<string> Evidence,
    string? Notes, string Actor, string? Reason, DateTimeOffset VerifiedAt, long Sequence, string Target);

public sealed record ReportFixityCheck(string ContentDigest, string Outcome, string? Detail, string Actor, DateTimeOffset CheckedAt, long Sequence);

public sealed record ReportLineage(IReadOnlyList<LineageNode> Nodes, IReadOnlyList<LineageEdge> Edges);

/// <summary>A node: <c>Kind</c> is revision, translation or verification; ids are <c>revision/N</c>, <c>translation/SEQ</c>, <c>verification/SEQ</c>.</summary>
public sealed record LineageNode(string Id, string Kind, string Label, DateTimeOffset At, string Actor);

/// <summary>An edge: <c>Relation</c> is revisionOf, translationOf or verifies.</summary>
public sealed record LineageEdge(string From, string To, string Relation);

/// <summary>
/// The signed checkpoint the proofs are against, its verifier key, per event its leaf and inclusion proof, and the document map proof
/// that these are all the document's events in the checkpoint.
/// </summary>
public sealed record ReportIntegrity(string Origin, long TreeSize, byte[] RootHash, string Checkpoint, string VerifierKey, DateTimeOffset CheckpointCreatedAt,
    long PendingEvents, IReadOnlyList<DocumentEventProof> Events)
{
    public CompletenessProof? Completeness { get; init; }
    /// <summary>RFC 3161 time-stamps of the checkpoint's note as the log signed it (<c>logNote</c>), from the configured authorities.</summary>
    public IReadOnlyList<CheckpointTimestamp> Timestamps { get; init; } = [];

    /// <summary>The checkpoint note exactly as the log signed it, before cosignatures: the bytes the time-stamps cover.</summary>
    public string? LogNote { get; init; }
}

public static class ReportKinds
{
    public const string Revision = "revision";
    public const string Translation = "translation";
    public const string Verification = "verification";
    public const string RevisionOf = "revisionOf";
    public const string TranslationOf = "translationOf";
    public const string Verifies = "verifies";

    public static string RevisionNode(int revision) => $"revision/{revision}";
    public static string TranslationNode(long sequence) => $"translation/{sequence}";
    public static string VerificationNode(long sequence) => $"verification/{sequence}";
}

/// <summary>Reads a document's events (<see cref="StoredEvents"/>, with the ledger's seals) and builds its <see cref="ProvenanceReport"/>.</summary>
public sealed class ProvenanceReports(LedgerDatabase ledger, DocumentProofs proofs, CheckpointWriter checkpoints, TimeProvider time, Marten.IDocumentStore store)
{
    public const string Format = ReportVerifier.Format;

    internal static readonly JsonSerializerOptions EventJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The report, or the problem that prevents it: unknown document, not yet in the ledger, no checkpoint, or an event whose row no
    /// longer hashes to its stored leaf (<see cref="LeafCheck"/>, from the rows and leaves read here: no extra query).
    /// </summary>
    public async Task<(ProvenanceReport? Report, IResult? Problem)> ForDocumentAsync(Guid id, CancellationToken ct)
    {
        // Leaves first, events second: an event written in between is then visibly not yet in the tree, never a proof without its event.
        var leaves = await ledger.LeavesOfStreamAsync(id, ct);
        var events = await EventsOfAsync(id, ct);
        if (events.Count == 0 || events[0].Type != Names.Of<DocumentIngested>()) return (null, Http.Problems.DocumentNotFound(id));
        if (leaves.Count == 0) return (null, DocumentProofs.NotInLedger(id));
        var checkpoint = await checkpoints.PublishedAsync(ct);
        if (checkpoint is null) return (null, DocumentProofs.NoCheckpoint());
        if (LeafCheck.Compare(events, leaves, Names).FirstOrDefault() is { } mismatch) return (null, LeafCheck.Problem(mismatch));
        var inTree = leaves.Select(l => l.Sequence).ToHashSet();
        if (events.FirstOrDefault(e => !inTree.Contains(e.Sequence)) is { } newest)
        {
            // A report must not list an event it cannot prove: the Merkle subscription follows commits within about a second.
            return (null, Http.Problems.Result(Http.Problems.LedgerBehind,
                $"Event {newest.Sequence} of this document is not in the ledger's tree yet. Try again shortly.",
                extensions: new Dictionary<string, object?> { ["sequence"] = newest.Sequence }));
        }
        var report = Build(events, await proofs.AgainstAsync(id, leaves, checkpoint, ct), time.GetUtcNow(), Names);
        var timestamps = await CheckpointTimestamping.OfAsync(ledger, checkpoint.TreeSize, ct);
        return (await DescribeAgentsAsync(report with { Integrity = report.Integrity with { Timestamps = timestamps } }, ct), null);
    }

    /// <summary>The report with its <see cref="ProvenanceReport.Agents"/>: one query of the people directory for the logins its events name.</summary>
    public async Task<ProvenanceReport> DescribeAgentsAsync(ProvenanceReport report, CancellationToken ct)
    {
        await using var session = store.QuerySession(CurrentArchive.Id);
        return report with { Agents = await Access.PeopleDirectory.DescribeAsync(session, report.Events.Select(e => e.Actor), ct) };
    }

    /// <summary>The stored names of the event types (Marten's mapping).</summary>
    public EventTypeNames Names => ledger.Events.Names;

    /// <summary>Every event of the document in stream order, with the seals the ledger keeps beside them (one indexed query).</summary>
    public Task<IReadOnlyList<StoredEvent>> EventsOfAsync(Guid id, CancellationToken ct) => ledger.EventsOfStreamAsync(id, ct);

    static readonly HashSet<Type> Known =
        [typeof(DocumentIngested), typeof(DocumentEdited), typeof(DocumentTranslated), typeof(DocumentVerified), typeof(FixityChecked),
         typeof(DocumentRedacted), typeof(DocumentWithdrawn), typeof(DocumentReinstated), typeof(DocumentHeld), typeof(DocumentHoldReleased)];

    /// <summary>The event's record (null for event types reports do not know) and its payload.</summary>
    public static (object? Fact, string Kind, JsonElement Data) Interpret(StoredEvent e, EventTypeNames names)
    {
        using var json = JsonDocument.Parse(e.Data);
        var data = json.RootElement.Clone();
        return names.TypeOf(e.Type) is { } type && Known.Contains(type)
            ? (data.Deserialize(type, EventJson), type.Name, data)
            : (null, e.Type, data);
    }

    /// <summary>A pure function of the events and their proofs.</summary>
    public static ProvenanceReport Build(IReadOnlyList<StoredEvent> stored, DocumentProofResource proof, DateTimeOffset generatedAt, EventTypeNames names)
    {
        var events = new List<ReportEvent>(stored.Count);
        var revisions = new List<ReportRevision>();
        var translations = new List<ReportTranslation>();
        var verifications = new List<ReportVerdict>();
        var fixity = new List<ReportFixityCheck>();
        var nodes = new List<LineageNode>();
        var edges = new List<LineageEdge>();
        var latestTranslation = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        DocumentIngested? ingested = null;
        DateTimeOffset createdAt = default;
        var updated = (At: default(DateTimeOffset), By: "");

        foreach (var e in stored)
        {
            var (fact, kind, data) = Interpret(e, names);
            string actor = "", summary;
            string? reason = null;
            switch (fact)
            {
                case DocumentIngested i:
                    ingested = i;
                    createdAt = e.Timestamp;
                    (actor, reason) = (i.Actor, i.Reason);
                    summary = $"Ingested \"{i.Title}\" ({i.Language}) as revision 1 via {i.Channel}";
                    revisions.Add(new ReportRevision(1, null, i.MediaType, i.ContentDigest, i.Size, null, null, i.Actor, i.Reason, e.Timestamp, e.Sequence));
                    nodes.Add(new LineageNode(ReportKinds.RevisionNode(1), ReportKinds.Revision, $"Revision 1 ({i.Language})", e.Timestamp, i.Actor));
                    break;
                case DocumentEdited d:
                    (actor, reason) = (d.Actor, d.Reason);
                    summary = $"Revision {d.Revision} from revision {d.BaseRevision}: +{d.LinesAdded} −{d.LinesRemoved} lines";
                    revisions.Add(new ReportRevision(d.Revision, d.BaseRevision, d.MediaType, d.ContentDigest, d.Size, d.LinesAdded, d.LinesRemoved, d.Actor,
                        d.Reason, e.Timestamp, e.Sequence));
                    nodes.Add(new LineageNode(ReportKinds.RevisionNode(d.Revision), ReportKinds.Revision, $"Revision {d.Revision}", e.Timestamp, d.Actor));
                    edges.Add(new LineageEdge(ReportKinds.RevisionNode(d.Revision), ReportKinds.RevisionNode(d.BaseRevision), ReportKinds.RevisionOf));
                    break;
                case DocumentTranslated t:
                    (actor, reason) = (t.Actor, t.Reason);
                    summary = $"Translated revision {t.SourceRevision} into {t.Language} by {t.Translator} ({t.Method})";
                    translations.Add(new ReportTranslation(t.Language, t.SourceRevision, t.MediaType, t.ContentDigest, t.Size, t.Translator, t.Method, t.Actor,
                        t.Reason, e.Timestamp, e.Sequence, false, false));
                    latestTranslation[t.Language] = e.Sequence;
                    nodes.Add(new LineageNode(ReportKinds.TranslationNode(e.Sequence), ReportKinds.Translation,
                        $"{t.Language} translation of revision {t.SourceRevision}", e.Timestamp, t.Actor));
                    edges.Add(new LineageEdge(ReportKinds.TranslationNode(e.Sequence), ReportKinds.RevisionNode(t.SourceRevision), ReportKinds.TranslationOf));
                    break;
                case DocumentVerified v:
                    (actor, reason) = (v.Actor, v.Reason);
                    var target = v.Language is not null && latestTranslation.TryGetValue(v.Language, out var translation)
                        ? ReportKinds.TranslationNode(translation)
                        : ReportKinds.RevisionNode(v.Revision);
                    summary = $"{v.Verdict} by {v.Method}: revision {v.Revision}{(v.Language is null ? "" : $" ({v.Language})")}"
                              + (v.Claim is null ? "" : $", claim \"{v.Claim.Quote}\"");
                    verifications.Add(new ReportVerdict(v.Revision, v.Language, v.Claim, v.Method, v.Verdict, v.Evidence, v.Notes, v.Actor, v.Reason,
                        e.Timestamp, e.Sequence, target));
                    nodes.Add(new LineageNode(ReportKinds.VerificationNode(e.Sequence), ReportKinds.Verification, $"{v.Verdict} ({v.Method})", e.Timestamp, v.Actor));
                    edges.Add(new LineageEdge(ReportKinds.VerificationNode(e.Sequence), target, ReportKinds.Verifies));
                    break;
                case FixityChecked f:
                    actor = f.Actor;
                    summary = $"Fixity check of {f.ContentDigest}: {f.Outcome}";
                    fixity.Add(new ReportFixityCheck(f.ContentDigest, f.Outcome, f.Detail, f.Actor, e.Timestamp, e.Sequence));
                    break;
                case DocumentRedacted r:
                    (actor, reason) = (r.Actor, r.Reason);
                    var erased = r.Revisions.Select(x => $"content of revision {x.Revision}")
                        .Concat(r.Translations.Select(x => $"content of the {x.Language} translation of revision {x.SourceRevision}"))
                        .Concat(r.Fields.Select(x => $"{x.Field} of event {x.Version}"));
                    summary = $"Erased {string.Join(", ", erased)} under {r.LegalBasis.Code}{(r.Reference is null ? "" : $" ({r.Reference})")}";
                    break;
                case DocumentWithdrawn w:
                    (actor, reason) = (w.Actor, w.Reason);
                    summary = $"Withdrawn from view under {w.LegalBasis.Code}{(w.Reference is null ? "" : $" ({w.Reference})")}";
                    break;
                case DocumentReinstated r:
                    (actor, reason) = (r.Actor, r.Reason);
                    summary = "Withdrawal ended";
                    break;
                case DocumentHeld h:
                    (actor, reason) = (h.Actor, h.Reason);
                    summary = $"Legal hold {h.HoldId} placed{(h.Until is { } until ? $" until {until:yyyy-MM-dd}" : "")}";
                    break;
                case DocumentHoldReleased h:
                    (actor, reason) = (h.Actor, h.Reason);
                    summary = $"Legal hold {h.HoldId} released";
                    break;
                default:
                    summary = kind;
                    break;
            }
            updated = (e.Timestamp, actor);
            events.Add(new ReportEvent(e.Sequence, e.Version, kind, e.Type, e.Timestamp, actor, reason, e.CorrelationId, e.CausationId, summary, data));
        }

        var ingest = ingested ?? throw new InvalidOperationException("A document stream starts with DocumentIngested.");
        var current = revisions[^1];
        translations = translations
            .Select(t => t with { Outdated = t.SourceRevision < current.Revision, Superseded = latestTranslation[t.Language] != t.Sequence })
            .ToList();

        var document = new ReportDocument(proof.DocumentId, ingest.Title, ingest.Language, current.MediaType, current.Revision, current.ContentDigest,
            current.Size, ingest.OriginalFileName, ingest.SourceUri, ingest.Publisher, ingest.PublishedAt, ingest.Channel, createdAt, ingest.Actor,
            updated.At, updated.By);
        var c = proof.Checkpoint;
        // A verifier recomputes each format-2 leaf from the data and these seals (README of Provenance.Ledger §2a).
        var seals = stored.ToDictionary(e => e.Sequence, e => e.Seals);
        var proved = proof.Events.Select(p => p.Format == LeafEncoding.FormatVersion2 ? p with { Seals = seals.GetValueOrDefault(p.Sequence) ?? [] } : p).ToList();
        var integrity = new ReportIntegrity(c.Origin, c.TreeSize, c.RootHash, c.Note, c.VerifierKey, c.CreatedAt, proof.PendingEvents, proved)
        {
            Completeness = proof.Completeness,
            LogNote = c.LogNote,
        };
        return new ProvenanceReport(Format, generatedAt, document, events, revisions, translations, verifications, fixity,
            new ReportLineage(nodes, edges), integrity);
    }
}
