using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Provenance.Ledger.Tests;

public class CheckpointTests
{
    const string Origin = "provenance.example/ledger";

    static Checkpoint SampleCheckpoint()
    {
        var appender = new MerkleAppender();
        foreach (var leaf in TreeVectors.LeafHashes)
        {
            appender.Append(leaf);
        }
        return new Checkpoint(Origin, appender.Size, appender.Root());
    }

    [Fact]
    public void C2sp_example_checkpoint_body_parses_and_formats_back()
    {
        const string body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        var checkpoint = Checkpoint.ParseNoteBody(body);
        checkpoint.Origin.ShouldBe("example.com/behind-the-sofa");
        checkpoint.TreeSize.ShouldBe(20852163);
        checkpoint.RootHash.ShouldBe(Convert.FromBase64String("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="));
        checkpoint.Extensions.ShouldBeEmpty();
        checkpoint.ToNoteBody().ShouldBe(body);
    }

    [Fact]
    public void Note_body_is_origin_size_and_base64_root_on_their_own_lines()
    {
        SampleCheckpoint().ToNoteBody().ShouldBe($"{Origin}\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
        var withExtensions = SampleCheckpoint() with { Extensions = ["ext one", "ext two"] };
        withExtensions.ToNoteBody().ShouldEndWith("Qyg=\next one\next two\n");
        Checkpoint.ParseNoteBody(withExtensions.ToNoteBody()).Extensions.ShouldBe(["ext one", "ext two"]);
    }

    [Fact]
    public void Signed_checkpoint_verifies_with_the_log_key()
    {
        using var signer = LedgerSigner.Generate(Origin);
        var signed = signer.SignCheckpoint(SampleCheckpoint());

        var result = Checkpoint.Verify(signed, NoteVerifier.Parse(signer.Verifier.VerifierKey));
        result.IsValid.ShouldBeTrue(result.Reason);
        result.Checkpoint!.TreeSize.ShouldBe(8);
        result.Checkpoint.RootHash.ShouldBe(TreeVectors.Roots[8]);
    }

    [Fact]
    public void Tampered_checkpoint_body_fails()
    {
        using var signer = LedgerSigner.Generate(Origin);
        var signed = signer.SignCheckpoint(SampleCheckpoint());
        Checkpoint.Verify(signed.Replace("\n8\n", "\n9\n"), signer.Verifier).IsValid.ShouldBeFalse();
    }

    [Fact]
    public void Tampered_checkpoint_signature_fails()
    {
        using var signer = LedgerSigner.Generate(Origin);
        var signed = signer.SignCheckpoint(SampleCheckpoint());
        var line = signed.LastIndexOf('\u2014');
        var position = line + 2 + Origin.Length + 1 + 10;
        var tampered = signed[..position] + (signed[position] == 'A' ? 'B' : 'A') + signed[(position + 1)..];
        Checkpoint.Verify(tampered, signer.Verifier).IsValid.ShouldBeFalse();
    }

    [Fact]
    public void Checkpoint_signed_by_another_key_of_the_same_name_fails()
    {
        using var signer = LedgerSigner.Generate(Origin);
        using var impostor = LedgerSigner.Generate(Origin);
        Checkpoint.Verify(impostor.SignCheckpoint(SampleCheckpoint()), signer.Verifier).IsValid.ShouldBeFalse();
    }

    [Fact]
    public void Witness_cosignatures_by_other_keys_are_tolerated()
    {
        using var signer = LedgerSigner.Generate(Origin);
        using var witness = LedgerSigner.Generate("witness.example/w1");
        var cosigned = witness.SignNote(SignedNote.Parse(signer.SignCheckpoint(SampleCheckpoint())));

        var result = Checkpoint.Verify(cosigned, signer.Verifier);
        result.IsValid.ShouldBeTrue(result.Reason);
        NoteVerifier.VerifyNote(cosigned, [signer.Verifier, witness.Verifier]).Verified.Count.ShouldBe(2);
    }

    [Fact]
    public void Checkpoint_for_another_origin_fails_unless_that_origin_is_expected()
    {
        using var signer = LedgerSigner.Generate("provenance.example/key");
        var signed = signer.SignCheckpoint(SampleCheckpoint());
        Checkpoint.Verify(signed, signer.Verifier).IsValid.ShouldBeFalse();
        Checkpoint.Verify(signed, signer.Verifier, expectedOrigin: Origin).IsValid.ShouldBeTrue();
    }

    [Theory]
    [InlineData("origin\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=")]
    [InlineData("origin\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")]
    [InlineData("origin\n-8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")]
    [InlineData("origin\n+8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")]
    [InlineData("origin\n8\n")]
    [InlineData("\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")]
    [InlineData("origin\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ==\n")]
    [InlineData("origin\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n")]
    [InlineData("origin\n99999999999999999999\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")]
    public void Malformed_checkpoint_bodies_are_refused(string body) =>
        Should.Throw<FormatException>(() => Checkpoint.ParseNoteBody(body));

    [Fact]
    public void Empty_tree_checkpoint_has_size_zero_and_the_empty_root() =>
        new Checkpoint(Origin, 0, MerkleHash.EmptyRoot).ToNoteBody()
            .ShouldBe($"{Origin}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");

    [Fact]
    public void Independent_note_verifier_accepts_a_production_signed_checkpoint()
    {
        using var signer = LedgerSigner.Generate(Origin);
        var signed = signer.SignCheckpoint(SampleCheckpoint());

        IndependentlyVerify(signed, signer.Verifier.VerifierKey).ShouldBe($"{Origin}\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
        IndependentlyVerify(signed.Replace("\n8\n", "\n7\n"), signer.Verifier.VerifierKey).ShouldBeNull();
    }

    // Written from c2sp.org/signed-note alone, sharing no code with the library: returns the verified text or null.
    static string? IndependentlyVerify(string note, string verifierKey)
    {
        var firstPlus = verifierKey.IndexOf('+');
        var secondPlus = verifierKey.IndexOf('+', firstPlus + 1);
        var name = verifierKey[..firstPlus];
        var keyId = Convert.FromHexString(verifierKey[(firstPlus + 1)..secondPlus]);
        var typedKey = Convert.FromBase64String(verifierKey[(secondPlus + 1)..]);
        if (typedKey.Length != 33 || typedKey[0] != 0x01)
        {
            return null;
        }
        var expectedId = SHA256.HashData([.. Encoding.UTF8.GetBytes(name), 0x0A, .. typedKey])[..4];
        if (!expectedId.AsSpan().SequenceEqual(keyId))
        {
            return null;
        }
        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, typedKey.AsSpan(1), KeyBlobFormat.RawPublicKey);

        var bytes = Encoding.UTF8.GetBytes(note);
        var separator = -1;
        for (var i = bytes.Length - 2; i >= 0 && separator < 0; i--)
        {
            if (bytes[i] == '\n' && bytes[i + 1] == '\n')
            {
                separator = i;
            }
        }
        if (separator < 0)
        {
            return null;
        }
        var text = bytes[..(separator + 1)];
        var prefix = Encoding.UTF8.GetBytes("\u2014 " + name + " ");
        var lines = Encoding.UTF8.GetString(bytes[(separator + 2)..]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var line in lines)
        {
            var lineBytes = Encoding.UTF8.GetBytes(line);
            if (!lineBytes.AsSpan().StartsWith(prefix))
            {
                continue;
            }
            var signature = Convert.FromBase64String(Encoding.UTF8.GetString(lineBytes[prefix.Length..]));
            if (signature.Length == 68 && BinaryPrimitives.ReadUInt32BigEndian(signature) == BinaryPrimitives.ReadUInt32BigEndian(keyId))
            {
                return SignatureAlgorithm.Ed25519.Verify(publicKey, text, signature.AsSpan(4)) ? Encoding.UTF8.GetString(text) : null;
            }
        }
        return null;
    }
}
