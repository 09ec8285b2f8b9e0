using Marten;
using Microsoft.AspNetCore.Authorization;
using Provenance.Api.Http;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Documents;

/// <summary>
/// A node of the derivation graph, named as W3C PROV does: an entity (a revision or a translation) or an activity's outcome
/// (a verification). Translations say whether the source has moved on since.
/// </summary>
public sealed record LineageNode(
    string Id, string Kind, string Label, int Revision, string? Language, string? ContentDigest, string Actor, DateTimeOffset At,
    bool? Outdated = null, int? RevisionsBehind = null, bool? Latest = null, string? Method = null, string? Verdict = null, string? Claim = null);

/// <summary><c>revisionOf</c> (newer → older revision), <c>translationOf</c> (translation → its source revision), <c>verifies</c>.</summary>
public sealed record LineageEdge(string From, string To, string Type);

public sealed record Lineage(Guid DocumentId, int CurrentRevision, IReadOnlyList<LineageNode> Nodes, IReadOnlyList<LineageEdge> Edges);

public static class LineageEndpoint
{
    public const string RevisionOf = "revisionOf";
    public const string TranslationOf = "translationOf";
    public const string Verifies = "verifies";

    [WolverineGet("/api/documents/{id}/lineage", OperationId = "getLineage"), Authorize]
    [Tags(ApiTags.Documents), EndpointSummary("The derivation graph of revisions, translations and verifications")]
    [ProducesResponseType<Lineage>(200, "application/json"), ProblemResponses(404)]
    public static async Task<IResult> Get(Guid id, HttpContext context, IQuerySession session, DocumentRecords records)
    {
        var ct = context.RequestAborted;
        var view = await session.LoadAsync<DocumentView>(id, ct);
        if (view is null) return Problems.DocumentNotFound(id);
        if (ErasedReads.Withdrawn(view, context.User, context.Response) is { } unavailable) return unavailable;
        return Results.Ok(await LoadAsync(records, view, ct));
    }

    public static async Task<Lineage> LoadAsync(DocumentRecords records, DocumentView view, CancellationToken ct)
    {
        var all = await records.AllAsync(view.Id, ct);
        return Build(view, all.Revisions, all.Translations, all.History.Where(h => h.Verdict is not null).ToList());
    }

    public static Lineage Build(DocumentView view, IReadOnlyList<RevisionRecord> revisions, IReadOnlyList<TranslationRecord> translations,
        IReadOnlyList<EventFacts> verifications)
    {
        var nodes = new List<LineageNode>();
        var edges = new List<LineageEdge>();
        foreach (var r in revisions)
        {
            nodes.Add(new LineageNode(RevisionNode(r.Revision), "revision", $"Revision {r.Revision}", r.Revision, view.Language, r.ContentDigest,
                r.Actor, r.RecordedAt));
            if (r.Revision > 1) edges.Add(new LineageEdge(RevisionNode(r.Revision), RevisionNode(r.Revision - 1), RevisionOf));
        }
        var latest = translations.GroupBy(t => t.Language, StringComparer.OrdinalIgnoreCase).Select(g => g.Last().Sequence).ToHashSet();
        foreach (var t in translations)
        {
            var behind = view.Revision - t.SourceRevision;
            nodes.Add(new LineageNode(TranslationNode(t.Sequence), "translation", $"{t.Language} translation of revision {t.SourceRevision}",
                t.SourceRevision, t.Language, t.ContentDigest, t.Actor, t.RecordedAt, Outdated: behind > 0, RevisionsBehind: behind,
                Latest: latest.Contains(t.Sequence), Method: t.Method));
            edges.Add(new LineageEdge(TranslationNode(t.Sequence), RevisionNode(t.SourceRevision), TranslationOf));
        }
        foreach (var v in verifications)
        {
            var node = $"verification:{v.Sequence}";
            nodes.Add(new LineageNode(node, "verification", $"{v.Verdict} ({v.Method})", v.Revision, v.Language, null, v.Actor, v.Timestamp,
                Method: v.Method, Verdict: v.Verdict, Claim: v.ClaimQuote));
            // A verdict on a translation concerns the translation of that revision that stood when the verdict was given.
            var target = v.Language is null
                ? RevisionNode(v.Revision)
                : translations.LastOrDefault(t => t.Sequence < v.Sequence && t.SourceRevision == v.Revision
                                                  && string.Equals(t.Language, v.Language, StringComparison.OrdinalIgnoreCase)) is { } translation
                    ? TranslationNode(translation.Sequence)
                    : RevisionNode(v.Revision);
            edges.Add(new LineageEdge(node, target, Verifies));
        }
        return new Lineage(view.Id, view.Revision, nodes, edges);
    }

    private static string RevisionNode(int revision) => $"revision:{revision}";
    private static string TranslationNode(long sequence) => $"translation:{sequence}";
}
