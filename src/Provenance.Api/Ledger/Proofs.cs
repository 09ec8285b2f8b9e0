using Microsoft.AspNetCore.Authorization;
using Provenance.Api.Http;
using Provenance.Ledger;
using Wolverine.Http;

namespace Provenance.Api.Ledger;

public sealed record InclusionProofResource(long Sequence, Guid StreamId, long Version, long LeafIndex, long TreeSize, byte[] LeafHash,
    IReadOnlyList<byte[]> AuditPath);

public sealed record ConsistencyProofResource(long FromSize, long ToSize, IReadOnlyList<byte[]> Path);

/// <summary>RFC 9162 proofs over the stored tree: each reads its O(log n) nodes in one query.</summary>
public static class ProofEndpoints
{
    public const string TlogProofFormat = "tlog-proof";

    /// <summary>Proves the event at <paramref name="sequence"/> is leaf <c>leafIndex</c> of the tree of <paramref name="treeSize"/> leaves (default: the latest checkpoint).</summary>
    /// <remarks>
    /// <c>format=tlog-proof</c> answers the c2sp.org/tlog-proof text instead (the entry in its extra line, the signed checkpoint of
    /// that size), which <c>provenance verify-proof FILE --key K</c> checks offline.
    /// </remarks>
    [WolverineGet("/api/ledger/proofs/inclusion"), Authorize]
    public static async Task<IResult> Inclusion(long? sequence, long? treeSize, string? format, LedgerDatabase ledger, CheckpointWriter checkpoints,
        CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (sequence is not > 0) errors.Add("sequence", "'sequence' must be a positive event sequence number.");
        if (treeSize is < 1) errors.Add("treeSize", "'treeSize' must be at least 1.");
        if (format is not (null or "json" or TlogProofFormat)) errors.Add("format", $"'format' is json (the default) or {TlogProofFormat}.");
        if (errors.Any) return Problems.Invalid(errors);

        // The latest checkpoint's size is in the tree by construction; only a size the client names is checked against the tree.
        var size = treeSize ?? (await checkpoints.LatestAsync(ct))?.TreeSize;
        if (size is null) return Problems.Result(Problems.NoCheckpoint, "No checkpoint has been signed yet; name a treeSize.");
        if (treeSize is not null)
        {
            var (current, _) = await ledger.TreeStateAsync(ct);
            if (size > current) return Problems.Invalid(new FieldErrors().Add("treeSize", $"The tree has {current} leaves, fewer than {size}."));
        }
        var (leaf, proof) = await ledger.InclusionAsync(sequence!.Value, size.Value, ct);
        if (leaf is null) return Problems.Result(Problems.NotFound, $"No leaf for sequence {sequence}: no such event, or the daemon has not reached it yet.");
        if (proof is null)
            return Problems.Invalid(new FieldErrors().Add("treeSize", $"Leaf {leaf.LeafIndex} is not in a tree of {size} leaves."));

        if (format == TlogProofFormat)
        {
            var signed = await checkpoints.AtSizeAsync(size.Value, ct);
            if (signed is null) return Problems.Invalid(new FieldErrors().Add("treeSize", $"No checkpoint was signed at tree size {size}; a tlog-proof needs one."));
            var entry = (await ledger.EntriesAsync([leaf.LeafIndex], ct)).GetValueOrDefault(leaf.LeafIndex);
            return Results.Text(new TlogProof(proof.LeafIndex, proof.AuditPath, signed.Note, entry).Format(), "text/plain; charset=utf-8");
        }
        return Results.Ok(new InclusionProofResource(leaf.Sequence, leaf.StreamId, leaf.Version, proof.LeafIndex, proof.TreeSize, leaf.LeafHash,
            proof.AuditPath));
    }

    /// <summary>Proves the tree of <paramref name="from"/> leaves is a prefix of the tree of <paramref name="to"/> leaves (default: the latest checkpoint).</summary>
    [WolverineGet("/api/ledger/proofs/consistency"), Authorize]
    public static async Task<IResult> Consistency(long? from, long? to, LedgerDatabase ledger, CheckpointWriter checkpoints, CancellationToken ct)
    {
        var size = to ?? (await checkpoints.LatestAsync(ct))?.TreeSize;
        var errors = new FieldErrors();
        if (from is not > 0) errors.Add("from", "'from' must be a tree size of at least 1.");
        if (size is null) return Problems.Result(Problems.NoCheckpoint, "No checkpoint has been signed yet; name 'to'.");
        if (from > size) errors.Add("to", "'to' must be at least 'from'.");
        var (current, _) = await ledger.TreeStateAsync(ct);
        if (size > current) errors.Add("to", $"The tree has {current} leaves, fewer than {size}.");
        if (errors.Any) return Problems.Invalid(errors);

        var proof = await ProofPlan.ForConsistency(from!.Value, size.Value).ExecuteAsync(ledger, ct);
        return Results.Ok(new ConsistencyProofResource(proof.FromSize, proof.ToSize, proof.Path));
    }
}
