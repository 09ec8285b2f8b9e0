using System.Buffers.Binary;
using CsCheck;

namespace Provenance.Ledger.Tests;

/// <summary>Proofs planned over a node store, checked against the RFC 6962 reference definitions on random trees.</summary>
public class MerklePropertyTests
{
    const int MaxTreeSize = 2000;

    static readonly Gen<int> TreeSize = Gen.Int[1, MaxTreeSize];

    [Fact]
    public void Inclusion_proof_verifies_for_every_leaf_of_random_trees() =>
        TreeSize.SelectMany(n => Gen.Long[0, n - 1].Select(i => (n, i))).Sample(c =>
        {
            var tree = TestTree.Build(c.n);
            var proof = ProofPlan.ForInclusion(c.i, c.n).Execute(tree.Store);

            proof.AuditPath.ShouldBe(MerkleTree.InclusionPath(c.i, tree.Leaves));
            proof.Verify(tree.Leaves[(int)c.i], tree.Root).IsValid.ShouldBeTrue();
        });

    [Fact]
    public void Consistency_proof_verifies_between_random_tree_sizes() =>
        TreeSize.SelectMany(n => Gen.Long[1, n].Select(m => (n, m))).Sample(c =>
        {
            var tree = TestTree.Build(c.n);
            var proof = ProofPlan.ForConsistency(c.m, c.n).Execute(tree.Store);

            proof.Path.ShouldBe(MerkleTree.ConsistencyPath(c.m, tree.Leaves));
            proof.Verify(MerkleTree.ComputeRoot(tree.Leaves[..(int)c.m]), tree.Root).IsValid.ShouldBeTrue();
        });

    [Fact]
    public void Root_of_every_earlier_size_comes_from_the_node_store() =>
        TreeSize.SelectMany(n => Gen.Long[0, n].Select(m => (n, m))).Sample(c =>
        {
            var tree = TestTree.Build(c.n);
            ProofPlan.ForRoot(c.m).Execute(tree.Store).ShouldBe(MerkleTree.ComputeRoot(tree.Leaves[..(int)c.m]));
        });

    [Fact]
    public void Proof_plans_need_logarithmically_many_nodes_fetched_in_one_round_trip() =>
        TreeSize.SelectMany(n => Gen.Long[1, n].Select(m => (n, m))).Sample(c =>
        {
            var tree = TestTree.Build(c.n);
            var store = new CountingStore(tree.Store);
            var depth = 64 - (int)long.LeadingZeroCount(c.n);

            var inclusion = ProofPlan.ForInclusion(c.m - 1, c.n);
            inclusion.Nodes.Count.ShouldBeLessThanOrEqualTo(2 * depth);
            inclusion.ExecuteAsync(store).AsTask().Result.AuditPath.ShouldBe(inclusion.Execute(tree.Store).AuditPath);

            var consistency = ProofPlan.ForConsistency(c.m, c.n);
            consistency.Nodes.Count.ShouldBeLessThanOrEqualTo(2 * depth);
            consistency.ExecuteAsync(store).AsTask().Result.Path.ShouldBe(consistency.Execute(tree.Store).Path);

            ProofPlan.ForRoot(c.n).Nodes.Count.ShouldBeLessThanOrEqualTo(depth);
            store.RoundTrips.ShouldBeLessThanOrEqualTo(2);
        });

    [Fact]
    public void Flipping_any_bit_of_an_inclusion_proof_leaf_or_root_fails_verification() =>
        TreeSize.SelectMany(n => Gen.Long[0, n - 1].Select(i => (n, i))).SelectMany(c => Gen.Int[0, int.MaxValue].Select(bit => (c.n, c.i, bit))).Sample(c =>
        {
            var tree = TestTree.Build(c.n);
            var proof = ProofPlan.ForInclusion(c.i, c.n).Execute(tree.Store);
            var hashes = new List<byte[]>(proof.AuditPath.Select(h => (byte[])h.Clone())) { (byte[])tree.Leaves[(int)c.i].Clone(), (byte[])tree.Root.Clone() };
            var bit = c.bit % (hashes.Count * 256);
            hashes[bit / 256][bit % 256 / 8] ^= (byte)(1 << (bit % 8));

            var tampered = proof with { AuditPath = hashes[..^2] };
            tampered.Verify(hashes[^2], hashes[^1]).IsValid.ShouldBeFalse();
        });

    [Fact]
    public void Flipping_any_bit_of_a_consistency_proof_or_its_roots_fails_verification() =>
        TreeSize.SelectMany(n => Gen.Long[1, n].Select(m => (n, m))).SelectMany(c => Gen.Int[0, int.MaxValue].Select(bit => (c.n, c.m, bit))).Sample(c =>
        {
            var tree = TestTree.Build(c.n);
            var proof = ProofPlan.ForConsistency(c.m, c.n).Execute(tree.Store);
            var hashes = new List<byte[]>(proof.Path.Select(h => (byte[])h.Clone()))
            {
                MerkleTree.ComputeRoot(tree.Leaves[..(int)c.m]),
                (byte[])tree.Root.Clone(),
            };
            var bit = c.bit % (hashes.Count * 256);
            hashes[bit / 256][bit % 256 / 8] ^= (byte)(1 << (bit % 8));

            var tampered = proof with { Path = hashes[..^2] };
            tampered.Verify(hashes[^2], hashes[^1]).IsValid.ShouldBeFalse();
        });

    [Fact]
    public void Appender_emits_exactly_the_newly_completed_subtrees_and_the_reference_root_after_every_append() =>
        Gen.Int[1, 300].Sample(n =>
        {
            var leaves = TestTree.LeafHashes(n);
            var appender = new MerkleAppender();
            for (var size = 1; size <= n; size++)
            {
                var emitted = appender.Append(leaves[size - 1]);

                // The nodes completed by leaf size-1 are the perfect subtrees that end at leaf size-1.
                var expected = Enumerable.Range(0, 63).Where(l => size % (1L << l) == 0).Select(l => new NodeId(l, size / (1L << l) - 1));
                emitted.Select(e => e.Id).ShouldBe(expected);
                foreach (var node in emitted)
                {
                    node.Hash.ShouldBe(MerkleTree.ComputeRoot(leaves[(int)node.Id.FirstLeaf..(int)(node.Id.FirstLeaf + node.Id.LeafCount)]));
                }
                appender.Size.ShouldBe(size);
                appender.Root().ShouldBe(MerkleTree.ComputeRoot(leaves[..size]));
            }
        });

    [Fact]
    public void Appender_restored_from_the_persisted_frontier_continues_as_if_never_stopped() =>
        Gen.Int[1, MaxTreeSize].SelectMany(n => Gen.Int[0, n].Select(r => (n, r))).Sample(c =>
        {
            var leaves = TestTree.LeafHashes(c.n);
            var store = new InMemoryNodeStore();
            var original = new MerkleAppender();
            for (var i = 0; i < c.r; i++)
            {
                store.AddRange(original.Append(leaves[i]));
            }

            var restored = MerkleAppender.RestoreAsync(c.r, store).AsTask().Result;
            restored.Size.ShouldBe(c.r);
            restored.Frontier.Select(f => f.Id).ShouldBe(MerkleAppender.FrontierIds(c.r));
            restored.Root().ShouldBe(original.Root());
            for (var i = c.r; i < c.n; i++)
            {
                var fromRestored = restored.Append(leaves[i]);
                var fromOriginal = original.Append(leaves[i]);
                fromRestored.Select(Describe).ShouldBe(fromOriginal.Select(Describe));
            }
            restored.Root().ShouldBe(MerkleTree.ComputeRoot(leaves));
        });

    static string Describe(MerkleNode node) => $"{node.Level}/{node.Index}/{Convert.ToHexStringLower(node.Hash)}";

    sealed record TestTree(byte[][] Leaves, InMemoryNodeStore Store, byte[] Root)
    {
        public static TestTree Build(long size)
        {
            var leaves = LeafHashes((int)size);
            var store = new InMemoryNodeStore();
            var appender = new MerkleAppender();
            foreach (var leaf in leaves)
            {
                store.AddRange(appender.Append(leaf));
            }
            return new TestTree(leaves, store, MerkleTree.ComputeRoot(leaves));
        }

        public static byte[][] LeafHashes(int count) =>
            Enumerable.Range(0, count).Select(i =>
            {
                Span<byte> data = stackalloc byte[4];
                BinaryPrimitives.WriteInt32BigEndian(data, i);
                return MerkleHash.LeafHash(data);
            }).ToArray();
    }

    sealed class CountingStore(IMerkleNodeSource inner) : IMerkleNodeSource
    {
        public int RoundTrips { get; private set; }

        public byte[] GetNode(int level, long index) => throw new InvalidOperationException("Proofs fetch their nodes in one batch.");

        public ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<NodeId> ids, CancellationToken cancellationToken = default)
        {
            RoundTrips++;
            return inner.GetNodesAsync(ids, cancellationToken);
        }
    }
}
