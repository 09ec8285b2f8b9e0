namespace Provenance.Ledger.Tests;

public class MerkleHashTests
{
    [Fact]
    public void Empty_tree_root_is_the_sha256_of_the_empty_string() =>
        Convert.ToHexStringLower(MerkleHash.EmptyRoot).ShouldBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    [Fact]
    public void Leaf_hashes_of_the_rfc6962_test_leaves_match_the_published_values()
    {
        for (var i = 0; i < TreeVectors.LeafInputs.Length; i++)
        {
            MerkleHash.LeafHash(TreeVectors.LeafInputs[i]).ShouldBe(TreeVectors.NodeHashes[0][i]);
        }
    }

    [Fact]
    public void Roots_of_the_rfc6962_test_tree_match_the_published_values_for_every_size()
    {
        var leaves = TreeVectors.LeafHashes;
        for (var size = 0; size <= leaves.Length; size++)
        {
            MerkleTree.ComputeRoot(leaves[..size]).ShouldBe(TreeVectors.Roots[size], $"size {size}");
        }
    }

    [Fact]
    public void Appending_the_rfc6962_test_leaves_emits_every_published_perfect_subtree_and_root()
    {
        var appender = new MerkleAppender();
        var emitted = new List<MerkleNode>();
        appender.Root().ShouldBe(TreeVectors.Roots[0]);
        foreach (var leaf in TreeVectors.LeafHashes)
        {
            emitted.AddRange(appender.Append(leaf));
            appender.Root().ShouldBe(TreeVectors.Roots[appender.Size]);
        }

        var expected = TreeVectors.NodeHashes.SelectMany((level, l) => level.Select((hash, i) => $"{l}/{i}/{Convert.ToHexStringLower(hash)}"));
        emitted.OrderBy(n => n.Level).ThenBy(n => n.Index)
            .Select(n => $"{n.Level}/{n.Index}/{Convert.ToHexStringLower(n.Hash)}")
            .ShouldBe(expected);
    }

    [Fact]
    public void Node_hash_prefixes_0x01_to_both_children()
    {
        var left = TreeVectors.NodeHashes[0][0];
        var right = TreeVectors.NodeHashes[0][1];
        MerkleHash.NodeHash(left, right).ShouldBe(TreeVectors.NodeHashes[1][0]);
        MerkleHash.NodeHash(right, left).ShouldNotBe(TreeVectors.NodeHashes[1][0]);
    }
}
