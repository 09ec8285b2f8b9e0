using System.Text;
using Provenance.Ledger;
using Shouldly;

namespace Provenance.Tests.Ledger;

/// <summary>What <see cref="RfcTimestamp"/> requires of an RFC 3161 reply before the ledger keeps it, against a test authority and CA.</summary>
public sealed class Checking_time_stamp_replies : IAsyncLifetime
{
    static readonly byte[] Note = Encoding.UTF8.GetBytes("example.test/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— example.test/log AAAA\n");
    readonly TestTimestampAuthority authority = new(0);
    readonly TestTimestampAuthority stranger = new(0);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await authority.DisposeAsync();
        await stranger.DisposeAsync();
    }

    [Fact]
    public void A_reply_to_this_request_chaining_to_the_anchor_is_kept_with_its_time()
    {
        var (der, request) = RfcTimestamp.CreateRequest(Note);
        var reply = authority.Answer(der);
        var verified = RfcTimestamp.VerifyReply(reply, request, RfcTimestamp.ReadCertificates(authority.CaPem));
        verified.IsValid.ShouldBeTrue(verified.Reason);
        verified.GenTime!.Value.ShouldBeInRange(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        RfcTimestamp.VerifyStored(reply, Note, RfcTimestamp.ReadCertificates(authority.CaPem)).IsValid.ShouldBeTrue();
        RfcTimestamp.VerifyStored(reply, [.. Note, (byte)'x'], RfcTimestamp.ReadCertificates(authority.CaPem)).IsValid.ShouldBeFalse();
    }

    [Fact]
    public void A_reply_to_another_request_is_refused_for_its_nonce_and_imprint()
    {
        var (_, request) = RfcTimestamp.CreateRequest(Note);
        var (otherDer, _) = RfcTimestamp.CreateRequest(Note);
        RfcTimestamp.VerifyReply(authority.Answer(otherDer), request, RfcTimestamp.ReadCertificates(authority.CaPem)).Reason!.ShouldContain("does not answer");
        var (otherNote, _) = RfcTimestamp.CreateRequest("another note\n"u8);
        RfcTimestamp.VerifyReply(authority.Answer(otherNote), request, RfcTimestamp.ReadCertificates(authority.CaPem)).IsValid.ShouldBeFalse();
    }

    [Fact]
    public void A_reply_whose_certificate_does_not_chain_to_the_anchor_is_refused()
    {
        var (der, request) = RfcTimestamp.CreateRequest(Note);
        var verified = RfcTimestamp.VerifyReply(stranger.Answer(der), request, RfcTimestamp.ReadCertificates(authority.CaPem));
        verified.IsValid.ShouldBeFalse();
        verified.Reason!.ShouldContain("trust anchor");
    }

    [Fact]
    public void A_refusal_a_tampered_reply_and_bytes_that_are_no_reply_are_refused()
    {
        var (der, request) = RfcTimestamp.CreateRequest(Note);
        var anchors = RfcTimestamp.ReadCertificates(authority.CaPem);
        RfcTimestamp.VerifyReply(authority.Refusal(), request, anchors).Reason!.ShouldContain("did not grant");
        var reply = authority.Answer(der);
        // The last bytes of the reply are the CMS signature value: flip one.
        reply[^3] ^= 0x5a;
        RfcTimestamp.VerifyReply(reply, request, anchors).IsValid.ShouldBeFalse();
        RfcTimestamp.VerifyReply("not a reply"u8.ToArray(), request, anchors).IsValid.ShouldBeFalse();
    }
}
