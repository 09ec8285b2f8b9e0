using System.Globalization;

namespace Provenance.Ledger;

/// <summary>
/// Which witnesses must cosign a checkpoint before a verifier trusts it: a c2sp.org/tlog-policy file (<c>log</c>, <c>witness</c>,
/// <c>group</c> and <c>quorum</c> lines), or a list of witness keys with a threshold (<see cref="Threshold"/>).
/// </summary>
public sealed class WitnessPolicy
{
    readonly Dictionary<string, CosignatureVerifier> witnesses;
    readonly Dictionary<string, (int K, string[] Members)> groups;

    WitnessPolicy(IReadOnlyList<NoteVerifier> logs, Dictionary<string, CosignatureVerifier> witnesses, Dictionary<string, (int, string[])> groups,
        string quorum)
    {
        Logs = logs;
        this.witnesses = witnesses;
        this.groups = groups;
        Quorum = quorum;
    }

    /// <summary>The <c>log</c> lines' keys (may be empty: the log key is then given separately).</summary>
    public IReadOnlyList<NoteVerifier> Logs { get; }

    public IReadOnlyDictionary<string, CosignatureVerifier> Witnesses => witnesses;

    /// <summary>The name of the quorum witness or group; <c>none</c> requires no cosignature.</summary>
    public string Quorum { get; }

    public string Describe() => Quorum == "none" ? "no witness required"
        : groups.TryGetValue(Quorum, out var g) ? $"{g.K} of {g.Members.Length} ({string.Join(", ", g.Members)})" : $"witness {Quorum}";

    /// <summary>At least <paramref name="quorum"/> (default all) of <paramref name="keys"/> must cosign.</summary>
    public static WitnessPolicy Threshold(IReadOnlyList<CosignatureVerifier> keys, int? quorum = null)
    {
        if (keys.Count == 0) throw new ArgumentException("A witness policy names at least one witness.", nameof(keys));
        var k = quorum ?? keys.Count;
        if (k < 1 || k > keys.Count) throw new ArgumentException($"The quorum is between 1 and {keys.Count}.", nameof(quorum));
        if (keys.Select(w => Convert.ToBase64String(PublicKeyOf(w))).Distinct().Count() != keys.Count)
        {
            throw new ArgumentException("The same witness key is listed twice.", nameof(keys));
        }
        var named = keys.Select((w, i) => ($"w{i + 1}", w)).ToDictionary(p => p.Item1, p => p.w);
        return new WitnessPolicy([], named, new() { ["quorum"] = (k, named.Keys.ToArray()) }, "quorum");
    }

    /// <summary>Parses a tlog-policy file; throws <see cref="FormatException"/> naming the offending line.</summary>
    public static WitnessPolicy Parse(string text)
    {
        var logs = new List<NoteVerifier>();
        var witnesses = new Dictionary<string, CosignatureVerifier>(StringComparer.Ordinal);
        var groups = new Dictionary<string, (int, string[])>(StringComparer.Ordinal);
        string? quorum = null;
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            if (raw.Any(c => c < ' ' && c != '\t' || c == '\x7f')) throw Bad(number, "only tab is allowed among the control characters");
            var line = raw.Trim(' ', '\t');
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            bool Defined(string name) => witnesses.ContainsKey(name) || groups.ContainsKey(name);
            switch (words[0])
            {
                case "log" when words.Length is 2 or 3:
                    if (!NoteVerifier.TryParse(words[1], out var log, out var logError)) throw Bad(number, logError);
                    if (logs.Any(l => l.PublicKey.Span.SequenceEqual(log!.PublicKey.Span))) throw Bad(number, "duplicate log key");
                    logs.Add(log!);
                    break;
                case "witness" when words.Length is 3 or 4:
                    if (words[1] == "none" || Defined(words[1])) throw Bad(number, $"the name {words[1]} is already defined");
                    if (!CosignatureVerifier.TryParse(words[2], out var witness, out var witnessError)) throw Bad(number, witnessError);
                    if (witnesses.Values.Any(w => PublicKeyOf(w).AsSpan().SequenceEqual(PublicKeyOf(witness!)))) throw Bad(number, "duplicate witness key");
                    witnesses[words[1]] = witness!;
                    break;
                case "group" when words.Length >= 4:
                    if (words[1] == "none" || Defined(words[1])) throw Bad(number, $"the name {words[1]} is already defined");
                    var members = words[3..];
                    if (members.Any(m => m == "none" || !Defined(m))) throw Bad(number, "a group lists witnesses or groups defined on earlier lines");
                    if (members.Distinct(StringComparer.Ordinal).Count() != members.Length) throw Bad(number, "a member is listed twice");
                    var k = words[2] switch
                    {
                        "all" => members.Length,
                        "any" => 1,
                        var n when n.All(char.IsAsciiDigit) && int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var v) => v,
                        _ => throw Bad(number, "the threshold is all, any or a decimal number"),
                    };
                    if (k < 1 || k > members.Length) throw Bad(number, $"the threshold is between 1 and {members.Length}");
                    groups[words[1]] = (k, members);
                    break;
                case "quorum" when words.Length == 2:
                    if (quorum is not null) throw Bad(number, "a policy has exactly one quorum line");
                    if (words[1] != "none" && !Defined(words[1])) throw Bad(number, $"{words[1]} is not defined on an earlier line");
                    quorum = words[1];
                    break;
                default:
                    throw Bad(number, "expected log <vkey> [url], witness <name> <vkey> [url], group <name> <all|any|k> <name>..., or quorum <name>");
            }
        }
        return quorum is null
            ? throw new FormatException("Malformed policy: no quorum line (use 'quorum none' to require no witness).")
            : new WitnessPolicy(logs, witnesses, groups, quorum);
    }

    /// <summary>
    /// Checks the cosignatures of a signed note: each witness whose valid cosignature is present counts (unknown and invalid ones do
    /// not), and the quorum must be met. Call this after the log's own signature has been verified.
    /// </summary>
    public PolicyOutcome Evaluate(string signedNote)
    {
        if (!SignedNote.TryParse(signedNote, out var note, out var error)) return new PolicyOutcome(false, error, []);
        var cosigned = new List<WitnessCosignature>();
        foreach (var (name, witness) in witnesses)
        {
            foreach (var signature in note.Signatures.Where(witness.Matches))
            {
                if (witness.Verify(note.Text, signature, out var time))
                {
                    cosigned.Add(new WitnessCosignature(name, witness.VerifierKey, time));
                    break;
                }
            }
        }
        var names = cosigned.Select(c => c.Witness).ToHashSet(StringComparer.Ordinal);
        if (Quorum == "none" || Satisfied(Quorum, names)) return new PolicyOutcome(true, null, cosigned);
        var who = cosigned.Count == 0 ? "no witness of the policy" : string.Join(", ", cosigned.Select(c => c.Witness));
        return new PolicyOutcome(false, $"The checkpoint is cosigned by {who}; the policy requires {Describe()}.", cosigned);
    }

    bool Satisfied(string name, HashSet<string> cosigned) =>
        groups.TryGetValue(name, out var group) ? group.Members.Count(m => Satisfied(m, cosigned)) >= group.K : cosigned.Contains(name);

    static byte[] PublicKeyOf(CosignatureVerifier w) => w.PublicKey.ToArray();

    static FormatException Bad(int line, string why) => new($"Malformed policy, line {line}: {why}.");
}

/// <summary>The outcome of <see cref="WitnessPolicy.Evaluate"/>: whether the quorum holds and which witnesses validly cosigned.</summary>
public sealed record PolicyOutcome(bool Satisfied, string? Reason, IReadOnlyList<WitnessCosignature> Cosigned);

public sealed record WitnessCosignature(string Witness, string VerifierKey, DateTimeOffset Time);
