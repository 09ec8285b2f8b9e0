using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Provenance.Api.Tenancy;
using Provenance.Ledger;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Ledger;

/// <summary>
/// Each archive's log key (Ed25519), named by its origin: the default archive's from <c>Provenance:Ledger:SignerKey</c> or
/// <c>SignerKeyFile</c> when configured; otherwise (and always for the other archives) generated on first use and kept in the archive's
/// <c>ledger_signing_keys</c>, so every node and restart signs an archive's checkpoints with the same key.
/// </summary>
public sealed class LedgerKeyring(LedgerDatabase ledger, Archives archives, IOptions<ProvenanceOptions> options, TimeProvider time,
    ILogger<LedgerKeyring> logger)
{
    readonly SemaphoreSlim _gate = new(1, 1);
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, LedgerSigner> _signers = new(StringComparer.Ordinal);

    /// <summary>The current archive's log origin (<see cref="Archives.OriginOf"/>).</summary>
    public string Origin => archives.Current.Origin;

    public async Task<LedgerSigner> SignerAsync(CancellationToken ct)
    {
        var archive = archives.Current;
        if (_signers.TryGetValue(archive.Id, out var signer)) return signer;
        await _gate.WaitAsync(ct);
        try
        {
            if (_signers.TryGetValue(archive.Id, out signer)) return signer;
            signer = await LoadAsync(archive, ct);
            _signers[archive.Id] = signer;
            return signer;
        }
        finally
        {
            _gate.Release();
        }
    }

    async Task<LedgerSigner> LoadAsync(Archive archive, CancellationToken ct)
    {
        var settings = options.Value.Ledger;
        var configured = archive.Id != Tenants.Default ? null
            : settings.SignerKey ?? (settings.SignerKeyFile is { } file ? (await File.ReadAllTextAsync(file, ct)).Trim() : null);
        if (configured is not null)
        {
            var signer = LedgerSigner.FromSignerKey(configured);
            if (signer.Name != archive.Origin)
                throw new InvalidOperationException($"The configured signer key is named '{signer.Name}', not the origin '{archive.Origin}'.");
            return signer;
        }

        var table = $"{ledger.Schema}.{LedgerTables.SigningKeys}";
        var generated = LedgerSigner.Generate(archive.Origin);
        // Insert-if-absent then read back: when two nodes start together, both end up with the first one's key.
        await using var command = archive.DataSource.CreateCommand(
            $"with inserted as (insert into {table} (origin, signer_key, created_at) values ($1, $2, $3) on conflict (origin) do nothing " +
            $"returning signer_key) select signer_key from inserted union all select signer_key from {table} where origin = $1 limit 1");
        command.Parameters.Add(new NpgsqlParameter { Value = archive.Origin });
        command.Parameters.Add(new NpgsqlParameter { Value = generated.ExportSignerKey() });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        var stored = (string)(await command.ExecuteScalarAsync(ct))!;
        var key = LedgerSigner.FromSignerKey(stored);
        if (archive.Id == Tenants.Default)
        {
            logger.LogWarning("Signing checkpoints with a key kept in the database ({VerifierKey}); supply Provenance:Ledger:SignerKey in production.",
                key.Verifier.VerifierKey);
        }
        return key;
    }
}

/// <summary>
/// A signed checkpoint as stored and served: <see cref="Note"/> carries the witnesses' cosignatures received so far after the log's
/// signature; <see cref="LogNote"/> is the note exactly as the log signed it (what time-stamp authorities stamp).
/// </summary>
public sealed record SignedCheckpoint(string Origin, long TreeSize, byte[] RootHash, string Note, DateTimeOffset CreatedAt)
{
    public string LogNote { get; init; } = "";
}

/// <summary>Signs and stores C2SP tlog-checkpoints of the tree as the daemon has built it.</summary>
/// <remarks>
/// Each checkpoint commits, in an extension line, to the document map over the same leaves (<see cref="DocumentMapStore"/>); the map's
/// new nodes and the checkpoint commit in one transaction, so a checkpoint is stored only with its map.
/// </remarks>
public sealed class CheckpointWriter(LedgerDatabase ledger, DocumentMapStore map, LedgerKeyring keyring, TimeProvider time, IOptions<ProvenanceOptions> options)
{
    readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Signs the current tree unless the latest checkpoint already covers it; returns the latest checkpoint (null: empty tree).</summary>
    public async Task<SignedCheckpoint?> CheckpointAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var latest = await LatestAsync(ct);
            // Leaves and the nodes they complete commit together, so every node of a visible size is readable.
            var (size, _) = await ledger.TreeStateAsync(ct);
            if (size == 0 || (latest is not null && latest.TreeSize >= size)) return latest;

            var root = await ProofPlan.ForRoot(size).ExecuteAsync(ledger, ct);
            var (mapRoot, mapNodes, changed) = await map.ComputeAsync(size, ct);
            var signer = await keyring.SignerAsync(ct);
            var checkpoint = new Checkpoint(keyring.Origin, size, root) { Extensions = [DocumentMap.ExtensionLine(mapRoot)] };
            var note = signer.SignCheckpoint(checkpoint);
            var created = time.GetUtcNow();
            // One batch is one implicit transaction: the map version and the checkpoint commit together or not at all.
            await using var batch = ledger.DataSource.CreateBatch();
            map.AddWrites(batch, size, mapRoot, mapNodes, changed);
            var command = new NpgsqlBatchCommand(
                $"insert into {ledger.Schema}.{LedgerTables.Checkpoints} (tree_size, root_hash, note, created_at) values ($1, $2, $3, $4) " +
                "on conflict (tree_size) do nothing");
            command.Parameters.Add(new NpgsqlParameter { Value = size });
            command.Parameters.Add(new NpgsqlParameter { Value = root });
            command.Parameters.Add(new NpgsqlParameter { Value = note });
            command.Parameters.Add(new NpgsqlParameter { Value = created });
            batch.BatchCommands.Add(command);
            await batch.ExecuteNonQueryAsync(ct);
            return await LatestAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<SignedCheckpoint?> LatestAsync(CancellationToken ct) => OneAsync("order by tree_size desc limit 1", null, ct);

    /// <summary>
    /// The checkpoint the log publishes: the newest one its witness quorum has cosigned, or while none has (or no witness is
    /// configured), the newest one.
    /// </summary>
    public async Task<SignedCheckpoint?> PublishedAsync(CancellationToken ct)
    {
        var settings = options.Value.Ledger;
        if (settings.Witnesses.Count == 0 || settings.EffectiveWitnessQuorum == 0) return await LatestAsync(ct);
        await using var command = ledger.DataSource.CreateCommand(
            $"select {Columns} from {ledger.Schema}.{LedgerTables.Checkpoints} c where (select count(*) from {ledger.Schema}.{LedgerTables.Cosignatures} w " +
            "where w.tree_size = c.tree_size and w.verifier_key = any($1)) >= $2 order by tree_size desc limit 1");
        command.Parameters.Add(new NpgsqlParameter { Value = settings.Witnesses.Select(w => w.VerifierKey!).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.EffectiveWitnessQuorum });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : await LatestAsync(ct);
    }

    public Task<SignedCheckpoint?> AtSizeAsync(long treeSize, CancellationToken ct) => OneAsync("where tree_size = $1", treeSize, ct);

    /// <summary>The first checkpoint of at least <paramref name="treeSize"/> leaves: once signed, it never changes, so reports against it are reproducible.</summary>
    public Task<SignedCheckpoint?> EarliestCoveringAsync(long treeSize, CancellationToken ct) =>
        OneAsync("where tree_size >= $1 order by tree_size limit 1", treeSize, ct);

    public async Task<IReadOnlyList<SignedCheckpoint>> AllAsync(CancellationToken ct)
    {
        await using var command = ledger.DataSource.CreateCommand($"select {Columns} from {ledger.Schema}.{LedgerTables.Checkpoints} c order by tree_size");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<SignedCheckpoint>();
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    async Task<SignedCheckpoint?> OneAsync(string clause, long? parameter, CancellationToken ct)
    {
        await using var command = ledger.DataSource.CreateCommand($"select {Columns} from {ledger.Schema}.{LedgerTables.Checkpoints} c {clause}");
        if (parameter is { } p) command.Parameters.Add(new NpgsqlParameter { Value = p });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    // The log's note, then the witnesses' cosignature lines (each ends with a newline, as the note's own signature lines do).
    string Columns => "c.tree_size, c.root_hash, c.note, c.created_at, coalesce((select string_agg(w.line, '' order by w.verifier_key) " +
        $"from {ledger.Schema}.{LedgerTables.Cosignatures} w where w.tree_size = c.tree_size), '')";

    SignedCheckpoint Read(NpgsqlDataReader r)
    {
        var note = r.GetString(2);
        return new SignedCheckpoint(Checkpoint.ParseNoteBody(SignedNote.Parse(note).Text).Origin, r.GetInt64(0), (byte[])r[1], note + r.GetString(4),
            r.GetFieldValue<DateTimeOffset>(3)) { LogNote = note };
    }
}

/// <summary>Signs a checkpoint every <see cref="LedgerOptions.CheckpointEveryEvents"/> leaves or <see cref="LedgerOptions.CheckpointInterval"/>.</summary>
public sealed class AutomaticCheckpoints(CheckpointWriter writer, LedgerDatabase ledger, Archives archives, IOptions<ProvenanceOptions> options,
    TimeProvider time, ILogger<AutomaticCheckpoints> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Ledger;
        using var timer = new PeriodicTimer(settings.CheckpointPollInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                // Every archive's log, in turn, each in its own database.
                await archives.ForEachAsync((archive, ct) => CheckpointIfDueAsync(archive, settings, ct), logger, stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                logger.LogWarning(e, "Listing the archives for automatic checkpoints failed; retrying at the next tick");
            }
        }
    }

    async Task CheckpointIfDueAsync(Archive archive, LedgerOptions settings, CancellationToken ct)
    {
        try
        {
            var latest = await writer.LatestAsync(ct);
            var (size, _) = await ledger.TreeStateAsync(ct);
            var grown = size - (latest?.TreeSize ?? 0);
            if (grown >= settings.CheckpointEveryEvents
                || (grown > 0 && (latest is null || time.GetUtcNow() - latest.CreatedAt >= settings.CheckpointInterval)))
            {
                var signed = await writer.CheckpointAsync(ct);
                logger.LogInformation("Signed checkpoint at tree size {TreeSize} of archive '{Archive}'", signed?.TreeSize, archive.Id);
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            logger.LogWarning(e, "Automatic checkpoint of archive '{Archive}' failed; retrying at the next tick", archive.Id);
        }
    }
}

public sealed record CheckpointResource(string Origin, long TreeSize, byte[] RootHash, string Note, string VerifierKey, DateTimeOffset CreatedAt)
{
    /// <summary>The configured witnesses and whether each cosigned this checkpoint (empty without witnesses).</summary>
    public IReadOnlyList<CheckpointWitness> Witnesses { get; init; } = [];

    /// <summary>How many cosignatures the checkpoint needs to count as witnessed (0 without witnesses).</summary>
    public int WitnessQuorum { get; init; }

    public bool QuorumReached { get; init; } = true;

    /// <summary>The note exactly as the log signed it, before cosignatures: what the RFC 3161 time-stamps cover.</summary>
    public string? LogNote { get; init; }
}

/// <summary>A witness of a checkpoint: <c>cosigned</c> with the time in its cosignature, and the last error the ledger saw from it (null once it answered).</summary>
public sealed record CheckpointWitness(string Name, string VerifierKey, string Url, bool Cosigned, DateTimeOffset? CosignedAt, string? LastError,
    double? LastRoundTripMs);

public sealed record LedgerKeyResource(string Origin, string VerifierKey, string KeyId, string Algorithm, byte[] PublicKey);

public static class CheckpointEndpoints
{
    [WolverineGet("/api/ledger/key", OperationId = "getLedgerKey"), AllowAnonymous]
    [Tags(ApiTags.Ledger), EndpointSummary("The ledger's verifier key")]
    [ProducesResponseType<LedgerKeyResource>(200, "application/json")]
    public static async Task<LedgerKeyResource> GetKey(LedgerKeyring keyring, CancellationToken ct)
    {
        var verifier = (await keyring.SignerAsync(ct)).Verifier;
        return new LedgerKeyResource(verifier.Name, verifier.VerifierKey, verifier.KeyId.ToString("x8"), "ed25519", verifier.PublicKey.ToArray());
    }

    /// <summary>
    /// The published checkpoint (the newest one the witness quorum cosigned, else the newest): the note with its cosignatures as
    /// <c>text/plain</c>, or JSON, saying which witnesses cosigned, when the client accepts only JSON.
    /// </summary>
    [WolverineGet("/api/ledger/checkpoint", OperationId = "getLedgerCheckpoint"), AllowAnonymous]
    [Tags(ApiTags.Ledger), EndpointSummary("The published checkpoint with its cosignatures (a signed note, or JSON saying which witnesses cosigned)")]
    [ProducesResponseType<CheckpointResource>(200, "text/plain", "application/json"), ProblemResponses(404)]
    public static async Task<IResult> GetLatest(HttpRequest request, CheckpointWriter writer, LedgerKeyring keyring, Witnesses witnesses, CancellationToken ct)
    {
        var latest = await writer.PublishedAsync(ct);
        if (latest is null) return Problems.Result(Problems.NoCheckpoint, "No checkpoint has been signed yet.");
        return WantsJson(request)
            ? Results.Json(WithWitnesses(await ResourceAsync(latest, keyring, ct), latest, witnesses))
            : Results.Text(latest.Note, "text/plain; charset=utf-8");
    }

    internal static CheckpointResource WithWitnesses(CheckpointResource resource, SignedCheckpoint checkpoint, Witnesses witnesses)
    {
        var cosigned = WitnessQuorumCheck.CosignedBy(witnesses, checkpoint).ToDictionary(c => c.Witness, c => c.At);
        return resource with
        {
            Witnesses = witnesses.All.Select(w => new CheckpointWitness(w.Verifier.Name, w.Verifier.VerifierKey, w.Url, cosigned.ContainsKey(w),
                cosigned.TryGetValue(w, out var at) ? at : null, w.LastError, w.LastRoundTripMs)).ToList(),
            WitnessQuorum = witnesses.Quorum,
            QuorumReached = cosigned.Count >= witnesses.Quorum,
        };
    }

    [WolverinePost("/api/ledger/checkpoints", OperationId = "signCheckpoint"), Authorize(Roles = Roles.Auditor + "," + Roles.Admin)]
    [Tags(ApiTags.Ledger), EndpointSummary("Sign a checkpoint of the ledger as it is now")]
    [ProducesResponseType<CheckpointResource>(201, "application/json"), ResponseHeaders(201, "Location"), ProblemResponses(404)]
    public static async Task<IResult> Create(CheckpointWriter writer, LedgerKeyring keyring, ClaimsPrincipal user, ILogger<CheckpointWriter> logger,
        CancellationToken ct)
    {
        var signed = await writer.CheckpointAsync(ct);
        if (signed is null) return Problems.Result(Problems.NoCheckpoint, "The ledger has no leaves yet; there is nothing to sign.");
        logger.LogInformation("{Actor} requested a checkpoint; latest is at tree size {TreeSize}", user.Actor(), signed.TreeSize);
        return Results.Created("/api/ledger/checkpoint", await ResourceAsync(signed, keyring, ct));
    }

    internal static async Task<CheckpointResource> ResourceAsync(SignedCheckpoint c, LedgerKeyring keyring, CancellationToken ct) =>
        new(c.Origin, c.TreeSize, c.RootHash, c.Note, (await keyring.SignerAsync(ct)).Verifier.VerifierKey, c.CreatedAt) { LogNote = c.LogNote };

    static bool WantsJson(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        return accept.Count > 0 && accept.Any(a => a.MediaType.Value is "application/json")
            && !accept.Any(a => a.MediaType.Value is "text/plain");
    }
}
