using System.Globalization;
using System.Text;

namespace Provenance.Ledger;

/// <summary>
/// The body of a c2sp.org/tlog-witness <c>add-checkpoint</c> request: "old &lt;size&gt;", up to 63 consistency proof hashes (one
/// base64 line each), a blank line, then the signed checkpoint note.
/// </summary>
public sealed record AddCheckpointRequest(long OldSize, IReadOnlyList<byte[]> Proof, string Note)
{
    public const int MaxProofLines = 63;

    /// <summary>Bodies larger than this are refused: a checkpoint with a few signatures and a 63-hash proof fits in a fraction.</summary>
    public const int MaxBytes = 64 * 1024;

    public string Format()
    {
        var body = new StringBuilder($"old {OldSize.ToString(CultureInfo.InvariantCulture)}\n");
        foreach (var hash in Proof) body.Append(Convert.ToBase64String(hash)).Append('\n');
        return body.Append('\n').Append(Note).ToString();
    }

    /// <summary>Parses the body; throws <see cref="FormatException"/> (a 400) when it is malformed.</summary>
    public static AddCheckpointRequest Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length > MaxBytes) throw new FormatException($"The request is larger than {MaxBytes} bytes.");
        string text;
        try
        {
            text = NoteText.StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException("The request is not UTF-8.");
        }
        var at = 0;
        string NextLine()
        {
            var end = text.IndexOf('\n', at);
            if (end < 0) throw new FormatException("Every line of the request ends with a newline.");
            var line = text[at..end];
            at = end + 1;
            return line;
        }
        var old = NextLine();
        if (!old.StartsWith("old ", StringComparison.Ordinal) || !IsCanonicalDecimal(old[4..])
            || !long.TryParse(old[4..], NumberStyles.None, CultureInfo.InvariantCulture, out var oldSize))
        {
            throw new FormatException("The first line is \"old <size>\", the size in decimal without leading zeroes.");
        }
        var proof = new List<byte[]>();
        for (var line = NextLine(); line.Length > 0; line = NextLine())
        {
            if (proof.Count == MaxProofLines) throw new FormatException($"More than {MaxProofLines} consistency proof lines.");
            if (!NoteText.TryDecodeBase64(line, out var hash) || hash.Length != MerkleHash.Size)
            {
                throw new FormatException($"A consistency proof line is the base64 of a {MerkleHash.Size}-byte hash.");
            }
            proof.Add(hash);
        }
        return new AddCheckpointRequest(oldSize, proof, text[at..]);
    }

    static bool IsCanonicalDecimal(string s) => s.Length is > 0 and < 20 && s.All(char.IsAsciiDigit) && (s == "0" || s[0] != '0');
}

/// <summary>What a witness holds for one log: the latest checkpoint it cosigned (size, root) and that note with its cosignature.</summary>
public sealed record WitnessedCheckpoint(long TreeSize, byte[] RootHash, string CosignedNote);

/// <summary>Where a witness keeps its state; <see cref="SaveAsync"/> returns only once the state is durable.</summary>
public interface IWitnessStateStore
{
    Task<WitnessedCheckpoint?> LoadAsync(string origin, CancellationToken ct);

    Task SaveAsync(string origin, WitnessedCheckpoint state, CancellationToken ct);
}

/// <summary>The witness's answer: an HTTP status, its content type and body.</summary>
public sealed record WitnessAnswer(int Status, string ContentType, string Body)
{
    public const string SizeContentType = "text/x.tlog.size";

    internal static WitnessAnswer Text(int status, string reason) => new(status, "text/plain; charset=utf-8", reason + "\n");
}

/// <summary>
/// A c2sp.org/tlog-witness: checks a submitted checkpoint against the log's keys and the latest checkpoint it cosigned for that
/// origin, persists the new one, and cosigns it (tlog-cosignature/v1). Requests for one log are serialized, so check and update are
/// atomic and it never cosigns two different roots at one size, nor a smaller tree after a larger one.
/// </summary>
public sealed class Witness(CosignatureSigner signer, IReadOnlyDictionary<string, IReadOnlyList<NoteVerifier>> logs, IWitnessStateStore store,
    TimeProvider time)
{
    readonly Dictionary<string, SemaphoreSlim> locks = logs.Keys.ToDictionary(o => o, _ => new SemaphoreSlim(1, 1), StringComparer.Ordinal);

    public CosignatureVerifier Verifier => signer.Verifier;

    public async Task<WitnessAnswer> AddCheckpointAsync(ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        AddCheckpointRequest request;
        SignedNote note;
        Checkpoint checkpoint;
        try
        {
            request = AddCheckpointRequest.Parse(body.Span);
            note = SignedNote.Parse(request.Note);
            checkpoint = Checkpoint.ParseNoteBody(note.Text);
        }
        catch (FormatException e)
        {
            return WitnessAnswer.Text(400, e.Message);
        }
        if (!logs.TryGetValue(checkpoint.Origin, out var keys)) return WitnessAnswer.Text(404, $"Unknown log origin \"{checkpoint.Origin}\".");
        var verified = NoteVerifier.VerifyNote(request.Note, keys);
        if (!verified.IsValid) return WitnessAnswer.Text(403, $"The checkpoint is not signed by the log's key: {verified.Reason}");
        if (request.OldSize > checkpoint.TreeSize) return WitnessAnswer.Text(400, $"old {request.OldSize} is larger than the checkpoint's size {checkpoint.TreeSize}.");

        var gate = locks[checkpoint.Origin];
        await gate.WaitAsync(ct);
        try
        {
            var latest = await store.LoadAsync(checkpoint.Origin, ct);
            var held = latest?.TreeSize ?? 0;
            if (request.OldSize != held) return new WitnessAnswer(409, WitnessAnswer.SizeContentType, $"{held.ToString(CultureInfo.InvariantCulture)}\n");
            if (checkpoint.TreeSize == 0 && !checkpoint.RootHash.AsSpan().SequenceEqual(MerkleHash.EmptyRoot))
            {
                return WitnessAnswer.Text(422, "A checkpoint of size 0 has the root hash of the empty tree.");
            }
            if (latest is null)
            {
                if (request.Proof.Count != 0) return WitnessAnswer.Text(422, "From old size 0 the consistency proof is empty.");
            }
            else if (latest.TreeSize == checkpoint.TreeSize)
            {
                if (request.Proof.Count != 0 || !latest.RootHash.AsSpan().SequenceEqual(checkpoint.RootHash))
                {
                    return WitnessAnswer.Text(422, $"A different root hash at tree size {checkpoint.TreeSize} than the one this witness cosigned.");
                }
            }
            else
            {
                var consistent = new ConsistencyProof(latest.TreeSize, checkpoint.TreeSize, request.Proof).Verify(latest.RootHash, checkpoint.RootHash);
                if (!consistent.IsValid)
                {
                    return WitnessAnswer.Text(422, $"Not consistent with the tree of {latest.TreeSize} leaves this witness cosigned: {consistent.Reason}");
                }
            }

            var cosignature = signer.Cosign(note.Text, time.GetUtcNow());
            var logSignatures = note.Signatures.Where(s => verified.Verified.Contains(s));
            var cosigned = new SignedNote(note.Text, [.. logSignatures, cosignature]).Format();
            await store.SaveAsync(checkpoint.Origin, new WitnessedCheckpoint(checkpoint.TreeSize, checkpoint.RootHash, cosigned), ct);
            return new WitnessAnswer(200, "text/plain; charset=utf-8", cosignature.ToLine());
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The latest cosigned checkpoint of <paramref name="origin"/> (the monitoring endpoint), or null.</summary>
    public async Task<string?> LatestAsync(string origin, CancellationToken ct) =>
        logs.ContainsKey(origin) ? (await store.LoadAsync(origin, ct))?.CosignedNote : null;
}
