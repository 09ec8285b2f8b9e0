using Microsoft.AspNetCore.Diagnostics;
using Provenance.Api.Http;
using Provenance.Ledger;
using Provenance.Api.EventStore;

namespace Provenance.Api.Ledger;

/// <summary>
/// Before anything vouches for a document's events (a report in any format, a document proof, a view replayed as of a time), each
/// event's leaf is recomputed from its <c>mt_events</c> row with the ledger's own encoding (<see cref="LedgerRows.ToEntry"/>) and
/// compared with the leaf stored when it committed, and each leaf's chain link with the leaf before it. <see cref="LedgerVerifier"/>
/// does this for the whole ledger with its nodes and checkpoints; this checks one document, from rows the caller already holds.
/// </summary>
public static class LeafCheck
{
    /// <summary>
    /// Every disagreement between a document's events and its stored leaves, by sequence. An event without a leaf is not one while it
    /// is newer than every leafed event (the tree has not reached it yet); among leafed events it was never committed.
    /// </summary>
    public static IReadOnlyList<LedgerMismatch> Compare(IReadOnlyList<StoredEvent> events, IReadOnlyList<StoredLeaf> leaves, EventTypeNames names)
    {
        var mismatches = new List<LedgerMismatch>();
        var leafBySequence = leaves.ToDictionary(l => l.Sequence);
        var leafByVersion = leaves.GroupBy(l => l.Version).ToDictionary(g => g.Key, g => g.First());
        var lastLeafed = leaves.Count == 0 ? 0 : leaves.Max(l => l.Version);
        var erased = SealedFields.ErasedBy(events, names);
        foreach (var e in events)
        {
            if (!leafBySequence.TryGetValue(e.Sequence, out var leaf))
            {
                if (e.Version < lastLeafed)
                {
                    mismatches.Add(new(MismatchKinds.UnexpectedEvent, e.Sequence, e.StreamId, e.Version, null,
                        $"Event {e.Sequence} ({e.Type}) sits among committed events but was never committed to the tree."));
                }
                continue;
            }
            var (matches, redactedFormat1, sealProblem, payloadHash) = LeafJudgement.Judge(e, leaf, leaf.ChainPrev, erased);
            byte[]? previous = e.Version == 1 ? LedgerEntry.NoPreviousHash.ToArray() : leafByVersion.GetValueOrDefault(e.Version - 1)?.LeafHash;
            if (sealProblem is not null)
            {
                mismatches.Add(new(MismatchKinds.SealRemoved, e.Sequence, e.StreamId, e.Version, leaf.LeafIndex, sealProblem));
            }
            else if (!matches && !redactedFormat1)
            {
                mismatches.Add(Diagnose(e, leaf, leaf.ChainPrev, payloadHash));
            }
            else if (previous is not null && !previous.AsSpan().SequenceEqual(leaf.ChainPrev))
            {
                mismatches.Add(Diagnose(e, leaf, previous, payloadHash));
            }
        }
        var present = events.Select(e => e.Sequence).ToHashSet();
        mismatches.AddRange(leaves.Where(l => !present.Contains(l.Sequence)).Select(l => new LedgerMismatch(MismatchKinds.MissingEvent, l.Sequence,
            l.StreamId, l.Version, l.LeafIndex, $"The event at sequence {l.Sequence} (stream {l.StreamId}, version {l.Version}) is missing from mt_events.")));
        return mismatches.OrderBy(m => m.Sequence).ToList();
    }

    /// <summary>
    /// Why an event does not hash to its leaf, given the chain link it should have (<paramref name="previous"/>): stream or version moved,
    /// payload changed (<see cref="LedgerVerifier"/> then tells a reordering apart), chain broken, or type, time or actor changed.
    /// </summary>
    public static LedgerMismatch Diagnose(StoredEvent ev, StoredLeaf leaf, byte[] previous, byte[] payloadHash)
    {
        LedgerMismatch Mismatch(string kind, string detail) => new(kind, ev.Sequence, ev.StreamId, ev.Version, leaf.LeafIndex, detail);
        if (ev.StreamId != leaf.StreamId || ev.Version != leaf.Version)
            return Mismatch(MismatchKinds.MetadataChanged,
                $"Sequence {ev.Sequence} is now stream {ev.StreamId} version {ev.Version}; committed as stream {leaf.StreamId} version {leaf.Version}.");
        if (!payloadHash.AsSpan().SequenceEqual(leaf.PayloadHash))
            return Mismatch(MismatchKinds.PayloadChanged, $"The payload at sequence {ev.Sequence} differs from the one committed.");
        if (!previous.AsSpan().SequenceEqual(leaf.ChainPrev))
            return Mismatch(MismatchKinds.ChainBroken,
                $"The previous event of stream {ev.StreamId} no longer hashes to what version {ev.Version} committed to.");
        return Mismatch(MismatchKinds.MetadataChanged, $"The type, timestamp or actor of sequence {ev.Sequence} differ from what was committed.");
    }

    /// <summary>
    /// The mismatches of a document's events (those recorded at or before <paramref name="asOf"/>, when given): two indexed queries,
    /// its leaves and its rows.
    /// </summary>
    public static async Task<IReadOnlyList<LedgerMismatch>> OfDocumentAsync(LedgerDatabase ledger, Guid id, DateTimeOffset? asOf, CancellationToken ct)
    {
        var leaves = await ledger.LeavesOfStreamAsync(id, ct);
        var events = await ledger.EventsOfStreamAsync(id, ct);
        var last = asOf is { } instant ? events.Where(e => e.Timestamp <= instant).Select(e => e.Version).DefaultIfEmpty(0).Max() : long.MaxValue;
        return Compare(events, leaves, ledger.Events.Names).Where(m => m.Version <= last).ToList();
    }

    /// <summary>The refusal: nothing that vouches for the events may be produced, let alone signed.</summary>
    public static IResult Problem(LedgerMismatch mismatch) => Problems.Result(Problems.LedgerMismatch,
        $"Event {mismatch.Version} of document {mismatch.StreamId} (sequence {mismatch.Sequence}) does not match the ledger ({mismatch.Kind}): " +
        $"{mismatch.Detail} Nothing was produced or signed; POST /api/ledger/verify checks the whole ledger.",
        extensions: new Dictionary<string, object?>
        {
            ["sequence"] = mismatch.Sequence, ["documentId"] = mismatch.StreamId, ["version"] = mismatch.Version, ["kind"] = mismatch.Kind,
        });
}

/// <summary>Thrown where a result is produced piece by piece (the streamed collection reports) and a later piece fails its <see cref="LeafCheck"/>.</summary>
public sealed class LedgerMismatchException(LedgerMismatch mismatch) : Exception(mismatch.Detail)
{
    public LedgerMismatch Mismatch { get; } = mismatch;
}

/// <summary>
/// Answers a <see cref="LedgerMismatchException"/> with the <c>ledger-mismatch</c> problem while nothing was sent yet. Once a streamed
/// report has begun, the exception handler cannot answer: the response is aborted, without its final chunk and signature trailer.
/// </summary>
public sealed class LedgerMismatchHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not LedgerMismatchException failure) return false;
        await LeafCheck.Problem(failure.Mismatch).ExecuteAsync(http);
        return true;
    }
}
