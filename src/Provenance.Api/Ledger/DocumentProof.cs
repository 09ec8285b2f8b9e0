using Microsoft.AspNetCore.Authorization;
using Provenance.Api.Http;
using Provenance.Ledger;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Ledger;

/// <summary>
/// One event of a document as the ledger committed it; <c>AuditPath</c> is null while the event is newer than the checkpoint.
/// <c>TlogProof</c> is the same proof as a c2sp.org/tlog-proof (entry, index, path, signed checkpoint): verifiable offline alone.
/// </summary>
public sealed record DocumentEventProof(long Sequence, long Version, long LeafIndex, byte[] LeafHash, byte[] ChainPrev, bool InCheckpoint,
    IReadOnlyList<byte[]>? AuditPath)
{
    public string? TlogProof { get; init; }
    /// <summary>The leaf format (README of Provenance.Ledger §2a) when it is 2; absent for format 1, as in every earlier document.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? Format { get; init; }
    /// <summary>In a report, the sealed fields of a format-2 event: salt where the value is kept, the commitment alone where it was erased.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<FieldSeal>? Seals { get; init; }
}

/// <summary>
/// <c>Completeness</c> is the document map proof at the checkpoint (null for a checkpoint signed before the map existed): with the
/// events' chain links it shows these are all of the document's events among the checkpoint's leaves.
/// </summary>
public sealed record DocumentProofResource(Guid DocumentId, CheckpointResource Checkpoint, IReadOnlyList<DocumentEventProof> Events,
    long PendingEvents)
{
    public CompletenessProof? Completeness { get; init; }
}

/// <summary>Every event of a document with its leaf and an inclusion proof against the latest checkpoint: the proof endpoint and reports share it.</summary>
public sealed class DocumentProofs(LedgerDatabase ledger, DocumentMapStore map, CheckpointWriter checkpoints, LedgerKeyring keyring)
{
    /// <summary>
    /// The proof, or the problem that prevents it: the document is not in the ledger yet, nothing was signed yet, or one of its events
    /// no longer hashes to its leaf (<see cref="LeafCheck"/>: a proof must not vouch for a row the ledger does not prove).
    /// </summary>
    public async Task<(DocumentProofResource? Proof, IResult? Problem)> ForDocumentAsync(Guid id, CancellationToken ct)
    {
        var leaves = await ledger.LeavesOfStreamAsync(id, ct);
        if (leaves.Count == 0) return (null, NotInLedger(id));
        var checkpoint = await checkpoints.PublishedAsync(ct);
        if (checkpoint is null) return (null, NoCheckpoint());
        if (LeafCheck.Compare(await ledger.EventsOfStreamAsync(id, ct), leaves, ledger.Events.Names).FirstOrDefault() is { } mismatch) return (null, LeafCheck.Problem(mismatch));

        return (await AgainstAsync(id, leaves, checkpoint, ct), null);
    }

    public static IResult NotInLedger(Guid id) =>
        Problems.Result(Problems.NotFound, $"No document with id {id} in the ledger (the daemon may not have reached it yet).");

    public static IResult NoCheckpoint() => Problems.Result(Problems.NoCheckpoint, "No checkpoint has been signed yet.");

    /// <summary>The given leaves of a document with inclusion proofs against <paramref name="checkpoint"/> (leaves beyond it have none).</summary>
    public async Task<DocumentProofResource> AgainstAsync(Guid id, IReadOnlyList<StoredLeaf> leaves, SignedCheckpoint checkpoint, CancellationToken ct)
    {
        // All nodes of all proofs in one query.
        var covered = leaves.Where(l => l.LeafIndex < checkpoint.TreeSize).ToList();
        var plans = covered.Select(l => ProofPlan.ForInclusion(l.LeafIndex, checkpoint.TreeSize)).ToList();
        var ids = plans.SelectMany(p => p.Nodes).Distinct().ToList();
        var hashes = await ledger.GetNodesAsync(ids, ct);
        var byId = ids.Zip(hashes).ToDictionary(p => p.First, p => p.Second);
        var proofs = covered.Zip(plans).ToDictionary(p => p.First.LeafIndex, p => p.Second.Assemble(p.Second.Nodes.Select(n => byId[n]).ToList()));

        var entries = await ledger.EntriesAsync(proofs.Keys, ct);
        var events = leaves.Select(l => new DocumentEventProof(l.Sequence, l.Version, l.LeafIndex, l.LeafHash, l.ChainPrev,
            proofs.ContainsKey(l.LeafIndex), proofs.TryGetValue(l.LeafIndex, out var proof) ? proof.AuditPath : null)
        {
            TlogProof = proof is null ? null : new TlogProof(proof.LeafIndex, proof.AuditPath, checkpoint.Note, entries.GetValueOrDefault(l.LeafIndex)).Format(),
            Format = l.Format == LeafEncoding.FormatVersion ? null : l.Format,
        }).ToList();
        return new DocumentProofResource(id, await CheckpointEndpoints.ResourceAsync(checkpoint, keyring, ct), events, events.Count(e => !e.InCheckpoint))
        {
            Completeness = await map.ProveAsync(id, checkpoint.TreeSize, ct),
        };
    }
}

public static class DocumentProofEndpoint
{
    [WolverineGet("/api/documents/{id}/proof", OperationId = "getDocumentProof"), Authorize]
    [Tags(ApiTags.Ledger), EndpointSummary("Inclusion proofs of every event of a document against the latest checkpoint")]
    [ProducesResponseType<DocumentProofResource>(200, "application/json"), ProblemResponses(404, 500)]
    public static async Task<IResult> Get(Guid id, DocumentProofs proofs, CancellationToken ct)
    {
        var (proof, problem) = await proofs.ForDocumentAsync(id, ct);
        return problem ?? Results.Ok(proof);
    }
}
