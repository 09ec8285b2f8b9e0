using Provenance.Api.Ledger;
using Provenance.Ledger;
using Shouldly;

namespace Provenance.Tests.Ledger;

/// <summary>Start-up validation of the witness and time-stamp settings: each bad value is named by its setting.</summary>
public sealed class Configuring_witnesses_and_authorities
{
    static readonly string WitnessKey = CosignatureSigner.Generate("w.example/w").Verifier.VerifierKey;

    [Fact]
    public void Witnesses_with_an_http_url_and_a_cosignature_key_and_a_quorum_within_their_number_are_accepted()
    {
        var options = new LedgerOptions
        {
            Witnesses = [new WitnessOptions { Url = "https://w.example/", VerifierKey = WitnessKey }],
            WitnessQuorum = 1,
        };
        options.Problems().ShouldBeEmpty();
        options.EffectiveWitnessQuorum.ShouldBe(1);
        new LedgerOptions { Witnesses = options.Witnesses }.EffectiveWitnessQuorum.ShouldBe(1);
    }

    [Fact]
    public void A_log_key_a_bad_url_a_duplicate_a_quorum_beyond_the_witnesses_and_a_missing_trust_anchor_are_refused_by_name()
    {
        var logKey = LedgerSigner.Generate("log.example/log").Verifier.VerifierKey;
        var problems = new LedgerOptions
        {
            Witnesses =
            [
                new WitnessOptions { Url = "ftp://w.example/", VerifierKey = WitnessKey },
                new WitnessOptions { Url = "https://w2.example/", VerifierKey = logKey },
                new WitnessOptions { Url = "https://w3.example/", VerifierKey = WitnessKey },
            ],
            WitnessQuorum = 4,
            TimestampAuthorities = [new TimestampAuthorityOptions { Url = "https://tsa.example/", TrustAnchorFile = "/nonexistent/ca.pem" }],
        }.Problems().ToList();
        problems.ShouldContain(p => p.StartsWith("Provenance:Ledger:Witnesses:0:Url"));
        problems.ShouldContain(p => p.StartsWith("Provenance:Ledger:Witnesses:1:VerifierKey") && p.Contains("0x04"));
        problems.ShouldContain(p => p.Contains("verifier key twice"));
        problems.ShouldContain(p => p.StartsWith("Provenance:Ledger:WitnessQuorum"));
        problems.ShouldContain(p => p.StartsWith("Provenance:Ledger:TimestampAuthorities:0:TrustAnchorFile"));
    }

    [Fact]
    public async Task A_trust_anchor_file_without_a_certificate_is_refused()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "not a certificate\n");
        new LedgerOptions { TimestampAuthorities = [new TimestampAuthorityOptions { Url = "https://tsa.example/", TrustAnchorFile = file }] }
            .Problems().ShouldContain(p => p.StartsWith("Provenance:Ledger:TimestampAuthorities:0:TrustAnchorFile:"));
    }

    [Fact]
    public async Task Verifiers_refuse_a_witness_policy_they_cannot_use_before_checking_anything()
    {
        var proof = Path.GetTempFileName();
        var logKey = LedgerSigner.Generate("log.example/log").Verifier.VerifierKey;
        var (exit, said) = await WitnessCli.RunAsync("verify-proof", proof, "--key", logKey, "--witness", logKey);
        exit.ShouldBe(2, said);
        said.ShouldContain("0x04");
        (exit, said) = await WitnessCli.RunAsync("verify-proof", proof, "--key", logKey, "--witness", WitnessKey, "--witness-quorum", "2");
        exit.ShouldBe(2, said);
        var policy = Path.GetTempFileName();
        await File.WriteAllTextAsync(policy, $"witness a {WitnessKey}\n");
        (exit, said) = await WitnessCli.RunAsync("monitor", "--log", "/nonexistent", "--key", logKey, "--state", Path.GetTempPath(), "--witness-policy", policy);
        exit.ShouldBe(2, said);
        said.ShouldContain("quorum");
    }
}
