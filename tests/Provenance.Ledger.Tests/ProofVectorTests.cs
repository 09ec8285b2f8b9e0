namespace Provenance.Ledger.Tests;

/// <summary>
/// The inclusion and consistency probes of transparency-dev/merkle (cmd/proofgen → testdata/): each published
/// proof, plus the same corruptions proofgen derives from it, all of which must fail.
/// </summary>
public class ProofVectorTests
{
    static readonly byte[] EmptyTreeHash = TreeVectors.Roots[0];

    public static TheoryData<int> InclusionCases => new(Enumerable.Range(0, TreeVectors.InclusionProofs.Length));

    public static TheoryData<int> ConsistencyCases => new(Enumerable.Range(0, TreeVectors.ConsistencyProofs.Length));

    [Theory, MemberData(nameof(InclusionCases))]
    public void Published_inclusion_proof_verifies(int @case)
    {
        var (leafIndex, treeSize, path) = TreeVectors.InclusionProofs[@case];
        var proof = new InclusionProof(leafIndex, treeSize, path);
        proof.Verify(TreeVectors.LeafHashes[leafIndex], TreeVectors.Roots[treeSize]).IsValid.ShouldBeTrue();
    }

    [Theory, MemberData(nameof(InclusionCases))]
    public void Corrupted_inclusion_proofs_fail(int @case)
    {
        var (leafIndex, treeSize, path) = TreeVectors.InclusionProofs[@case];
        var leaf = TreeVectors.LeafHashes[leafIndex];
        var root = TreeVectors.Roots[treeSize];
        var probes = new List<(string Desc, long LeafIndex, long TreeSize, byte[] Root, byte[] Leaf, byte[][] Path)>
        {
            ("leafIdx sub 1", leafIndex - 1, treeSize, root, leaf, path),
            ("leafIdx plus 1", leafIndex + 1, treeSize, root, leaf, path),
            ("leafIdx XOR 2", leafIndex ^ 2, treeSize, root, leaf, path),
            ("treeSize mul 2", leafIndex, treeSize * 2, root, leaf, path),
            ("treeSize div 2", leafIndex, treeSize / 2, root, leaf, path),
            ("wrong leaf", leafIndex, treeSize, root, "WrongLeaf"u8.ToArray(), path),
            ("empty root", leafIndex, treeSize, EmptyTreeHash, leaf, path),
            ("random root", leafIndex, treeSize, TreeVectors.SomeHash, leaf, path),
            ("trailing garbage", leafIndex, treeSize, root, leaf, [.. path, []]),
            ("trailing root", leafIndex, treeSize, root, leaf, [.. path, root]),
            ("preceding garbage", leafIndex, treeSize, root, leaf, [[], .. path]),
            ("preceding root", leafIndex, treeSize, root, leaf, [root, .. path]),
        };
        for (var i = 0; i < path.Length; i++)
        {
            probes.Add(($"modified proof[{i}] bit 3", leafIndex, treeSize, root, leaf, FlipBit(path, i, 3)));
        }
        if (path.Length > 0)
        {
            probes.Add(("removed component", leafIndex, treeSize, root, leaf, path[..^1]));
        }
        if (path.Length > 1)
        {
            probes.Add(("inserted component", leafIndex, treeSize, root, leaf, [path[0], TreeVectors.SomeHash, .. path[1..]]));
        }

        foreach (var p in probes)
        {
            new InclusionProof(p.LeafIndex, p.TreeSize, p.Path).Verify(p.Leaf, p.Root).IsValid.ShouldBeFalse(p.Desc);
        }
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    public void Inclusion_probes_with_empty_or_random_hashes_fail(long leafIndex, long treeSize)
    {
        var proof = new InclusionProof(leafIndex, treeSize, []);
        proof.Verify(TreeVectors.SomeHash, []).IsValid.ShouldBeFalse("random leaf");
        proof.Verify([], EmptyTreeHash).IsValid.ShouldBeFalse("empty root");
        proof.Verify(TreeVectors.SomeHash, EmptyTreeHash).IsValid.ShouldBeFalse("empty root and random leaf");
    }

    [Fact]
    public void Single_entry_tree_proves_its_leaf_with_an_empty_path_and_refuses_empty_hashes()
    {
        var hash = MerkleHash.LeafHash("data"u8);
        var proof = new InclusionProof(0, 1, []);
        proof.Verify(hash, hash).IsValid.ShouldBeTrue();
        proof.Verify([], hash).IsValid.ShouldBeFalse();
        proof.Verify(hash, []).IsValid.ShouldBeFalse();
        proof.Verify([], []).IsValid.ShouldBeFalse();
    }

    [Theory, MemberData(nameof(ConsistencyCases))]
    public void Published_consistency_proof_verifies(int @case)
    {
        var (fromSize, toSize, path) = TreeVectors.ConsistencyProofs[@case];
        new ConsistencyProof(fromSize, toSize, path)
            .Verify(TreeVectors.Roots[fromSize], TreeVectors.Roots[toSize]).IsValid.ShouldBeTrue();
    }

    [Theory, MemberData(nameof(ConsistencyCases))]
    public void Corrupted_consistency_proofs_fail(int @case)
    {
        var (size1, size2, path) = TreeVectors.ConsistencyProofs[@case];
        if (path.Length == 0)
        {
            return;
        }
        var root1 = TreeVectors.Roots[size1];
        var root2 = TreeVectors.Roots[size2];
        var wrongRoot = "WrongRoot"u8.ToArray();
        var probes = new List<(string Desc, long Size1, long Size2, byte[] Root1, byte[] Root2, byte[][] Path)>
        {
            ("size1 sub 1", size1 - 1, size2, root1, root2, path),
            ("size1 plus 1", size1 + 1, size2, root1, root2, path),
            ("size1 XOR 2", size1 ^ 2, size2, root1, root2, path),
            ("size2 mul 2", size1, size2 * 2, root1, root2, path),
            ("size2 div 2", size1, size2 / 2, root1, root2, path),
            ("wrong root1", size1, size2, wrongRoot, root2, path),
            ("wrong root2", size1, size2, root1, wrongRoot, path),
            ("swapped roots", size1, size2, root2, root1, path),
            ("empty proof", size1, size2, root1, root2, []),
            ("trailing garbage", size1, size2, root1, root2, [.. path, []]),
            ("trailing root1", size1, size2, root1, root2, [.. path, root1]),
            ("trailing root2", size1, size2, root1, root2, [.. path, root2]),
            ("preceding garbage", size1, size2, root1, root2, [[], .. path]),
            ("preceding root1", size1, size2, root1, root2, [root1, .. path]),
            ("preceding root2", size1, size2, root1, root2, [root2, .. path]),
            ("preceding proof[0]", size1, size2, root1, root2, [path[0], .. path]),
            ("truncated proof", size1, size2, root1, root2, path[..^1]),
        };
        for (var i = 0; i < path.Length; i++)
        {
            probes.Add(($"modified proof[{i}] bit 4", size1, size2, root1, root2, FlipBit(path, i, 4)));
        }

        foreach (var p in probes)
        {
            new ConsistencyProof(p.Size1, p.Size2, p.Path).Verify(p.Root1, p.Root2).IsValid.ShouldBeFalse(p.Desc);
        }
    }

    [Fact]
    public void Consistency_edge_cases_follow_the_published_probes()
    {
        var root1 = "don't care 1"u8.ToArray();
        var root2 = "don't care 2"u8.ToArray();
        byte[][] none = [];
        byte[][] oneHash = [EmptyTreeHash];

        Check(0, 0, root1, root2, none, false, "sizes are equal (zero) but roots are not");
        Check(1, 1, root1, root2, none, false, "sizes are equal (one) but roots are not");
        Check(0, 0, root1, root1, none, false, "sizes are equal (zero) and proof is empty");
        Check(0, 1, root1, root2, none, false, "size1 is zero and does not equal size2");
        Check(1, 1, root2, root2, none, true, "sizes are equal (one) and proof is empty");
        Check(1, 0, root1, root2, none, false, "size1 is greater than size2");
        Check(2, 1, root1, root2, none, false, "size1 is greater than size2 again");
        Check(1, 2, root1, root2, none, false, "sizes differ and proof is empty");
        Check(0, 0, EmptyTreeHash, root2, none, false, "roots do not match and sizes are zero");
        Check(1, 1, EmptyTreeHash, root2, none, false, "roots do not match and sizes are one");
        Check(0, 0, EmptyTreeHash, EmptyTreeHash, oneHash, false, "sizes match but proof is not empty and sizes are zero");
        Check(1, 1, EmptyTreeHash, EmptyTreeHash, oneHash, false, "sizes match but proof is not empty and sizes are one");
        Check(0, 1, EmptyTreeHash, root2, none, false, "size1 is zero and size2 is not zero");
        Check(0, 1, EmptyTreeHash, EmptyTreeHash, oneHash, false, "consistency check on empty tree is useless");

        static void Check(long size1, long size2, byte[] root1, byte[] root2, byte[][] path, bool valid, string desc) =>
            new ConsistencyProof(size1, size2, path).Verify(root1, root2).IsValid.ShouldBe(valid, desc);
    }

    [Fact]
    public void Node_store_planner_reproduces_the_published_proofs()
    {
        var store = new InMemoryNodeStore();
        var appender = new MerkleAppender();
        foreach (var leaf in TreeVectors.LeafHashes)
        {
            store.AddRange(appender.Append(leaf));
        }

        foreach (var (leafIndex, treeSize, path) in TreeVectors.InclusionProofs)
        {
            ProofPlan.ForInclusion(leafIndex, treeSize).Execute(store).AuditPath.ShouldBe(path);
        }
        foreach (var (fromSize, toSize, path) in TreeVectors.ConsistencyProofs)
        {
            ProofPlan.ForConsistency(fromSize, toSize).Execute(store).Path.ShouldBe(path);
        }
        for (var size = 0; size <= 8; size++)
        {
            ProofPlan.ForRoot(size).Execute(store).ShouldBe(TreeVectors.Roots[size]);
        }
    }

    static byte[][] FlipBit(byte[][] path, int element, int bit)
    {
        var copy = path.Select(p => (byte[])p.Clone()).ToArray();
        copy[element][0] ^= (byte)(1 << bit);
        return copy;
    }
}
