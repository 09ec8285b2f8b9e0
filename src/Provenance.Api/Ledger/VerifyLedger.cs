using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Hosting;
using Provenance.Ledger;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;
using Provenance.Api.EventStore;

namespace Provenance.Api.Ledger;

/// <summary>What a verification found wrong, first in sequence order.</summary>
public static class MismatchKinds
{
    /// <summary>The event's canonical payload differs from the one committed.</summary>
    public const string PayloadChanged = "payload-changed";
    /// <summary>The event's payload is one committed at another sequence: events were reordered or swapped.</summary>
    public const string Reordered = "reordered";
    /// <summary>Type, timestamp, actor, stream or version differ from what was committed.</summary>
    public const string MetadataChanged = "metadata-changed";
    /// <summary>The previous event of the stream no longer hashes to what this event committed to.</summary>
    public const string ChainBroken = "chain-broken";
    /// <summary>A committed event is gone from mt_events.</summary>
    public const string MissingEvent = "missing-event";
    /// <summary>An event sits among committed ones but was never committed to the tree.</summary>
    public const string UnexpectedEvent = "unexpected-event";
    /// <summary>A stored tree node differs from the one recomputed from the events.</summary>
    public const string NodeMismatch = "node-mismatch";
    /// <summary>A stored checkpoint's root or signature does not match the recomputed tree.</summary>
    public const string CheckpointMismatch = "checkpoint-mismatch";
    /// <summary>A format-2 field lost its salt (and so need not match its value) without a committed redaction erasing it.</summary>
    public const string SealRemoved = "seal-removed";
}

/// <summary>A committed event some of whose fields were erased by a committed redaction, and how its leaf was checked.</summary>
public sealed record RedactedLeaf(long Sequence, Guid StreamId, long Version, long LeafIndex, int Format, string Detail)
{
    public const string Format1Detail = "redacted: leaf hash retained, content not recomputable";
    public const string Format2Detail = "redacted: erased fields checked by their commitments, the rest recomputed; leaf hash matches";
}

public sealed record LedgerMismatch(string Kind, long? Sequence, Guid? StreamId, long? Version, long? LeafIndex, string Detail);

public sealed record LedgerVerificationReport(
    bool Intact,
    long EventsChecked,
    long LeavesChecked,
    long NodesChecked,
    long CheckpointsChecked,
    long PendingEvents,
    long MismatchCount,
    LedgerMismatch? FirstMismatch,
    IReadOnlyList<LedgerMismatch> Mismatches,
    long TreeSize,
    byte[] RootHash)
{
    /// <summary>Events with erased fields (at most 100 listed): they are not mismatches, and say how far they could be checked.</summary>
    public IReadOnlyList<RedactedLeaf> Redacted { get; init; } = [];
    public long RedactedCount { get; init; }
}

/// <summary>
/// Re-reads the whole ledger from <c>mt_events</c> in pages, recomputes every leaf, chain link, node and checkpoint root, and
/// compares them with what was stored when the events committed. Trusts nothing in the database except as evidence to compare.
/// </summary>
public sealed class LedgerVerifier(LedgerDatabase ledger, CheckpointWriter checkpoints, LedgerKeyring keyring, IOptions<ProvenanceOptions> options,
    ILogger<LedgerVerifier> logger)
{
    const int MaxListed = 100;

    public async Task<LedgerVerificationReport> VerifyAsync(CancellationToken ct)
    {
        var pageSize = options.Value.Ledger.PageSize;
        var (treeSize, lastSequence) = await ledger.TreeStateAsync(ct);
        var verifier = (await keyring.SignerAsync(ct)).Verifier;
        var stored = (await checkpoints.AllAsync(ct)).Where(c => c.TreeSize <= treeSize).ToList();
        var nextCheckpoint = 0;

        var mismatches = new List<LedgerMismatch>();
        long mismatchCount = 0, eventsChecked = 0, leavesChecked = 0, nodesChecked = 0, checkpointsChecked = 0, pending = 0;
        void Report(LedgerMismatch m)
        {
            mismatchCount++;
            if (mismatches.Count < MaxListed) mismatches.Add(m);
        }

        var erased = await ledger.ErasedFieldsAsync(ct);
        var redacted = new List<RedactedLeaf>();
        long redactedCount = 0;
        var chainHeads = new Dictionary<Guid, byte[]>();
        var appender = new MerkleAppender();
        var completed = new List<MerkleNode>();
        var events = new Queue<StoredEvent>();
        var leaves = new Queue<StoredLeaf>();
        long eventCursor = 0, leafCursor = 0;
        bool eventsDone = false, leavesDone = false;

        while (true)
        {
            if (events.Count == 0 && !eventsDone)
            {
                var page = await ledger.EventPageAsync(eventCursor, pageSize, ct);
                foreach (var e in page) events.Enqueue(e);
                eventsDone = page.Count < pageSize;
                if (page.Count > 0) eventCursor = page[^1].Sequence;
            }
            if (leaves.Count == 0 && !leavesDone)
            {
                var page = await ledger.LeafPageAsync(leafCursor, pageSize, ct);
                foreach (var l in page) leaves.Enqueue(l);
                leavesDone = page.Count < pageSize;
                if (page.Count > 0) leafCursor = page[^1].LeafIndex + 1;
                await CompareNodesAsync();
                logger.LogInformation("Ledger verification: {Events} events, {Leaves} leaves checked so far", eventsChecked, leavesChecked);
            }

            events.TryPeek(out var ev);
            leaves.TryPeek(out var leaf);
            if (ev is null && leaf is null) break;

            if (leaf is null || (ev is not null && ev.Sequence < leaf.Sequence))
            {
                events.Dequeue();
                eventsChecked++;
                if (ev!.Sequence > lastSequence) pending++;
                else Report(new(MismatchKinds.UnexpectedEvent, ev.Sequence, ev.StreamId, ev.Version, null,
                    $"Event {ev.Sequence} ({ev.Type}) is in mt_events but was never committed to the tree."));
                continue;
            }

            leaves.Dequeue();
            leavesChecked++;
            if (ev is null || ev.Sequence > leaf.Sequence)
            {
                Report(new(MismatchKinds.MissingEvent, leaf.Sequence, leaf.StreamId, leaf.Version, leaf.LeafIndex,
                    $"The event at sequence {leaf.Sequence} (stream {leaf.StreamId}, version {leaf.Version}) is missing from mt_events."));
                // Carry on from the committed hash so one gap does not make every later check fail.
                chainHeads[leaf.StreamId] = leaf.LeafHash;
                AppendLeaf(leaf.LeafHash);
                continue;
            }

            events.Dequeue();
            eventsChecked++;
            var previous = chainHeads.TryGetValue(ev.StreamId, out var head) ? head : LedgerEntry.NoPreviousHash.ToArray();
            var (matches, redactedFormat1, sealProblem, payloadHash) = LeafJudgement.Judge(ev, leaf, previous, erased);
            if (sealProblem is not null)
            {
                Report(new(MismatchKinds.SealRemoved, ev.Sequence, ev.StreamId, ev.Version, leaf.LeafIndex, sealProblem));
            }
            else if (redactedFormat1 || (matches && (ev.Seals ?? []).Any(s => s.Redacted)))
            {
                redactedCount++;
                if (redacted.Count < MaxListed)
                {
                    redacted.Add(new RedactedLeaf(ev.Sequence, ev.StreamId, ev.Version, leaf.LeafIndex, leaf.Format,
                        redactedFormat1 ? RedactedLeaf.Format1Detail : RedactedLeaf.Format2Detail));
                }
            }
            else if (!matches)
            {
                Report(await DiagnoseAsync(ev, leaf, previous, payloadHash, ct));
            }
            // A mismatch or a format-1 redaction carries on from the committed hash, so one event does not fail every later check.
            var leafHash = matches ? leaf.LeafHash : redactedFormat1 ? leaf.LeafHash
                : ev.TryToEntry(previous, leaf.Format).Entry is { } entry ? LeafEncoding.LeafHash(entry) : leaf.LeafHash;
            chainHeads[ev.StreamId] = leafHash;
            AppendLeaf(leafHash);
        }
        await CompareNodesAsync();

        // A checkpoint beyond what the events rebuild means leaves were lost at the end.
        for (; nextCheckpoint < stored.Count; nextCheckpoint++)
        {
            checkpointsChecked++;
            Report(new(MismatchKinds.CheckpointMismatch, null, null, null, null,
                $"Checkpoint at tree size {stored[nextCheckpoint].TreeSize} exceeds the {appender.Size} leaves rebuilt from the events."));
        }

        var first = mismatches.Count > 0 ? mismatches.MinBy(m => m.Sequence ?? long.MaxValue) : null;
        logger.LogInformation("Ledger verification done: {Events} events, {Leaves} leaves, {Nodes} nodes, {Checkpoints} checkpoints, {Mismatches} mismatches",
            eventsChecked, leavesChecked, nodesChecked, checkpointsChecked, mismatchCount);
        return new LedgerVerificationReport(mismatchCount == 0, eventsChecked, leavesChecked, nodesChecked, checkpointsChecked, pending, mismatchCount,
            first, mismatches, appender.Size, appender.Root()) { Redacted = redacted, RedactedCount = redactedCount };

        void AppendLeaf(byte[] hash)
        {
            completed.AddRange(appender.Append(hash));
            while (nextCheckpoint < stored.Count && stored[nextCheckpoint].TreeSize == appender.Size)
            {
                var c = stored[nextCheckpoint++];
                checkpointsChecked++;
                var root = appender.Root();
                var signature = Checkpoint.Verify(c.Note, verifier, keyring.Origin);
                if (!signature.IsValid)
                    Report(new(MismatchKinds.CheckpointMismatch, null, null, null, c.TreeSize - 1, $"Checkpoint at tree size {c.TreeSize}: {signature.Reason}"));
                else if (!root.AsSpan().SequenceEqual(c.RootHash) || !root.AsSpan().SequenceEqual(signature.Checkpoint!.RootHash))
                    Report(new(MismatchKinds.CheckpointMismatch, null, null, null, c.TreeSize - 1,
                        $"Checkpoint at tree size {c.TreeSize} signed root {Convert.ToBase64String(c.RootHash)}; the events rebuild {Convert.ToBase64String(root)}."));
            }
        }

        async Task CompareNodesAsync()
        {
            if (completed.Count == 0) return;
            var found = await ledger.FindNodesAsync(completed.Select(n => n.Id).ToList(), ct);
            foreach (var node in completed)
            {
                nodesChecked++;
                if (!found.TryGetValue(node.Id, out var hash) || !hash.AsSpan().SequenceEqual(node.Hash))
                {
                    Report(new(MismatchKinds.NodeMismatch, null, null, null, node.Level == 0 ? node.Index : null,
                        hash is null ? $"Node {node.Id} is not stored." : $"Stored node {node.Id} differs from the one rebuilt from the events."));
                }
            }
            completed.Clear();
        }
    }

    /// <summary><see cref="LeafCheck.Diagnose"/>, telling a payload that moved to another sequence (a reordering) from one that changed.</summary>
    async Task<LedgerMismatch> DiagnoseAsync(StoredEvent ev, StoredLeaf leaf, byte[] previous, byte[] payloadHash, CancellationToken ct)
    {
        var mismatch = LeafCheck.Diagnose(ev, leaf, previous, payloadHash);
        if (mismatch.Kind != MismatchKinds.PayloadChanged) return mismatch;
        if (leaf.Format == LeafEncoding.FormatVersion2)
        {
            // A format-2 digest depends on the seals kept with the sequence: a payload moved within its stream digests, under the seals
            // of the sequence it came from, to what that sequence committed.
            var stream = await ledger.EventsOfStreamAsync(ev.StreamId, ct);
            var leaves = (await ledger.LeavesOfStreamAsync(ev.StreamId, ct)).ToDictionary(l => l.Sequence);
            foreach (var moved in stream.Where(o => o.Sequence != ev.Sequence && leaves.ContainsKey(o.Sequence)))
            {
                var digest = (ev with { Seals = moved.Seals }).TryToEntry(previous, LeafEncoding.FormatVersion2).PayloadHash;
                if (digest.AsSpan().SequenceEqual(leaves[moved.Sequence].PayloadHash))
                {
                    return mismatch with { Kind = MismatchKinds.Reordered, Detail = $"The payload at sequence {ev.Sequence} is the one committed at sequence {moved.Sequence}." };
                }
            }
            return mismatch;
        }
        await using var command = ledger.DataSource.CreateCommand(
            $"select seq_id from {ledger.Schema}.{LedgerTables.Leaves} where payload_hash = $1 and seq_id <> $2 order by seq_id limit 1");
        command.Parameters.Add(new NpgsqlParameter { Value = payloadHash });
        command.Parameters.Add(new NpgsqlParameter { Value = ev.Sequence });
        return await command.ExecuteScalarAsync(ct) is long other
            ? mismatch with { Kind = MismatchKinds.Reordered, Detail = $"The payload at sequence {ev.Sequence} is the one committed at sequence {other}." }
            : mismatch;
    }
}

public static class VerifyLedgerEndpoint
{
    /// <summary>Re-verifies the whole ledger now and reports the first mismatch with counts.</summary>
    [WolverinePost("/api/ledger/verify", OperationId = "verifyLedger"), Authorize(Roles = Roles.Auditor + "," + Roles.Admin)]
    [Tags(ApiTags.Ledger), EndpointSummary("Recompute every leaf and check it against the stored events and the signed checkpoints")]
    [ProducesResponseType<LedgerVerificationReport>(200, "application/json")]
    public static async Task<LedgerVerificationReport> Post(LedgerVerifier verifier, ClaimsPrincipal user, ILogger<LedgerVerifier> logger,
        CancellationToken ct)
    {
        logger.LogInformation("{Actor} started a ledger verification", user.Actor());
        return await verifier.VerifyAsync(ct);
    }
}
