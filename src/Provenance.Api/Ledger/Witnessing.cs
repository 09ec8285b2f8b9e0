using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Hosting;
using Provenance.Api.Tenancy;
using Provenance.Ledger;

namespace Provenance.Api.Ledger;

/// <summary>What the ledger knows about one configured witness: its key, the size it holds for us, and how the last attempt went.</summary>
public sealed class WitnessState(int index, string url, CosignatureVerifier verifier)
{
    public int Index { get; } = index;
    public string Url { get; } = url;
    public CosignatureVerifier Verifier { get; } = verifier;

    /// <summary>The tree size the witness last said (or was seen to) hold for this log; null until learned.</summary>
    public long? KnownSize { get; set; }
    public int Failures { get; set; }
    public DateTimeOffset NextAttempt { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public string? LastError { get; set; }
    public double? LastRoundTripMs { get; set; }
}

/// <summary>
/// The configured witnesses and their live state, shared by the submitter, the checkpoint resource and readiness. Every archive's log is
/// witnessed by the same witnesses, each of which holds a size per log: <see cref="All"/> is the current archive's state of them.
/// </summary>
public sealed class Witnesses(IOptions<ProvenanceOptions> options)
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<WitnessState>> _byArchive = new(StringComparer.Ordinal);
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _learned = new(StringComparer.Ordinal);

    public IReadOnlyList<WitnessState> All => _byArchive.GetOrAdd(CurrentArchive.Id, _ =>
        options.Value.Ledger.Witnesses.Select((w, i) => new WitnessState(i, w.Url, CosignatureVerifier.Parse(w.VerifierKey!))).ToList());

    /// <summary>Whether the current archive's witnesses' sizes were read from its stored cosignatures yet (once per archive and process).</summary>
    public bool Learned => _learned.ContainsKey(CurrentArchive.Id);

    /// <summary>The current archive's witnesses' sizes have been read (<see cref="Learned"/>).</summary>
    public void MarkLearned() => _learned[CurrentArchive.Id] = true;

    public int Quorum => options.Value.Ledger.EffectiveWitnessQuorum;

    /// <summary>Whether any witness is configured at all.</summary>
    public bool Any => options.Value.Ledger.Witnesses.Count > 0;
}

/// <summary>
/// Submits every new checkpoint to each witness (c2sp.org/tlog-witness <c>add-checkpoint</c>), with the consistency proof from the
/// size the witness holds; on 409 it retries with the size the witness names. Cosignatures are verified against the configured key
/// and stored in <c>ledger_cosignatures</c>. It runs in the background: a slow or absent witness delays the quorum, never an append.
/// </summary>
public sealed class CheckpointWitnessing(Witnesses witnesses, CheckpointWriter checkpoints, LedgerDatabase ledger, Archives archives,
    IHttpClientFactory clients, IOptions<ProvenanceOptions> options, TimeProvider time, ILogger<CheckpointWitnessing> logger) : BackgroundService
{
    public const string ClientName = "witnesses";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!witnesses.Any) return;
        using var timer = new PeriodicTimer(options.Value.Ledger.WitnessPollInterval, time);
        do
        {
            try
            {
                // Every archive's log in turn, each with its own checkpoints and its own state at each witness.
                await archives.ForEachAsync((_, ct) => RoundAsync(ct), logger, stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                logger.LogWarning(e, "Listing the archives to witness failed; retrying at the next tick");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    async Task RoundAsync(CancellationToken ct)
    {
        try
        {
            if (!witnesses.Learned)
            {
                await LearnSizesAsync(ct);
                witnesses.MarkLearned();
            }
            var latest = await checkpoints.LatestAsync(ct);
            if (latest is null) return;
            await Task.WhenAll(witnesses.All.Select(w => SubmitAsync(w, latest, ct)));
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            logger.LogWarning(e, "Witnessing round of archive '{Archive}' failed; retrying at the next tick", CurrentArchive.Id);
        }
    }

    /// <summary>The largest size each witness cosigned for us, from the stored cosignatures (a witness never goes back).</summary>
    async Task LearnSizesAsync(CancellationToken ct)
    {
        try
        {
            await using var command = ledger.DataSource.CreateCommand(
                $"select verifier_key, max(tree_size) from {ledger.Schema}.{LedgerTables.Cosignatures} group by verifier_key");
            await using var reader = await command.ExecuteReaderAsync(ct);
            var sizes = new Dictionary<string, long>();
            while (await reader.ReadAsync(ct)) sizes[reader.GetString(0)] = reader.GetInt64(1);
            foreach (var w in witnesses.All) w.KnownSize = sizes.TryGetValue(w.Verifier.VerifierKey, out var size) ? size : null;
        }
        catch (NpgsqlException e)
        {
            logger.LogWarning(e, "Could not read the stored cosignatures; learning the witnesses' sizes from their answers");
        }
    }

    async Task SubmitAsync(WitnessState witness, SignedCheckpoint latest, CancellationToken ct)
    {
        var settings = options.Value.Ledger;
        var now = time.GetUtcNow();
        if (now < witness.NextAttempt || Cosigned(witness, latest)) return;
        witness.LastAttemptAt = now;
        try
        {
            // At most two rounds: the first may learn the witness's size from a 409.
            for (var attempt = 0; attempt < 2; attempt++)
            {
                var old = witness.KnownSize ?? 0;
                if (old > latest.TreeSize)
                {
                    Fail(witness, $"The witness holds tree size {old}, more than this log's newest checkpoint ({latest.TreeSize}): a fork or a rolled-back database?");
                    return;
                }
                var proof = old == 0 || old == latest.TreeSize ? [] : (await ProofPlan.ForConsistency(old, latest.TreeSize).ExecuteAsync(ledger, ct)).Path;
                var body = new AddCheckpointRequest(old, proof, latest.LogNote).Format();
                using var http = clients.CreateClient(ClientName);
                http.Timeout = settings.WitnessTimeout;
                var clock = Stopwatch.StartNew();
                using var response = await http.PostAsync(witness.Url.TrimEnd('/') + "/add-checkpoint",
                    new StringContent(body, new UTF8Encoding(false), "text/plain"), ct);
                var answer = await response.Content.ReadAsStringAsync(ct);
                witness.LastRoundTripMs = clock.Elapsed.TotalMilliseconds;
                if (response.StatusCode == HttpStatusCode.Conflict)
                {
                    if (!long.TryParse(answer.TrimEnd('\n'), NumberStyles.None, CultureInfo.InvariantCulture, out var held))
                    {
                        Fail(witness, $"409 without a tree size: {Trim(answer)}");
                        return;
                    }
                    witness.KnownSize = held;
                    continue;
                }
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Fail(witness, $"{(int)response.StatusCode} {response.ReasonPhrase}: {Trim(answer)}");
                    return;
                }
                await StoreAsync(witness, latest, answer, ct);
                return;
            }
            Fail(witness, "The witness changed its size twice in a row.");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            Fail(witness, $"unreachable: {e.Message}");
        }
    }

    async Task StoreAsync(WitnessState witness, SignedCheckpoint checkpoint, string answer, CancellationToken ct)
    {
        var text = SignedNote.Parse(checkpoint.LogNote).Text;
        // The answer is signature lines; parse them as a note's signatures and keep the one that verifies with the configured key.
        if (!SignedNote.TryParse(text + "\n" + answer, out var note, out var error))
        {
            Fail(witness, $"The answer is not signature lines: {error}");
            return;
        }
        var mine = note.Signatures.FirstOrDefault(s => witness.Verifier.Verify(text, s, out _));
        if (mine is null || !witness.Verifier.Verify(text, mine, out var cosignedAt))
        {
            Fail(witness, $"No valid cosignature by {witness.Verifier.VerifierKey} in the answer.");
            return;
        }
        await using var command = ledger.DataSource.CreateCommand(
            $"insert into {ledger.Schema}.{LedgerTables.Cosignatures} (tree_size, verifier_key, line, cosigned_at, received_at) values ($1, $2, $3, $4, $5) " +
            "on conflict (tree_size, verifier_key) do nothing");
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.TreeSize });
        command.Parameters.Add(new NpgsqlParameter { Value = witness.Verifier.VerifierKey });
        command.Parameters.Add(new NpgsqlParameter { Value = mine.ToLine() });
        command.Parameters.Add(new NpgsqlParameter { Value = cosignedAt });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await command.ExecuteNonQueryAsync(ct);
        witness.KnownSize = checkpoint.TreeSize;
        witness.Failures = 0;
        witness.LastError = null;
        witness.NextAttempt = default;
        logger.LogInformation("Witness {Witness} cosigned tree size {TreeSize} in {Milliseconds:F1} ms", witness.Verifier.Name, checkpoint.TreeSize,
            witness.LastRoundTripMs);
    }

    static bool Cosigned(WitnessState witness, SignedCheckpoint checkpoint) =>
        SignedNote.TryParse(checkpoint.Note, out var note, out _) && note.Signatures.Any(witness.Verifier.Matches);

    void Fail(WitnessState witness, string why)
    {
        witness.Failures++;
        witness.LastError = why;
        var wait = options.Value.Ledger.WitnessRetryInterval * Math.Pow(2, Math.Min(witness.Failures - 1, 6));
        witness.NextAttempt = time.GetUtcNow() + wait;
        logger.LogWarning("Witness {Witness} ({Url}) did not cosign: {Reason}; retrying in {Wait}", witness.Verifier.Name, witness.Url, why, wait);
    }

    static string Trim(string text) => text.Length > 300 ? text[..300] + "…" : text.TrimEnd('\n');
}

/// <summary>Degraded while the newest checkpoint has gone without its witness quorum for longer than <see cref="LedgerOptions.WitnessQuorumTimeout"/>.</summary>
public sealed class WitnessQuorumCheck(Witnesses witnesses, CheckpointWriter checkpoints, IOptions<ProvenanceOptions> options, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
    {
        if (witnesses.All.Count == 0 || witnesses.Quorum == 0) return HealthCheckResult.Healthy("No witness quorum is configured.");
        try
        {
            var latest = await checkpoints.LatestAsync(ct);
            if (latest is null) return HealthCheckResult.Healthy("No checkpoint yet.");
            var cosigned = CosignedBy(witnesses, latest).Count;
            if (cosigned >= witnesses.Quorum) return HealthCheckResult.Healthy($"Checkpoint {latest.TreeSize} is cosigned by {cosigned} of {witnesses.All.Count} witnesses.");
            var waiting = time.GetUtcNow() - latest.CreatedAt;
            var errors = string.Join("; ", witnesses.All.Where(w => w.LastError is not null).Select(w => $"{w.Verifier.Name}: {w.LastError}"));
            var detail = $"Checkpoint {latest.TreeSize} has {cosigned} of the {witnesses.Quorum} cosignatures its quorum needs after {waiting.TotalSeconds:F0} s" +
                         (errors.Length > 0 ? $" ({errors})." : ".");
            return waiting > options.Value.Ledger.WitnessQuorumTimeout ? HealthCheckResult.Degraded(detail) : HealthCheckResult.Healthy(detail);
        }
        catch (NpgsqlException e)
        {
            return HealthCheckResult.Unhealthy($"Checkpoints are unreadable: {e.Message}");
        }
    }

    /// <summary>The configured witnesses whose valid cosignature the checkpoint's note carries, with its time.</summary>
    public static List<(WitnessState Witness, DateTimeOffset At)> CosignedBy(Witnesses witnesses, SignedCheckpoint checkpoint)
    {
        var result = new List<(WitnessState, DateTimeOffset)>();
        if (!SignedNote.TryParse(checkpoint.Note, out var note, out _)) return result;
        foreach (var w in witnesses.All)
        {
            foreach (var s in note.Signatures.Where(w.Verifier.Matches))
            {
                if (w.Verifier.Verify(note.Text, s, out var at))
                {
                    result.Add((w, at));
                    break;
                }
            }
        }
        return result;
    }
}
