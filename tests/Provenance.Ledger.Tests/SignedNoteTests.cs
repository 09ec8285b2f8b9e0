using System.Text;

namespace Provenance.Ledger.Tests;

/// <summary>The vectors of golang.org/x/mod/sumdb/note (note_test.go) and of c2sp.org/signed-note.</summary>
public class SignedNoteTests
{
    const string PeterKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const string PeterSignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const string EnochKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";

    const string Text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const string PeterSig = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const string EnochSig = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    // Go indexes bytes and the em dash is three of them: Go's peterSig[:60] is this string's [..58].
    static string Corrupt(string signatureLine) => signatureLine[..58] + "ABCD" + signatureLine[58..];

    static NoteVerifier Peter => NoteVerifier.Parse(PeterKey);

    static NoteVerifier Enoch => NoteVerifier.Parse(EnochKey);

    [Fact]
    public void Go_signer_key_signs_the_go_test_note_byte_for_byte()
    {
        using var signer = LedgerSigner.FromSignerKey(PeterSignerKey);
        signer.Name.ShouldBe("PeterNeumann");
        signer.KeyId.ShouldBe(0xc74f20a3u);
        signer.Verifier.VerifierKey.ShouldBe(PeterKey);
        signer.ExportSignerKey().ShouldBe(PeterSignerKey);
        signer.SignNote(Text).ShouldBe(Text + "\n" + PeterSig);
    }

    [Fact]
    public void Signing_again_replaces_the_existing_signature_by_the_same_key()
    {
        using var signer = LedgerSigner.FromSignerKey(PeterSignerKey);
        var stale = new SignedNote(Text, [new NoteSignature("PeterNeumann", 0xc74f20a3, [1, 2, 3])]);
        signer.SignNote(stale).ShouldBe(Text + "\n" + PeterSig);
        Should.Throw<ArgumentException>(() => signer.SignNote("abc"));
    }

    [Fact]
    public void Go_verifier_keys_parse_with_their_key_ids()
    {
        Peter.Name.ShouldBe("PeterNeumann");
        Peter.KeyId.ShouldBe(0xc74f20a3u);
        Peter.VerifierKey.ShouldBe(PeterKey);
        Enoch.KeyId.ShouldBe(0xaf0cfe78u);
    }

    [Fact]
    public void Every_mangling_of_a_verifier_key_is_refused()
    {
        foreach (var mangled in Manglings(PeterKey))
        {
            NoteVerifier.TryParse(mangled, out _, out _).ShouldBeFalse(mangled);
        }
        NoteVerifier.TryParse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", out _, out _).ShouldBeFalse("wrong key length");
        NoteVerifier.TryParse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", out _, out _).ShouldBeFalse("unknown algorithm");
    }

    [Fact]
    public void Every_mangling_of_a_signer_key_is_refused()
    {
        foreach (var mangled in Manglings(PeterSignerKey))
        {
            Assert.ThrowsAny<Exception>(() => LedgerSigner.FromSignerKey(mangled).Dispose());
        }
    }

    [Fact]
    public void Signatures_from_unknown_keys_are_set_aside_not_verified()
    {
        var result = Peter.VerifyNote(Text + "\n" + PeterSig + EnochSig);
        result.IsValid.ShouldBeTrue();
        result.Text.ShouldBe(Text);
        result.Verified.Select(s => s.ToLine()).ShouldBe([PeterSig]);
        result.Unverified.Select(s => s.ToLine()).ShouldBe([EnochSig]);
    }

    [Fact]
    public void Signatures_from_every_trusted_key_are_verified()
    {
        var result = NoteVerifier.VerifyNote(Text + "\n" + PeterSig + EnochSig, [Peter, Enoch]);
        result.IsValid.ShouldBeTrue();
        result.Verified.Select(s => s.ToLine()).ShouldBe([PeterSig, EnochSig]);
        result.Unverified.ShouldBeEmpty();
    }

    [Fact]
    public void Note_without_a_trusted_signature_is_rejected()
    {
        var result = NoteVerifier.VerifyNote(Text + "\n" + PeterSig + EnochSig, []);
        result.IsValid.ShouldBeFalse();
        result.Verified.ShouldBeEmpty();
        result.Unverified.Select(s => s.ToLine()).ShouldBe([PeterSig, EnochSig]);
    }

    [Fact]
    public void Trusting_the_same_key_twice_is_ambiguous_only_when_it_signed()
    {
        NoteVerifier.VerifyNote(Text + "\n" + EnochSig, [Enoch, Peter, Enoch]).Reason!.ShouldContain("Ambiguous key EnochRoot+af0cfe78");
        NoteVerifier.VerifyNote(Text + "\n" + PeterSig, [Enoch, Peter, Enoch]).IsValid.ShouldBeTrue();
    }

    [Fact]
    public void Bad_signature_from_a_trusted_key_rejects_the_whole_note()
    {
        var result = Peter.VerifyNote(Text + "\n" + Corrupt(PeterSig));
        result.IsValid.ShouldBeFalse();
        result.Reason!.ShouldContain("Invalid signature for key PeterNeumann+c74f20a3");
    }

    [Fact]
    public void Repeated_signatures_count_once()
    {
        var result = Peter.VerifyNote(Text + "\n" + PeterSig + PeterSig + EnochSig + EnochSig + Corrupt(EnochSig));
        result.IsValid.ShouldBeTrue();
        result.Verified.Select(s => s.ToLine()).ShouldBe([PeterSig]);
        result.Unverified.Select(s => s.ToLine()).ShouldBe([EnochSig, Corrupt(EnochSig)]);
    }

    [Fact]
    public void More_than_a_hundred_signatures_is_malformed()
    {
        Peter.VerifyNote(Text + "\n" + string.Concat(Enumerable.Repeat(PeterSig, 100))).IsValid.ShouldBeTrue();
        Peter.VerifyNote(Text + "\n" + string.Concat(Enumerable.Repeat(PeterSig, 101))).Reason!.ShouldContain("Malformed");
    }

    [Theory]
    [InlineData(Text)]
    [InlineData(Text + "\n")]
    [InlineData(Text + "\n" + "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=")]
    [InlineData("\u0001" + Text + "\n" + PeterSig)]
    [InlineData(Text + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=")]
    [InlineData(Text + "\n" + PeterSig + "Unexpected line.\n")]
    [InlineData(Text + "\n" + "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6 RyyBwJnAM=\n")]
    public void Malformed_notes_are_rejected(string note)
    {
        var result = Peter.VerifyNote(note);
        result.IsValid.ShouldBeFalse();
        result.Reason!.ShouldStartWith("Malformed note");
    }

    [Fact]
    public void Note_bytes_that_are_not_utf8_are_malformed() =>
        Should.Throw<FormatException>(() => SignedNote.Parse([0xff, .. Encoding.UTF8.GetBytes(Text + "\n" + PeterSig)]));

    [Fact]
    public void C2sp_signed_note_example_verifies_with_its_verifier_key()
    {
        var key = NoteVerifier.Parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
        var note = "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
        key.VerifyNote(note).IsValid.ShouldBeTrue();
        key.VerifyNote(note.Replace("example.", "exemplary")).IsValid.ShouldBeFalse();
    }

    [Fact]
    public void Note_text_may_hold_blank_lines_since_the_last_one_separates_the_signatures()
    {
        using var signer = LedgerSigner.Generate("example.com/log");
        const string text = "first paragraph\n\nsecond paragraph\n";
        var result = signer.Verifier.VerifyNote(signer.SignNote(text));
        result.IsValid.ShouldBeTrue();
        result.Text.ShouldBe(text);
    }

    [Fact]
    public void Generated_keys_round_trip_through_their_text_forms()
    {
        using var signer = LedgerSigner.Generate("example.com/log");
        using var restored = LedgerSigner.FromSignerKey(signer.ExportSignerKey());
        using var fromSeed = LedgerSigner.FromSeed("example.com/log", signer.ExportSeed());
        restored.Verifier.VerifierKey.ShouldBe(signer.Verifier.VerifierKey);
        fromSeed.Verifier.VerifierKey.ShouldBe(signer.Verifier.VerifierKey);
        NoteVerifier.Parse(signer.Verifier.VerifierKey).VerifyNote(restored.SignNote("hello\n")).IsValid.ShouldBeTrue();
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a+b")]
    [InlineData("a\u00a0b")]
    public void Key_names_with_spaces_or_plus_are_refused(string name)
    {
        Should.Throw<ArgumentException>(() => LedgerSigner.Generate(name));
        Should.Throw<ArgumentException>(() => NoteVerifier.FromPublicKey(name, new byte[32]));
    }

    // Every proper substring, and every single-byte increment, as Go's TestNewVerifier and TestNewSigner try.
    static IEnumerable<string> Manglings(string key)
    {
        for (var i = 0; i <= key.Length; i++)
        {
            for (var j = i + 1; j <= key.Length; j++)
            {
                if (i != 0 || j != key.Length)
                {
                    yield return key[i..j];
                }
            }
        }
        for (var i = 0; i < key.Length; i++)
        {
            yield return key[..i] + (char)(key[i] + 1) + key[(i + 1)..];
        }
    }
}
