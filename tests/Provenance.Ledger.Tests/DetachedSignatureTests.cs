using System.Text;

namespace Provenance.Ledger.Tests;

public class DetachedSignatureTests
{
    static readonly byte[] Export = Encoding.UTF8.GetBytes("document,revision,sha256\nannual-report,3,ab12\n");

    [Fact]
    public void Signed_export_verifies_with_the_ledger_key()
    {
        using var signer = LedgerSigner.Generate("provenance.example/ledger");
        var signature = signer.SignDetached(Export);
        signature.Verify(Export, signer.Verifier).IsValid.ShouldBeTrue();
        signature.Verify(new MemoryStream(Export), signer.Verifier).IsValid.ShouldBeTrue();
        signer.SignDetached(new MemoryStream(Export)).Verify(Export, signer.Verifier).IsValid.ShouldBeTrue();
    }

    [Fact]
    public void Text_form_is_algorithm_key_id_and_base64_signature_and_parses_back()
    {
        using var signer = LedgerSigner.Generate("provenance.example/ledger");
        var text = signer.SignDetached(Export).ToString();
        text.ShouldMatch($"^ed25519 {signer.KeyId:x8} [A-Za-z0-9+/]{{86}}==$");
        DetachedSignature.Parse(text + "\n").Verify(Export, signer.Verifier).IsValid.ShouldBeTrue();
    }

    [Fact]
    public void Altered_export_fails()
    {
        using var signer = LedgerSigner.Generate("provenance.example/ledger");
        var signature = signer.SignDetached(Export);
        var altered = (byte[])Export.Clone();
        altered[^2] ^= 1;
        signature.Verify(altered, signer.Verifier).IsValid.ShouldBeFalse();
    }

    [Fact]
    public void Signature_by_another_key_fails()
    {
        using var signer = LedgerSigner.Generate("provenance.example/ledger");
        using var other = LedgerSigner.Generate("provenance.example/ledger");
        signer.SignDetached(Export).Verify(Export, other.Verifier).IsValid.ShouldBeFalse();
        (signer.SignDetached(Export) with { KeyId = other.KeyId }).Verify(Export, other.Verifier).IsValid.ShouldBeFalse();
    }

    [Fact]
    public void Export_signature_is_never_a_note_signature_over_the_same_bytes()
    {
        using var signer = LedgerSigner.Generate("provenance.example/ledger");
        var checkpointText = "provenance.example/ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
        var signature = signer.SignDetached(Encoding.UTF8.GetBytes(checkpointText));
        signer.Verifier.VerifySignature(Encoding.UTF8.GetBytes(checkpointText), signature.Signature).ShouldBeFalse();
    }

    [Theory]
    [InlineData("")]
    [InlineData("rsa 01020304 AAAA")]
    [InlineData("ed25519 0102030 AAAA")]
    [InlineData("ed25519 01020304 AAAA")]
    [InlineData("ed25519 01020304 not base64")]
    public void Malformed_signature_text_is_refused(string text) =>
        Should.Throw<FormatException>(() => DetachedSignature.Parse(text));
}
