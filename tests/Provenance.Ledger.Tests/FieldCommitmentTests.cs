using System.Security.Cryptography;

namespace Provenance.Ledger.Tests;

public class FieldCommitmentTests
{
    static readonly byte[] Salt = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
    static readonly byte[] Payload = CanonicalJson.Canonicalize("""{"translator":"Jean Dupont","sourceRevision":2,"language":"fr"}""");
    static readonly FieldSeal Translator = new("translator", Salt, FieldCommitments.Commit(Salt, "\"Jean Dupont\""u8));

    static LedgerEntry Entry(byte[] digest) => new(42, Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), 3, "DocumentTranslated",
        DateTimeOffset.Parse("2025-03-14T14:09:26.5358979Z"), "alice@example.org", digest, SHA256.HashData("previous"u8)) { Format = 2 };

    // Computed independently (Python hashlib) from README §2a; if these change, every format-2 leaf does too.
    [Fact]
    public void Golden_format_2_entry_encodes_to_the_specified_commitment_digest_and_leaf_hash()
    {
        Convert.ToHexStringLower(Translator.Commitment).ShouldBe("0bf74e2450266bb6821f4c7a1b0d6653795ceddb6745a28215fc26ba57d1d8af");
        System.Text.Encoding.UTF8.GetString(FieldCommitments.CommittedPayload(Payload, [Translator])).ShouldBe(
            """{"language":"fr","sourceRevision":2,"translator":{"commitment":"C/dOJFAma7aCH0x6Gw1mU3lc7dtnRaKCFfwmulfR2K8="}}""");
        var digest = FieldCommitments.PayloadDigest(Payload, [Translator]);
        Convert.ToHexStringLower(digest).ShouldBe("4565d8cfa37ee8c673d702035cafa8315fca14aafbd875c4740d7bf3a11895fb");
        Convert.ToHexStringLower(LeafEncoding.Encode(Entry(digest))).ShouldBe(
            "02" + "000000000000002a" + "0f8fad5bd9cb469fa16570867728950e" + "0000000000000003"
            + "00000012" + "446f63756d656e745472616e736c61746564"
            + "0006304dfc76fed9"
            + "00000011" + "616c696365406578616d706c652e6f7267"
            + "4565d8cfa37ee8c673d702035cafa8315fca14aafbd875c4740d7bf3a11895fb"
            + "6da0633528deaa0144e7b058315f0b753ec0b945163a72bf96a0d18180f9de0d");
        Convert.ToHexStringLower(LeafEncoding.LeafHash(Entry(digest))).ShouldBe("f329139dfd4f4b11f3ee02fa67efbd412aa1075ba528090a30c1c36f1cdf6df0");
    }

    [Fact]
    public void Erasing_a_sealed_field_keeps_the_digest_when_its_commitment_is_kept()
    {
        var before = FieldCommitments.PayloadDigest(Payload, [Translator]);
        var erased = CanonicalJson.Canonicalize("""{"translator":"[redacted on 2026-12-03 under gdpr-art17]","sourceRevision":2,"language":"fr"}""");
        FieldCommitments.PayloadDigest(erased, [Translator with { Salt = null }]).ShouldBe(before);
    }

    [Fact]
    public void Changing_a_sealed_value_or_an_unsealed_field_changes_the_digest()
    {
        var before = FieldCommitments.PayloadDigest(Payload, [Translator]);
        var changedValue = CanonicalJson.Canonicalize("""{"translator":"Jean Dupond","sourceRevision":2,"language":"fr"}""");
        FieldCommitments.PayloadDigest(changedValue, [Translator]).ShouldNotBe(before);
        var changedOther = CanonicalJson.Canonicalize("""{"translator":"Jean Dupont","sourceRevision":3,"language":"fr"}""");
        FieldCommitments.PayloadDigest(changedOther, [Translator]).ShouldNotBe(before);
        FieldCommitments.PayloadDigest(Payload, []).ShouldNotBe(before);
    }

    [Fact]
    public void A_sealed_field_that_was_removed_rather_than_erased_is_refused()
    {
        var removed = CanonicalJson.Canonicalize("""{"sourceRevision":2,"language":"fr"}""");
        Should.Throw<FormatException>(() => FieldCommitments.PayloadDigest(removed, [Translator with { Salt = null }]));
    }

    [Fact]
    public void Sealing_covers_present_fields_only_with_fresh_salts_and_nested_paths()
    {
        var payload = CanonicalJson.Canonicalize("""{"claim":{"quote":"It rained","start":0,"end":9},"notes":null,"reason":"checked"}""");
        var seals = FieldCommitments.Seal(payload, ["notes", "reason", "claim.quote", "publisher"]);
        seals.Select(s => s.Path).ShouldBe(["claim.quote", "reason"]);
        seals[0].Salt!.Length.ShouldBe(FieldCommitments.SaltBytes);
        seals[0].Salt.ShouldNotBe(seals[1].Salt);
        seals[0].Commitment.ShouldBe(FieldCommitments.Commit(seals[0].Salt!, "\"It rained\""u8));
        var committed = System.Text.Encoding.UTF8.GetString(FieldCommitments.CommittedPayload(payload, seals));
        committed.ShouldNotContain("It rained");
        committed.ShouldNotContain("checked");
        committed.ShouldContain("\"start\":0");
    }

    [Fact]
    public void The_same_value_under_two_salts_commits_differently()
        => FieldCommitments.Commit(FieldCommitments.NewSalt(), "\"x\""u8).ShouldNotBe(FieldCommitments.Commit(FieldCommitments.NewSalt(), "\"x\""u8));

    [Fact]
    public void A_format_2_entry_decodes_back_to_itself()
    {
        var entry = Entry(FieldCommitments.PayloadDigest(Payload, [Translator]));
        var decoded = LeafEncoding.Decode(LeafEncoding.Encode(entry));
        decoded.Format.ShouldBe((byte)2);
        decoded.CanonicalPayload.ToArray().ShouldBe(entry.CanonicalPayload.ToArray());
        LeafEncoding.LeafHash(decoded).ShouldBe(LeafEncoding.LeafHash(entry));
    }

    [Fact]
    public void A_format_2_entry_must_carry_a_32_byte_digest()
        => Should.Throw<ArgumentException>(() => LeafEncoding.Encode(Entry(Payload)));
}
