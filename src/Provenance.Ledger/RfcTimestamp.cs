using System.Security.Cryptography;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Tsp;
using Org.BouncyCastle.X509;

namespace Provenance.Ledger;

/// <summary>
/// RFC 3161 time-stamps of a checkpoint note (exactly as the log signed it): a request with a SHA-256 message imprint, a random
/// nonce and certReq, and the checks a response must pass before it is kept: granted status, the same imprint and nonce, a valid
/// signature by a time-stamping certificate (RFC 3161 §2.3: critical extended key usage id-kp-timeStamping), and that certificate's
/// chain up to a configured trust anchor, valid at the token's time.
/// </summary>
public static class RfcTimestamp
{
    public const string RequestContentType = "application/timestamp-query";
    public const string ResponseContentType = "application/timestamp-reply";

    /// <summary>A new request for <paramref name="data"/>: the DER bytes to POST, and the request to check the reply against.</summary>
    public static (byte[] Der, TimeStampRequest Request) CreateRequest(ReadOnlySpan<byte> data)
    {
        var generator = new TimeStampRequestGenerator();
        generator.SetCertReq(true);
        var nonce = new BigInteger(1, RandomNumberGenerator.GetBytes(16));
        var request = generator.Generate(TspAlgorithms.Sha256, SHA256.HashData(data), nonce);
        return (request.GetEncoded(), request);
    }

    /// <summary>Reads PEM certificates (a trust anchor file may hold several).</summary>
    public static IReadOnlyList<X509Certificate> ReadCertificates(string pem)
    {
        var certificates = new List<X509Certificate>();
        using var reader = new StringReader(pem);
        var parser = new Org.BouncyCastle.OpenSsl.PemReader(reader);
        for (var item = parser.ReadObject(); item is not null; item = parser.ReadObject())
        {
            if (item is X509Certificate certificate) certificates.Add(certificate);
        }
        return certificates.Count > 0 ? certificates : throw new FormatException("No PEM certificate found.");
    }

    /// <summary>Checks a reply to <paramref name="request"/> (a fresh one, with its nonce) against the trust anchors.</summary>
    public static TimestampVerification VerifyReply(byte[] response, TimeStampRequest request, IReadOnlyList<X509Certificate> anchors)
    {
        TimeStampResponse reply;
        try
        {
            reply = new TimeStampResponse(response);
        }
        catch (Exception e) when (e is TspException or IOException or ArgumentException or InvalidCastException)
        {
            return TimestampVerification.Invalid($"Not a TimeStampResp: {e.Message}");
        }
        if (reply.Status is not (0 or 1) || reply.TimeStampToken is null)
        {
            return TimestampVerification.Invalid($"The authority did not grant a time-stamp (status {reply.Status}: {reply.GetStatusString()}).");
        }
        try
        {
            // Status, imprint (algorithm and digest), nonce, policy, and the signer certificate present since certReq was set.
            reply.Validate(request);
        }
        catch (TspException e)
        {
            return TimestampVerification.Invalid($"The reply does not answer the request: {e.Message}");
        }
        return VerifyToken(reply.TimeStampToken, anchors);
    }

    /// <summary>Offline check of a stored reply against the note it stamps (no nonce to compare: it was checked on receipt).</summary>
    public static TimestampVerification VerifyStored(byte[] response, ReadOnlySpan<byte> data, IReadOnlyList<X509Certificate> anchors)
    {
        TimeStampResponse reply;
        try
        {
            reply = new TimeStampResponse(response);
        }
        catch (Exception e) when (e is TspException or IOException or ArgumentException or InvalidCastException)
        {
            return TimestampVerification.Invalid($"Not a TimeStampResp: {e.Message}");
        }
        if (reply.TimeStampToken is not { } token) return TimestampVerification.Invalid("The reply holds no time-stamp token.");
        var info = token.TimeStampInfo;
        if (info.MessageImprintAlgOid != TspAlgorithms.Sha256 || !info.GetMessageImprintDigest().AsSpan().SequenceEqual(SHA256.HashData(data)))
        {
            return TimestampVerification.Invalid("The token's message imprint is not the SHA-256 of the note.");
        }
        return VerifyToken(token, anchors);
    }

    static TimestampVerification VerifyToken(TimeStampToken token, IReadOnlyList<X509Certificate> anchors)
    {
        var store = token.GetCertificates();
        var signers = store.EnumerateMatches(token.SignerID).ToList();
        if (signers.Count != 1) return TimestampVerification.Invalid("The token does not carry exactly one certificate of its signer.");
        var signer = signers[0];
        var genTime = token.TimeStampInfo.GenTime;
        try
        {
            // The CMS signature, the ESSCertID binding, the critical timeStamping key usage and the validity at genTime.
            token.Validate(signer);
        }
        catch (Exception e) when (e is TspException or TspValidationException or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            return TimestampVerification.Invalid($"The token's signature does not verify: {e.Message}");
        }
        var all = store.EnumerateMatches(null).ToList();
        var chain = ChainToAnchor(signer, all, anchors, genTime);
        return chain is null
            ? TimestampVerification.Invalid($"The authority's certificate ({signer.SubjectDN}) does not chain to a trust anchor.")
            : new TimestampVerification(true, null, new DateTimeOffset(DateTime.SpecifyKind(genTime, DateTimeKind.Utc)), signer.SubjectDN.ToString());
    }

    static string? ChainToAnchor(X509Certificate certificate, List<X509Certificate> intermediates, IReadOnlyList<X509Certificate> anchors, DateTime at)
    {
        var current = certificate;
        for (var depth = 0; depth < 8; depth++)
        {
            if (anchors.Any(a => a.Equals(current))) return current.SubjectDN.ToString();
            foreach (var anchor in anchors.Where(a => a.SubjectDN.Equivalent(current.IssuerDN)))
            {
                if (SignedBy(current, anchor) && anchor.IsValid(at)) return anchor.SubjectDN.ToString();
            }
            var issuer = intermediates.FirstOrDefault(i => !i.Equals(current) && i.SubjectDN.Equivalent(current.IssuerDN) && i.GetBasicConstraints() >= 0
                && SignedBy(current, i) && i.IsValid(at));
            if (issuer is null) return null;
            current = issuer;
        }
        return null;
    }

    static bool SignedBy(X509Certificate certificate, X509Certificate issuer)
    {
        try
        {
            certificate.Verify(issuer.GetPublicKey());
            return true;
        }
        catch (Exception e) when (e is Org.BouncyCastle.Security.InvalidKeyException or Org.BouncyCastle.Security.SignatureException
                                      or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            return false;
        }
    }
}

/// <summary>The outcome of checking a time-stamp: the time the authority vouches for and who it is, when valid.</summary>
public sealed record TimestampVerification(bool IsValid, string? Reason, DateTimeOffset? GenTime, string? Authority)
{
    public static TimestampVerification Invalid(string reason) => new(false, reason, null, null);
}
