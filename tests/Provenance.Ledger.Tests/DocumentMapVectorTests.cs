namespace Provenance.Ledger.Tests;

/// <summary>The README §8 vectors, computed independently from its specification (Python hashlib); if these change, every map root does too.</summary>
public class DocumentMapVectorTests
{
    static readonly Guid Golden = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
    static readonly Guid One = Guid.Parse("00000000-0000-0000-0000-000000000001");
    static readonly Guid Two = Guid.Parse("00000000-0000-0000-0000-000000000002");
    static readonly Guid Three = Guid.Parse("00000000-0000-0000-0000-000000000003");

    static readonly MapValue GoldenValue = new(Golden, Count: 3, LastSequence: 42, LastLeafIndex: 41,
        Convert.FromHexString("426ac70d5ab2c692d8a691bda3b396156f9292d99fb3d7f1a4354418e9e2feff"));

    static readonly (byte[] Key, byte[] Value)[] SmallMap =
    [
        (DocumentMap.Key(Golden), GoldenValue.Encode()),
        (DocumentMap.Key(One), new MapValue(One, 1, 7, 6, System.Security.Cryptography.SHA256.HashData("one"u8)).Encode()),
        (DocumentMap.Key(Two), new MapValue(Two, 2, 9, 8, System.Security.Cryptography.SHA256.HashData("two"u8)).Encode()),
    ];

    const string SmallRoot = "b0e35af2de19ae32f265c8c2ba91ea9634b03d04c25b8bc54f8c2fe77b13d320";

    static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    [Fact]
    public void A_map_leaf_is_the_key_then_the_value_behind_0x10()
    {
        Hex(DocumentMap.Key(Golden)).ShouldBe("cdb5166dbf3a9d6842ace2a436c7db1b0df9761a09acc669865771cd8e9dd970");
        Hex(GoldenValue.Encode()).ShouldBe(
            "0f8fad5bd9cb469fa16570867728950e" + "0000000000000003" + "000000000000002a" + "0000000000000029"
            + "426ac70d5ab2c692d8a691bda3b396156f9292d99fb3d7f1a4354418e9e2feff");
        Hex(DocumentMap.LeafHash(DocumentMap.Key(Golden), GoldenValue.Encode())).ShouldBe("5282495d7c1feda1eb52d3ee8c80ceda33696816b8b56d79ea6e971e584ce4e4");
        MapValue.Decode(GoldenValue.Encode()).ShouldBeEquivalentTo(GoldenValue);
    }

    [Fact]
    public void The_empty_map_has_the_zero_root_and_a_map_of_one_document_the_root_of_its_leaf()
    {
        Hex(DocumentMap.ComputeRoot([])).ShouldBe(new string('0', 64));
        Hex(DocumentMap.ComputeRoot(SmallMap[..1])).ShouldBe("5282495d7c1feda1eb52d3ee8c80ceda33696816b8b56d79ea6e971e584ce4e4");
    }

    [Fact]
    public async Task A_map_of_three_documents_has_the_specified_root_and_proofs()
    {
        Hex(DocumentMap.ComputeRoot(SmallMap)).ShouldBe(SmallRoot);
        var store = new InMemoryMapStore();
        var update = await MapTree.UpdateAsync(store.AsOf(0), SmallMap);
        store.Add(1, update.Nodes);
        Hex(update.Root).ShouldBe(SmallRoot);

        // The golden document's key starts with bit 1, the other two with 0: its leaf sits alone at depth 1.
        var golden = await MapTree.ProveAsync(store.AsOf(1), DocumentMap.Key(Golden));
        golden.Siblings.Select(Hex).ShouldBe(["c80bc827adae8dab19e41915187143b3584eb90152239cbbced1004a914efa8a"]);
        golden.Value.ShouldBe(GoldenValue.Encode());
        golden.Verify(Convert.FromHexString(SmallRoot)).IsValid.ShouldBeTrue();

        // Keys of One (0111…) and Two (0110…) share three bits: two inner nodes with an empty child on the way down.
        var two = await MapTree.ProveAsync(store.AsOf(1), DocumentMap.Key(Two));
        two.Siblings.Select(Hex).ShouldBe([
            "5282495d7c1feda1eb52d3ee8c80ceda33696816b8b56d79ea6e971e584ce4e4", new string('0', 64), new string('0', 64),
            "f595a1407e87cce5aa0a6af638bd14b68e63becdae5a42924d45868a3c11b1f2"]);
        two.Verify(Convert.FromHexString(SmallRoot)).IsValid.ShouldBeTrue();

        // Three's key (1000…) is absent: its path ends at the golden document's leaf, alone under bit 1.
        var three = await MapTree.ProveAsync(store.AsOf(1), DocumentMap.Key(Three));
        three.Value.ShouldBeNull();
        three.OtherKey.ShouldBe(DocumentMap.Key(Golden));
        three.Siblings.Select(Hex).ShouldBe(["c80bc827adae8dab19e41915187143b3584eb90152239cbbced1004a914efa8a"]);
        three.Verify(Convert.FromHexString(SmallRoot)).IsValid.ShouldBeTrue();
    }

    [Fact]
    public void The_checkpoint_extension_line_carries_the_root_and_old_parsers_read_the_first_three_lines()
    {
        var root = Convert.FromHexString(SmallRoot);
        var checkpoint = new Checkpoint("provenance.example/ledger", 8, new byte[32]) { Extensions = [DocumentMap.ExtensionLine(root)] };
        var body = checkpoint.ToNoteBody();
        body.ShouldBe("provenance.example/ledger\n8\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nprovenance-document-map/v1 sONa8t4ZrjLyZcjCupHqljSwPQTCW4vFT4wv53sT0yA=\n");
        DocumentMap.TryGetRoot(Checkpoint.ParseNoteBody(body), out var parsed).ShouldBeTrue();
        parsed.ShouldBe(root);
        DocumentMap.TryGetRoot(checkpoint with { Extensions = [] }, out _).ShouldBeFalse();
        DocumentMap.TryGetRoot(checkpoint with { Extensions = [DocumentMap.ExtensionLine(root), DocumentMap.ExtensionLine(new byte[32])] }, out _).ShouldBeFalse();
    }
}
