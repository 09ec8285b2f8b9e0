using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Provenance.Ledger.Tests;

/// <summary>c2sp.org/tlog-witness add-checkpoint and c2sp.org/tlog-cosignature/v1, as the specifications state them.</summary>
public class WitnessTests
{
    const string Origin = "provenance.example/ledger";
    static readonly DateTimeOffset Now = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    readonly LedgerSigner log = LedgerSigner.Generate(Origin);
    readonly CosignatureSigner cosigner = CosignatureSigner.Generate("witness.example/w1");
    readonly MemoryStore store = new();
    readonly Witness witness;

    public WitnessTests()
    {
        witness = new Witness(cosigner, new Dictionary<string, IReadOnlyList<NoteVerifier>> { [Origin] = [log.Verifier] }, store, new FakeTimeProvider(Now));
    }

    static List<byte[]> Leaves(int n, string salt = "") => Enumerable.Range(0, n).Select(i => MerkleHash.LeafHash(Encoding.UTF8.GetBytes($"{salt}leaf {i}"))).ToList();

    string Note(IReadOnlyList<byte[]> leaves, int size, LedgerSigner? signer = null, params string[] extensions) =>
        (signer ?? log).SignCheckpoint(new Checkpoint(Origin, size, MerkleTree.ComputeRoot(leaves.Take(size).ToList())) { Extensions = extensions });

    Task<WitnessAnswer> Submit(long old, IReadOnlyList<byte[]> proof, string note) =>
        witness.AddCheckpointAsync(Encoding.UTF8.GetBytes(new AddCheckpointRequest(old, proof, note).Format()), CancellationToken.None);

    [Fact]
    public async Task A_first_checkpoint_is_cosigned_with_a_timestamped_cosignature_v1_over_the_whole_note_body()
    {
        var note = Note(Leaves(5), 5, null, "an extension line");
        var answer = await Submit(0, [], note);

        answer.Status.ShouldBe(200, answer.Body);
        answer.Body.ShouldStartWith("\u2014 witness.example/w1 ");
        answer.Body.ShouldEndWith("\n");
        var signature = SignedNote.Parse(SignedNote.Parse(note).Text + "\n" + answer.Body).Signatures.Single();
        // Key ID = SHA-256(name || 0x0A || 0x04 || public key)[:4]; the signature is u64 timestamp || Ed25519 signature.
        var publicKey = Convert.FromBase64String(cosigner.Verifier.VerifierKey.Split('+', 3)[2]);
        publicKey[0].ShouldBe((byte)0x04);
        var keyId = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData([.. "witness.example/w1\n"u8, .. publicKey]));
        signature.KeyId.ShouldBe(keyId);
        BinaryPrimitives.ReadUInt64BigEndian(signature.Signature).ShouldBe((ulong)Now.ToUnixTimeSeconds());
        var message = Encoding.UTF8.GetBytes($"cosignature/v1\ntime {Now.ToUnixTimeSeconds()}\n{SignedNote.Parse(note).Text}");
        NSec.Cryptography.SignatureAlgorithm.Ed25519.Verify(
            NSec.Cryptography.PublicKey.Import(NSec.Cryptography.SignatureAlgorithm.Ed25519, publicKey[1..], NSec.Cryptography.KeyBlobFormat.RawPublicKey),
            message, signature.Signature[8..]).ShouldBeTrue();

        var policy = WitnessPolicy.Parse($"witness w1 {cosigner.Verifier.VerifierKey}\nquorum w1\n");
        policy.Evaluate(note + answer.Body).Satisfied.ShouldBeTrue();
        policy.Evaluate(note).Satisfied.ShouldBeFalse();
    }

    [Fact]
    public async Task A_consistent_larger_checkpoint_is_cosigned_and_the_witness_then_holds_its_size()
    {
        var leaves = Leaves(20);
        (await Submit(0, [], Note(leaves, 7))).Status.ShouldBe(200);
        var answer = await Submit(7, MerkleTree.ConsistencyPath(7, leaves.Take(20).ToList()), Note(leaves, 20));
        answer.Status.ShouldBe(200, answer.Body);
        (await store.LoadAsync(Origin, default))!.TreeSize.ShouldBe(20);
    }

    [Fact]
    public async Task A_wrong_old_size_is_a_409_naming_the_size_the_witness_holds()
    {
        var leaves = Leaves(20);
        (await Submit(0, [], Note(leaves, 7))).Status.ShouldBe(200);
        var answer = await Submit(0, [], Note(leaves, 20));
        answer.Status.ShouldBe(409);
        answer.ContentType.ShouldBe("text/x.tlog.size");
        answer.Body.ShouldBe("7\n");
    }

    [Fact]
    public async Task A_fork_signed_with_the_log_key_is_refused_with_422_and_never_cosigned()
    {
        var leaves = Leaves(20);
        (await Submit(0, [], Note(leaves, 10))).Status.ShouldBe(200);
        // The same first 6 leaves, then a different history: the fork's own consistency proof from 10 does not reach the held root.
        var fork = leaves.Take(6).Concat(Leaves(14, "fork ")).ToList();
        var answer = await Submit(10, MerkleTree.ConsistencyPath(10, fork), Note(fork, 20));
        answer.Status.ShouldBe(422, answer.Body);
        // Nor is a second root at the size it already cosigned.
        (await Submit(10, [], Note(fork, 10))).Status.ShouldBe(422);
        (await store.LoadAsync(Origin, default))!.RootHash.ShouldBe(MerkleTree.ComputeRoot(leaves.Take(10).ToList()));
    }

    [Fact]
    public async Task The_same_checkpoint_again_is_cosigned_again()
    {
        var note = Note(Leaves(4), 4);
        (await Submit(0, [], note)).Status.ShouldBe(200);
        (await Submit(4, [], note)).Status.ShouldBe(200);
    }

    [Fact]
    public async Task An_unknown_origin_is_404_and_a_bad_or_missing_log_signature_403()
    {
        var stranger = LedgerSigner.Generate("elsewhere.example/log");
        (await Submit(0, [], stranger.SignCheckpoint(new Checkpoint("elsewhere.example/log", 1, MerkleHash.LeafHash([]))))).Status.ShouldBe(404);

        var impostor = LedgerSigner.Generate(Origin);
        (await Submit(0, [], Note(Leaves(3), 3, impostor))).Status.ShouldBe(403);

        var genuine = SignedNote.Parse(Note(Leaves(3), 3));
        var tampered = genuine with { Signatures = [genuine.Signatures[0] with { Signature = [.. genuine.Signatures[0].Signature[..^1], 0] }] };
        (await Submit(0, [], tampered.Format())).Status.ShouldBe(403);
        (await store.LoadAsync(Origin, default)).ShouldBeNull();
    }

    [Theory]
    [InlineData("")]
    [InlineData("old 01\n\nx\n")]
    [InlineData("old -1\n\n")]
    [InlineData("new 0\n\n")]
    [InlineData("old 0\nnot base64!\n\n")]
    [InlineData("old 0\n")]
    public async Task A_malformed_request_is_400(string body)
    {
        var answer = await witness.AddCheckpointAsync(Encoding.UTF8.GetBytes(body), CancellationToken.None);
        answer.Status.ShouldBe(400);
    }

    [Fact]
    public async Task An_old_size_above_the_checkpoint_size_is_400_and_a_bad_proof_422()
    {
        var emptyWrongRoot = log.SignCheckpoint(new Checkpoint(Origin, 0, MerkleHash.LeafHash([])));
        (await Submit(0, [], emptyWrongRoot)).Status.ShouldBe(422);
        var leaves = Leaves(9);
        (await Submit(12, [], Note(leaves, 9))).Status.ShouldBe(400);
        (await Submit(0, [MerkleHash.LeafHash([])], Note(leaves, 9))).Status.ShouldBe(422);
        (await Submit(0, [], Note(leaves, 3))).Status.ShouldBe(200);
        (await Submit(3, [MerkleHash.LeafHash([])], Note(leaves, 9))).Status.ShouldBe(422);
    }

    [Fact]
    public async Task Concurrent_submissions_of_one_log_are_serialized_so_exactly_one_old_0_wins()
    {
        var leaves = Leaves(64);
        var answers = await Task.WhenAll(Enumerable.Range(1, 32).Select(n => Task.Run(() => Submit(0, [], Note(leaves, n)))));
        answers.Count(a => a.Status == 200).ShouldBe(1);
        answers.Count(a => a.Status == 409).ShouldBe(31);
    }

    [Fact]
    public void A_policy_file_with_groups_requires_its_thresholds()
    {
        var w = Enumerable.Range(1, 4).Select(i => CosignatureSigner.Generate($"w{i}.example/witness")).ToList();
        var policy = WitnessPolicy.Parse($"""
            # two of the first three, and the fourth
            log {log.Verifier.VerifierKey}
            witness A {w[0].Verifier.VerifierKey}
            witness B {w[1].Verifier.VerifierKey} https://b.example/
            witness C {w[2].Verifier.VerifierKey}
            group abc 2 A B C
            witness D {w[3].Verifier.VerifierKey}
            group all-of-it all abc D
            quorum all-of-it
            """);
        var note = Note(Leaves(2), 2);
        var body = SignedNote.Parse(note).Text;
        string With(params int[] who) => note + string.Concat(who.Select(i => w[i].Cosign(body, Now).ToLine()));

        policy.Evaluate(With(0, 1, 3)).Satisfied.ShouldBeTrue();
        policy.Evaluate(With(0, 1)).Satisfied.ShouldBeFalse();
        policy.Evaluate(With(0, 3)).Reason!.ShouldContain("A");
        // A cosignature over another body does not count.
        policy.Evaluate(note + w[1].Cosign("other\n1\n" + Convert.ToBase64String(new byte[32]) + "\n", Now).ToLine() + w[0].Cosign(body, Now).ToLine()
            + w[3].Cosign(body, Now).ToLine()).Satisfied.ShouldBeFalse();
        WitnessPolicy.Parse("quorum none\n").Evaluate(note).Satisfied.ShouldBeTrue();
        WitnessPolicy.Threshold([w[0].Verifier, w[1].Verifier], 1).Evaluate(With(1)).Satisfied.ShouldBeTrue();
        WitnessPolicy.Threshold([w[0].Verifier, w[1].Verifier]).Evaluate(With(1)).Satisfied.ShouldBeFalse();
    }

    [Theory]
    [InlineData("witness A {0}\n")]
    [InlineData("quorum A\nwitness A {0}\n")]
    [InlineData("witness A {0}\ngroup g 3 A\nquorum g\n")]
    [InlineData("witness A {0}\nwitness B {0}\nquorum A\n")]
    [InlineData("witness A {1}\nquorum A\n")]
    public void A_malformed_policy_is_refused(string text)
    {
        var key = cosigner.Verifier.VerifierKey;
        Should.Throw<FormatException>(() => WitnessPolicy.Parse(string.Format(text, key, log.Verifier.VerifierKey)));
    }

    [Fact]
    public void A_signer_key_round_trips_and_a_log_key_is_not_a_witness_key()
    {
        using var again = CosignatureSigner.FromSignerKey(cosigner.ExportSignerKey());
        again.Verifier.VerifierKey.ShouldBe(cosigner.Verifier.VerifierKey);
        CosignatureVerifier.TryParse(log.Verifier.VerifierKey, out _, out var error).ShouldBeFalse();
        error.ShouldContain("0x04");
    }

    sealed class MemoryStore : IWitnessStateStore
    {
        readonly Dictionary<string, WitnessedCheckpoint> states = [];

        public Task<WitnessedCheckpoint?> LoadAsync(string origin, CancellationToken ct) =>
            Task.FromResult(states.TryGetValue(origin, out var s) ? s : null);

        public async Task SaveAsync(string origin, WitnessedCheckpoint state, CancellationToken ct)
        {
            await Task.Yield();
            states[origin] = state;
        }
    }
}
