using System.Globalization;

namespace Provenance.Ledger;

/// <summary>
/// The document map proof a report or document proof carries: the map root of the checkpoint (also in its extension line), and the
/// proof of the document's <see cref="MapValue"/> (or of its absence) under that root. README.md §8.
/// </summary>
public sealed record CompletenessProof(long TreeSize, byte[] MapRoot, byte[] Key, byte[]? Value, IReadOnlyList<byte[]> Siblings, byte[]? OtherKey, byte[]? OtherValue)
{
    public MapProof ToMapProof() => new(Key, Siblings, Value, OtherKey, OtherValue);

    public static CompletenessProof From(long treeSize, byte[] mapRoot, MapProof proof) =>
        new(treeSize, mapRoot, proof.Key, proof.Value, proof.Siblings, proof.OtherKey, proof.OtherValue);
}

/// <summary>One event a report lists: its proof entry, and whether the report holds its data (<see cref="Version"/> is then the committed one).</summary>
public sealed record ListedEvent(long Sequence, long? Version, long LeafIndex, byte[] LeafHash, byte[] ChainPrev, bool InCheckpoint, bool HasData);

/// <summary>An event of the document that a report leaves out: its version, and its sequence and leaf hash when they can be told.</summary>
public sealed record MissingEvent(long Version, long? Sequence, long? SequenceAfter, long? SequenceBefore, byte[]? LeafHash)
{
    public override string ToString()
    {
        var sequence = Sequence is { } s ? $"sequence {s}"
            : (SequenceAfter, SequenceBefore) switch
            {
                ({ } a, { } b) => $"sequence unknown, between {a} and {b}",
                (null, { } b) => $"sequence unknown, before {b}",
                ({ } a, null) => $"sequence unknown, after {a}",
                _ => "sequence unknown",
            };
        return string.Create(CultureInfo.InvariantCulture,
            $"version {Version} ({sequence}{(LeafHash is null ? "" : $", leaf hash {Convert.ToBase64String(LeafHash)}")})");
    }
}

/// <summary>What a completeness check found: the map's count, the events missing from the report, and any other problem.</summary>
public sealed record CompletenessResult(bool IsValid, string Detail, long? Count, IReadOnlyList<MissingEvent> Missing);

/// <summary>
/// Checks that a report lists every event of its document among the checkpoint's first N leaves: the map proof gives the document's
/// count and newest leaf under the root the checkpoint signs; walking each leaf's chain link back from the newest must meet every
/// version down to 1 among the listed events, and nothing else listed may claim to be in the checkpoint.
/// </summary>
public static class Completeness
{
    public static CompletenessResult Check(Guid documentId, Checkpoint checkpoint, CompletenessProof? proof, IReadOnlyList<ListedEvent> listed)
    {
        if (proof is null)
            return Fail("The report carries no completeness proof (it was made before the ledger kept a document map).");
        if (!DocumentMap.TryGetRoot(checkpoint, out var mapRoot))
            return Fail($"The checkpoint commits to no document map (no single \"{DocumentMap.ExtensionName}\" extension line).");
        if (!proof.MapRoot.AsSpan().SequenceEqual(mapRoot) || proof.TreeSize != checkpoint.TreeSize)
            return Fail("The completeness proof is for another map root or tree size than the checkpoint's.");
        if (!proof.Key.AsSpan().SequenceEqual(DocumentMap.Key(documentId)))
            return Fail($"The completeness proof is for another key than SHA-256 of document {documentId}.");
        var verified = proof.ToMapProof().Verify(mapRoot);
        if (!verified.IsValid) return Fail($"The document map proof fails: {verified.Reason}");

        var size = checkpoint.TreeSize;
        var covered = listed.Where(e => e.InCheckpoint).ToList();
        if (listed.FirstOrDefault(e => e.InCheckpoint != e.LeafIndex < size) is { } misplaced)
            return Fail(string.Create(CultureInfo.InvariantCulture,
                $"Event {misplaced.Sequence} is at leaf {misplaced.LeafIndex} but says it is {(misplaced.InCheckpoint ? "" : "not ")}in the checkpoint of {size} leaves."));
        if (proof.Value is null)
        {
            return covered.Count == 0
                ? new CompletenessResult(true, string.Create(CultureInfo.InvariantCulture,
                    $"The document map proves the document has no event among the first {size} leaves; the report lists none there."), 0, [])
                : Fail(string.Create(CultureInfo.InvariantCulture,
                    $"The document map proves the document has no event among the first {size} leaves, yet the report places {covered.Count} there."));
        }

        MapValue value;
        try
        {
            value = MapValue.Decode(proof.Value);
        }
        catch (FormatException e)
        {
            return Fail($"The document map value is malformed: {e.Message}");
        }
        if (value.DocumentId != documentId) return Fail($"The document map value is for document {value.DocumentId}, not {documentId}.");
        if (value.LastLeafIndex >= size) return Fail("The document map places the newest event beyond the checkpoint.");

        var byHash = new Dictionary<string, ListedEvent>();
        foreach (var e in covered) byHash.TryAdd(Convert.ToBase64String(e.LeafHash), e);
        var withData = covered.Where(e => e.HasData && e.Version is not null).ToList();

        var missing = new List<MissingEvent>();
        var reached = new HashSet<long>();
        var problems = new List<string>();
        var hash = value.LastLeafHash;
        for (var version = value.Count; version >= 1; version--)
        {
            if (!byHash.TryGetValue(Convert.ToBase64String(hash), out var e))
            {
                // The chain leaves the report here: every version from this one down that the report does not hold is missing.
                for (var v = version; v >= 1; v--)
                {
                    if (withData.Any(x => x.Version == v && !reached.Contains(x.Sequence))) continue;
                    var listedOnly = covered.FirstOrDefault(x => !x.HasData && x.Version == v);
                    missing.Add(new MissingEvent(v, v == value.Count ? value.LastSequence : listedOnly?.Sequence,
                        withData.Where(x => x.Version < v).Select(x => (long?)x.Sequence).Max(),
                        withData.Where(x => x.Version > v).Select(x => (long?)x.Sequence).Min(),
                        v == version ? hash : listedOnly?.LeafHash));
                }
                // Below the gap the chain cannot be followed from the map; those events were each proved included above.
                foreach (var below in withData.Where(x => x.Version < version)) reached.Add(below.Sequence);
                break;
            }
            if (ShownVersion(e) is { } shown && shown != version)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"Event {e.Sequence} is version {shown} but stands where the chain from the newest event puts version {version}."));
                break;
            }
            if (version == value.Count && (e.Sequence != value.LastSequence || e.LeafIndex != value.LastLeafIndex))
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"The newest event is at sequence {value.LastSequence}, leaf {value.LastLeafIndex} by the map, not sequence {e.Sequence}, leaf {e.LeafIndex}."));
            }
            if (!e.HasData) missing.Add(new MissingEvent(version, e.Sequence, null, null, e.LeafHash));
            reached.Add(e.Sequence);
            hash = e.ChainPrev;
        }
        if (missing.Count == 0 && problems.Count == 0 && !hash.AsSpan().SequenceEqual(LedgerEntry.NoPreviousHash.Span))
            problems.Add("The chain from the newest event does not end at version 1.");
        foreach (var extra in covered.Where(e => !reached.Contains(e.Sequence) && !missing.Any(m => m.Sequence == e.Sequence)))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"Event {extra.Sequence} (leaf {extra.LeafIndex}) is not on the document's chain of {value.Count} events in the checkpoint."));
        }
        if (listed.FirstOrDefault(e => !e.InCheckpoint && e.Version is { } pv && pv <= value.Count) is { } early)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"Event {early.Sequence} is version {early.Version}, which the map counts among the first {size} leaves, yet the report says it is newer."));
        }

        if (missing.Count > 0)
        {
            problems.Insert(0, string.Create(CultureInfo.InvariantCulture,
                $"The document has {value.Count} events among the first {size} leaves; the report leaves out {missing.Count}: {string.Join("; ", missing.OrderBy(m => m.Version))}."));
        }
        return problems.Count == 0
            ? new CompletenessResult(true, string.Create(CultureInfo.InvariantCulture,
                $"All {value.Count} events of the document among the first {size} leaves are in the report: the document map proof verifies against the checkpoint's map root, and the chain from the newest event (sequence {value.LastSequence}, leaf {value.LastLeafIndex}) reaches version 1 through the report's events."),
                value.Count, [])
            : new CompletenessResult(false, string.Join(Environment.NewLine, problems), value.Count, missing.OrderBy(m => m.Version).ToList());

        static long? ShownVersion(ListedEvent e) => e.HasData ? e.Version : null;
    }

    static CompletenessResult Fail(string detail) => new(false, detail, null, []);
}
