using System.Text.Json;

namespace Provenance.Ledger.Tests;

/// <summary>The JSON the API serves: these shapes are a public contract.</summary>
public class LedgerJsonTests
{
    [Fact]
    public void Inclusion_proof_serializes_with_camel_case_names_and_base64_hashes()
    {
        var (leafIndex, treeSize, path) = TreeVectors.InclusionProofs[3];
        var json = JsonSerializer.Serialize(new InclusionProof(leafIndex, treeSize, path), LedgerJson.Options);
        json.ShouldBe("{\"leafIndex\":2,\"treeSize\":3,\"auditPath\":[\"+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=\"]}");

        var back = JsonSerializer.Deserialize<InclusionProof>(json, LedgerJson.Options)!;
        back.Verify(TreeVectors.LeafHashes[2], TreeVectors.Roots[3]).IsValid.ShouldBeTrue();
    }

    [Fact]
    public void Consistency_proof_serializes_with_camel_case_names_and_base64_hashes()
    {
        var (fromSize, toSize, path) = TreeVectors.ConsistencyProofs[3];
        var json = JsonSerializer.Serialize(new ConsistencyProof(fromSize, toSize, path), LedgerJson.Options);
        json.ShouldBe("{\"fromSize\":2,\"toSize\":5,\"path\":[\"Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=\",\"vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=\"]}");

        var back = JsonSerializer.Deserialize<ConsistencyProof>(json, LedgerJson.Options)!;
        back.Verify(TreeVectors.Roots[2], TreeVectors.Roots[5]).IsValid.ShouldBeTrue();
    }

    [Fact]
    public void Checkpoint_serializes_with_camel_case_names_and_a_base64_root()
    {
        var checkpoint = new Checkpoint("provenance.example/ledger", 8, TreeVectors.Roots[8]);
        var json = JsonSerializer.Serialize(checkpoint, LedgerJson.Options);
        json.ShouldBe("{\"origin\":\"provenance.example/ledger\",\"treeSize\":8,\"rootHash\":\"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\",\"extensions\":[]}");

        var back = JsonSerializer.Deserialize<Checkpoint>(json, LedgerJson.Options)!;
        back.ToNoteBody().ShouldBe(checkpoint.ToNoteBody());
    }

    [Fact]
    public void Options_are_frozen_so_no_caller_can_change_the_contract() =>
        LedgerJson.Options.IsReadOnly.ShouldBeTrue();
}
