using System.Globalization;
using System.Text.Json;

namespace Provenance.Ledger;

/// <summary>One check of an offline report verification and what it found.</summary>
public sealed record ReportCheck(string Name, bool Passed, string Detail);

/// <summary>
/// What was checked for one event of a report: its leaf hash recomputed from the data, its link to the previous event, and its
/// inclusion proof against the checkpoint root (<c>Included</c> is null for an event newer than the checkpoint).
/// </summary>
public sealed record ReportEventCheck(long Sequence, long Version, string EventType, DateTimeOffset Timestamp, string Actor, bool LeafHashMatches,
    bool Chained, bool? Included, IReadOnlyList<string> Problems)
{
    public bool Passed => LeafHashMatches && Chained && Included != false && Problems.Count == 0;

    /// <summary>
    /// Set when a committed redaction erased some of the event's fields: format 2, the erased fields were checked by their commitments;
    /// format 1, "redacted: leaf hash retained, content not recomputable" (only its inclusion could be checked).
    /// </summary>
    public string? Redaction { get; init; }
}

/// <summary>
/// Every check made on a report, and whether the key they were made with is one the caller trusts. The report is verified only
/// when every check passed (at least one was made) against a trusted key: a report that names its own key proves nothing about
/// who made it.
/// </summary>
public sealed record ReportVerification(IReadOnlyList<ReportCheck> Checks, bool KeyTrusted = true)
{
    /// <summary>Event by event, what the <c>events</c> check found (empty when the report could not be read that far).</summary>
    public IReadOnlyList<ReportEventCheck> Events { get; init; } = [];

    public bool Passed => KeyTrusted && ChecksPassed;

    /// <summary>Every check passed, whichever key they were made with.</summary>
    public bool ChecksPassed => Checks.Count > 0 && Checks.All(c => c.Passed);
}

/// <summary>
/// Verifies an exported provenance report (format <c>provenance-report/1</c>, JSON) with nothing but its bytes, its detached
/// signature and the ledger's verifier key: the signature over the exact bytes, the checkpoint note's signature, and for every
/// event the leaf hash recomputed from the event data in the report, its link to the previous event of the stream, and its
/// inclusion proof against the checkpoint root. README.md §2–§5 specify the bytes.
/// </summary>
public static class ReportVerifier
{
    public const string Format = "provenance-report/1";

    /// <param name="signature">The <see cref="DetachedSignature"/> text; null fails the signature check.</param>
    /// <param name="trustedKey">The verifier key the caller trusts (published by the ledger, e.g. <c>GET /api/ledger/key</c>).</param>
    /// <param name="checkCompleteness">Whether to check that the report holds every event of its document in the checkpoint (README.md §8).</param>
    public static ReportVerification Verify(ReadOnlySpan<byte> report, string? signature, NoteVerifier trustedKey, bool checkCompleteness = true)
        => Check(report, signature, trustedKey ?? throw new ArgumentNullException(nameof(trustedKey)), checkCompleteness);

    /// <summary>
    /// Checks the report against the key it names itself. The result is never <see cref="ReportVerification.Passed"/>: anyone can
    /// sign a self-consistent report with a key of their own, so at best it is consistent, with an untrusted key.
    /// </summary>
    public static ReportVerification VerifyWithEmbeddedKey(ReadOnlySpan<byte> report, string? signature, bool checkCompleteness = true) =>
        Check(report, signature, null, checkCompleteness);

    /// <summary>True when the bytes are a JSON object of format <see cref="Format"/> (not another export, not JSON Lines).</summary>
    public static bool IsReport(ReadOnlySpan<byte> bytes)
    {
        try
        {
            using var json = JsonDocument.Parse(bytes.ToArray());
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String
                && format.GetString() == Format;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    static ReportVerification Check(ReadOnlySpan<byte> report, string? signature, NoteVerifier? trustedKey, bool checkCompleteness)
    {
        var checks = new List<ReportCheck>();
        var events = new List<ReportEventCheck>();
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(report.ToArray());
        }
        catch (JsonException e)
        {
            checks.Add(new ReportCheck("report", false, $"Not JSON: {e.Message}"));
            return new ReportVerification(checks, trustedKey is not null);
        }

        using (json)
        {
            try
            {
                VerifyParsed(report, json.RootElement, signature, trustedKey, checkCompleteness, checks, events);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
            {
                checks.Add(new ReportCheck("report", false, $"Malformed report: {e.Message}"));
            }
        }
        return new ReportVerification(checks, trustedKey is not null) { Events = events };
    }

    static void VerifyParsed(ReadOnlySpan<byte> bytes, JsonElement root, string? signature, NoteVerifier? trustedKey, bool checkCompleteness, List<ReportCheck> checks,
        List<ReportEventCheck> eventChecks)
    {
        if (root.GetProperty("format").GetString() != Format)
        {
            checks.Add(new ReportCheck("format", false, $"Not a {Format} report."));
            return;
        }
        var integrity = root.GetProperty("integrity");
        var embeddedKey = integrity.GetProperty("verifierKey").GetString()!;
        var key = trustedKey;
        if (key is null)
        {
            key = NoteVerifier.Parse(embeddedKey);
            checks.Add(new ReportCheck("key", true,
                $"Not checked: the checks below use the key the report names, {embeddedKey}, which anyone can make. Check it against the ledger's published key."));
        }
        else
        {
            checks.Add(new ReportCheck("key", key.VerifierKey == embeddedKey,
                key.VerifierKey == embeddedKey ? $"The report names the trusted key {key.VerifierKey}." : $"The report names {embeddedKey}, not the trusted key {key.VerifierKey}."));
        }

        if (signature is null)
        {
            checks.Add(new ReportCheck("signature", false, "No detached signature was given."));
        }
        else
        {
            var result = DetachedSignature.Parse(signature).Verify(bytes, key);
            checks.Add(new ReportCheck("signature", result.IsValid,
                result.IsValid ? $"Ed25519 signature by {key.Name}+{key.KeyId:x8} over all {bytes.Length} bytes." : result.Reason!));
        }

        var checkpointResult = Checkpoint.Verify(integrity.GetProperty("checkpoint").GetString()!, key);
        if (!checkpointResult.IsValid)
        {
            checks.Add(new ReportCheck("checkpoint", false, checkpointResult.Reason!));
            return;
        }
        var checkpoint = checkpointResult.Checkpoint!;
        checks.Add(new ReportCheck("checkpoint", true,
            $"Checkpoint of {checkpoint.Origin} at tree size {checkpoint.TreeSize}, root {Convert.ToBase64String(checkpoint.RootHash)}, signed by the key."));

        var streamId = root.GetProperty("document").GetProperty("id").GetGuid();
        var events = root.GetProperty("events").EnumerateArray().ToDictionary(e => e.GetProperty("sequence").GetInt64());
        var erased = ErasedFields(events.Values);
        byte[]? previous = null;
        long verified = 0, pending = 0, redacted = 0, recomputeSkipped = 0;
        var failures = new List<string>();
        var listed = new List<ListedEvent>();
        foreach (var proof in integrity.GetProperty("events").EnumerateArray())
        {
            var sequence = proof.GetProperty("sequence").GetInt64();
            var leafHash = proof.GetProperty("leafHash").GetBytesFromBase64();
            var chainPrev = proof.GetProperty("chainPrev").GetBytesFromBase64();
            var where = $"event {sequence}";
            var leafIndex = proof.GetProperty("leafIndex").GetInt64();
            var inCheckpoint = proof.GetProperty("inCheckpoint").GetBoolean();

            if (!events.TryGetValue(sequence, out var e))
            {
                failures.Add($"{where}: the integrity section names an event the report does not contain.");
                listed.Add(new ListedEvent(sequence, proof.TryGetProperty("version", out var named) ? named.GetInt64() : null, leafIndex, leafHash, chainPrev,
                    inCheckpoint, HasData: false));
                continue;
            }
            var version = e.GetProperty("version").GetInt64();
            var before = failures.Count;
            var expectedPrev = version == 1 ? new byte[MerkleHash.Size] : previous;
            var chained = expectedPrev is not null && chainPrev.AsSpan().SequenceEqual(expectedPrev);
            if (!chained)
            {
                failures.Add($"{where}: does not chain to the previous event of the document.");
            }

            // The fields a reader sees beside the data must be the committed ones.
            var shown = e.GetProperty("actor");
            if (shown.GetString() != ActorOf(e.GetProperty("data")))
            {
                failures.Add($"{where}: the actor shown, \"{shown.GetString()}\", is not the committed actor \"{ActorOf(e.GetProperty("data"))}\".");
            }
            var canonical = CanonicalJson.Canonicalize(e.GetProperty("data"));
            var format = proof.TryGetProperty("format", out var f) ? f.GetByte() : LeafEncoding.FormatVersion;
            var seals = proof.TryGetProperty("seals", out var s) && s.ValueKind == JsonValueKind.Array
                ? s.EnumerateArray().Select(x => new FieldSeal(x.GetProperty("path").GetString()!,
                    x.TryGetProperty("salt", out var salt) && salt.ValueKind == JsonValueKind.String ? salt.GetBytesFromBase64() : null,
                    x.GetProperty("commitment").GetBytesFromBase64())).ToList()
                : [];
            var erasedHere = erased.Where(x => x.Version == version).Select(x => x.Path).ToHashSet(StringComparer.Ordinal);
            foreach (var unnamed in seals.Where(x => x.Redacted && !erasedHere.Contains(x.Path)))
            {
                failures.Add($"{where}: the field '{unnamed.Path}' is given by its commitment alone, but no redaction in the report erased it.");
            }
            var payload = format == LeafEncoding.FormatVersion2 ? FieldCommitments.PayloadDigest(canonical, seals) : canonical;
            var entry = new LedgerEntry(sequence, streamId, version, e.GetProperty("eventType").GetString()!,
                e.GetProperty("timestamp").GetDateTimeOffset(), ActorOf(e.GetProperty("data")), payload, chainPrev) { Format = format };
            var recomputed = LeafEncoding.LeafHash(entry);
            var hashMatches = recomputed.AsSpan().SequenceEqual(leafHash);
            string? redaction = null;
            if (erasedHere.Count > 0 && (format == LeafEncoding.FormatVersion2 ? hashMatches : true))
            {
                redacted++;
                redaction = format == LeafEncoding.FormatVersion2
                    ? $"redacted: {string.Join(", ", erasedHere.Order(StringComparer.Ordinal))} checked by commitment, the rest recomputed"
                    : FormatOneRedacted;
            }
            if (!hashMatches && format == LeafEncoding.FormatVersion && erasedHere.Count > 0)
            {
                // Honest, not passed off: nothing but the leaf's inclusion can be checked for this event.
                recomputeSkipped++;
                hashMatches = true;
            }
            else if (!hashMatches)
            {
                failures.Add($"{where}: the event data hashes to {Convert.ToBase64String(recomputed)}, not the leaf {Convert.ToBase64String(leafHash)}.");
            }
            previous = leafHash;
            listed.Add(new ListedEvent(sequence, version, leafIndex, leafHash, chainPrev, inCheckpoint, HasData: true));

            bool? included = null;
            if (!inCheckpoint)
            {
                pending++;
            }
            else
            {
                var path = proof.GetProperty("auditPath").EnumerateArray().Select(p => p.GetBytesFromBase64()).ToList();
                var inclusion = new InclusionProof(leafIndex, checkpoint.TreeSize, path).Verify(leafHash, checkpoint.RootHash);
                included = inclusion.IsValid;
                if (inclusion.IsValid) verified++;
                else failures.Add($"{where}: inclusion proof fails: {inclusion.Reason}");
            }
            eventChecks.Add(new ReportEventCheck(sequence, version, entry.EventType, entry.Timestamp, entry.Actor, hashMatches, chained, included,
                failures.Skip(before).ToList()) { Redaction = redaction });
        }

        var covered = integrity.GetProperty("events").GetArrayLength();
        if (covered != events.Count) failures.Add($"The report has {events.Count} events but proofs for {covered}.");
        var notes = (redacted > 0 ? $"; {redacted} with erased fields" : "") + (recomputeSkipped > 0 ? $"; {recomputeSkipped} format-1 {FormatOneRedacted}" : "");
        checks.Add(new ReportCheck("events", failures.Count == 0, failures.Count == 0
            ? string.Create(CultureInfo.InvariantCulture,
                $"{(recomputeSkipped == 0 ? $"{events.Count} events: every leaf hash" : $"{events.Count - recomputeSkipped} of {events.Count} events: leaf hash")} recomputed from the event data and chained; {verified} inclusion proofs verify against the checkpoint root{(pending > 0 ? $"; {pending} newer than the checkpoint" : "")}{notes}.")
            : string.Join(Environment.NewLine, failures)));

        if (checkCompleteness)
        {
            var completeness = Completeness.Check(streamId, checkpoint, ReadCompleteness(integrity), listed);
            checks.Add(new ReportCheck("completeness", completeness.IsValid, completeness.Detail));
        }
    }

    static CompletenessProof? ReadCompleteness(JsonElement integrity)
    {
        if (!integrity.TryGetProperty("completeness", out var c) || c.ValueKind != JsonValueKind.Object) return null;
        static byte[]? Bytes(JsonElement e, string name) =>
            e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetBytesFromBase64() : null;
        return new CompletenessProof(c.GetProperty("treeSize").GetInt64(), Bytes(c, "mapRoot") ?? throw new FormatException("completeness.mapRoot is missing."),
            Bytes(c, "key") ?? throw new FormatException("completeness.key is missing."), Bytes(c, "value"),
            c.GetProperty("siblings").EnumerateArray().Select(s => s.GetBytesFromBase64()).ToList(), Bytes(c, "otherKey"), Bytes(c, "otherValue"));
    }

    /// <summary>What a verifier says of an erased format-1 event: its leaf is proved, its content can no longer be.</summary>
    public const string FormatOneRedacted = "redacted: leaf hash retained, content not recomputable";

    /// <summary>(version, payload path) of every field the report's redaction events (<c>document_redacted</c>) erased.</summary>
    static HashSet<(long Version, string Path)> ErasedFields(IEnumerable<JsonElement> events)
    {
        var erased = new HashSet<(long, string)>();
        foreach (var e in events.Where(e => e.GetProperty("eventType").GetString() == "document_redacted"))
        {
            if (!e.GetProperty("data").TryGetProperty("fields", out var fields) || fields.ValueKind != JsonValueKind.Array) continue;
            foreach (var field in fields.EnumerateArray()) erased.Add((field.GetProperty("version").GetInt64(), field.GetProperty("path").GetString()!));
        }
        return erased;
    }

    static string ActorOf(JsonElement data) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty("actor", out var actor) && actor.ValueKind == JsonValueKind.String
            ? actor.GetString()!
            : "";
}
