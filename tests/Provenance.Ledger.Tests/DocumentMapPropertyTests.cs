using CsCheck;

namespace Provenance.Ledger.Tests;

/// <summary>The persisted document map, updated in batches, checked against the definition's root computed from all entries at once.</summary>
public class DocumentMapPropertyTests
{
    // Keys drawn from few first bytes and mostly zero tails share long prefixes, so leaves move deep and inner nodes have empty children.
    static readonly Gen<byte[]> Key = Gen.OneOf(
        Gen.Byte.Array[DocumentMap.KeySize],
        Gen.Select(Gen.Int[0, 255], Gen.Int[0, 3], (position, bits) =>
        {
            var key = new byte[DocumentMap.KeySize];
            key[position / 8] = (byte)(bits << (6 - Math.Min(6, position % 8)));
            return key;
        }));

    static readonly Gen<byte[]> Value = Gen.Byte.Array[1, 8];

    static readonly Gen<List<List<(byte[] Key, byte[] Value)>>> Batches =
        Gen.Select(Key, Value).List[1, 12].List[1, 8];

    static string Hex(byte[] b) => Convert.ToHexString(b);

    [Fact]
    public void Every_version_of_an_incrementally_updated_map_has_the_root_of_its_entries() =>
        Batches.Sample(batches =>
        {
            var store = new InMemoryMapStore();
            var state = new Dictionary<string, (byte[] Key, byte[] Value)>();
            var roots = new List<byte[]>();
            for (var version = 1; version <= batches.Count; version++)
            {
                var result = MapTree.UpdateAsync(store.AsOf(version - 1), batches[version - 1]).Result;
                store.Add(version, result.Nodes);
                foreach (var entry in batches[version - 1]) state[Hex(entry.Key)] = entry;
                result.Root.ShouldBe(DocumentMap.ComputeRoot(state.Values));
                roots.Add(result.Root);
            }
            // Older versions stay readable: the root as of each version is unchanged by later writes.
            for (var version = 1; version <= batches.Count; version++)
            {
                var root = store.AsOf(version).GetMapNodesAsync([MapPosition.Root]).Result[MapPosition.Root].Hash;
                root.ShouldBe(roots[version - 1]);
            }
        });

    [Fact]
    public void Membership_proofs_give_each_key_its_value_at_that_version() =>
        Batches.Sample(batches =>
        {
            var store = new InMemoryMapStore();
            var state = new Dictionary<string, byte[]>();
            for (var version = 1; version <= batches.Count; version++)
            {
                var result = MapTree.UpdateAsync(store.AsOf(version - 1), batches[version - 1]).Result;
                store.Add(version, result.Nodes);
                foreach (var (key, value) in batches[version - 1]) state[Hex(key)] = value;
                foreach (var (hex, value) in state)
                {
                    var proof = MapTree.ProveAsync(store.AsOf(version), Convert.FromHexString(hex)).Result;
                    proof.Value.ShouldBe(value);
                    proof.Verify(result.Root).IsValid.ShouldBeTrue();
                }
            }
        });

    [Fact]
    public void Non_membership_proofs_verify_for_absent_keys_and_never_for_present_ones() =>
        Gen.Select(Batches, Key.List[1, 10]).Sample((batches, probes) =>
        {
            var store = new InMemoryMapStore();
            var present = new HashSet<string>();
            var root = DocumentMap.Empty;
            for (var version = 1; version <= batches.Count; version++)
            {
                var result = MapTree.UpdateAsync(store.AsOf(version - 1), batches[version - 1]).Result;
                store.Add(version, result.Nodes);
                foreach (var (key, _) in batches[version - 1]) present.Add(Hex(key));
                root = result.Root;
            }
            foreach (var key in probes)
            {
                var proof = MapTree.ProveAsync(store.AsOf(batches.Count), key).Result;
                proof.Verify(root).IsValid.ShouldBeTrue();
                (proof.Value is not null).ShouldBe(present.Contains(Hex(key)));
            }
        });

    [Fact]
    public void A_changed_value_sibling_or_path_length_fails_verification() =>
        Gen.Select(Batches, Gen.Int[0, 1000], Gen.Int[0, 31]).Sample((batches, pick, bit) =>
        {
            var store = new InMemoryMapStore();
            var entries = batches.SelectMany(b => b).ToList();
            var result = MapTree.UpdateAsync(store.AsOf(0), entries).Result;
            store.Add(1, result.Nodes);
            var (key, _) = entries[pick % entries.Count];
            var proof = MapTree.ProveAsync(store.AsOf(1), key).Result;
            proof.Verify(result.Root).IsValid.ShouldBeTrue();

            var value = proof.Value!.ToArray();
            value[bit % value.Length] ^= 1;
            (proof with { Value = value }).Verify(result.Root).IsValid.ShouldBeFalse();
            (proof with { Value = null }).Verify(result.Root).IsValid.ShouldBeFalse();
            (proof with { Siblings = [.. proof.Siblings, DocumentMap.Empty] }).Verify(result.Root).IsValid.ShouldBeFalse();
            if (proof.Siblings.Count > 0)
            {
                var siblings = proof.Siblings.Select(s => s.ToArray()).ToList();
                siblings[pick % siblings.Count][bit] ^= 0x80;
                (proof with { Siblings = siblings }).Verify(result.Root).IsValid.ShouldBeFalse();
                (proof with { Siblings = proof.Siblings.Skip(1).ToList() }).Verify(result.Root).IsValid.ShouldBeFalse();
            }
        });

    [Fact]
    public async Task Proofs_are_logarithmic_in_the_number_of_documents()
    {
        var store = new InMemoryMapStore();
        var entries = Enumerable.Range(0, 10_000).Select(i => (DocumentMap.Key(new Guid(i, 0, 0, new byte[8])), new byte[] { 1 })).ToList();
        var result = await MapTree.UpdateAsync(store.AsOf(0), entries);
        store.Add(1, result.Nodes);
        // log2(10,000) ≈ 13.3: random keys leave a leaf alone a few levels below that.
        var depths = new List<int>();
        foreach (var (key, _) in entries.Take(200)) depths.Add((await MapTree.ProveAsync(store.AsOf(1), key)).Siblings.Count);
        depths.Max().ShouldBeLessThan(40);
        depths.Average().ShouldBeLessThan(20);
    }
}
