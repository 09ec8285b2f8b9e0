using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Provenance.Api.Documents;

// One event stream per document. Events are facts, named in the past tense; their shape only ever grows.

/// <summary>A document entered the ledger as revision 1.</summary>
[Description("A document entered the ledger as revision 1.")]
public sealed record DocumentIngested(
    [property: Description("The document's id (the CloudEvent's subject).")] Guid DocumentId,
    string Title,
    [property: Description("BCP 47 language tag of the document's own language.")] string Language,
    string MediaType,
    [property: Description(EventFacets.Digest), RegularExpression(EventFacets.DigestPattern)] string ContentDigest,
    [property: Description("Content length in bytes.")] long Size,
    string? OriginalFileName,
    string? SourceUri,
    string? Publisher,
    DateTimeOffset? PublishedAt,
    [property: Description("How it arrived: api, web, batch, seed, import, ...")] string Channel,
    [property: Description(EventFacets.Actor)] string Actor,
    string? Reason,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    ImportedFrom? ImportedFrom = null);

/// <summary>A new revision of the document's own-language content.</summary>
[Description("A new revision of the document's own-language content.")]
public sealed record DocumentEdited(
    Guid DocumentId,
    [property: Description("The revision this edit created (2, 3, ...).")] int Revision,
    [property: Description("The revision the editor started from (If-Match).")] int BaseRevision,
    string MediaType,
    [property: Description(EventFacets.Digest), RegularExpression(EventFacets.DigestPattern)] string ContentDigest,
    [property: Description("Content length in bytes.")] long Size,
    int LinesAdded,
    int LinesRemoved,
    [property: Description(EventFacets.Actor)] string Actor,
    string Reason,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    ImportedFrom? ImportedFrom = null);

/// <summary>A translation of one revision into another language.</summary>
[Description("A translation of one revision into another language.")]
public sealed record DocumentTranslated(
    Guid DocumentId,
    [property: Description("BCP 47 language tag of the translation.")] string Language,
    [property: Description("The revision that was translated.")] int SourceRevision,
    string MediaType,
    [property: Description(EventFacets.Digest), RegularExpression(EventFacets.DigestPattern)] string ContentDigest,
    [property: Description("Content length in bytes.")] long Size,
    string Translator,
    [property: Description("human, machine or machine+post-edit.")] string Method,
    [property: Description(EventFacets.Actor)] string Actor,
    string? Reason,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    ImportedFrom? ImportedFrom = null);

/// <summary>A verdict on a revision (or one of its translations), on the whole text or one quoted claim.</summary>
[Description("A verdict on a revision (or one of its translations), on the whole text or one quoted claim.")]
public sealed record DocumentVerified(
    Guid DocumentId,
    [property: Description("The revision verified.")] int Revision,
    [property: Description("The translation verified, if not the document's own language.")] string? Language,
    [property: Description("The quoted claim verified; null for the whole text.")] VerifiedClaim? Claim,
    string Method,
    [property: Description("verified, disputed, ...")] string Verdict,
    [property: Description("Evidence URLs.")] IReadOnlyList<string> Evidence,
    string? Notes,
    [property: Description(EventFacets.Actor)] string Actor,
    string? Reason,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    ImportedFrom? ImportedFrom = null);

/// <summary>
/// Where an imported event came from (<c>provenance restore</c>): its sequence, stream version, leaf hash and time in the ledger named by
/// <c>Origin</c>, which proved it under the checkpoint of <c>TreeSize</c>; <c>ImportedBy</c> is who imported it. The rest of the event is
/// the original's data unchanged, so the original leaf can be recomputed from it.
/// </summary>
public sealed record ImportedFrom(string Origin, long TreeSize, long Sequence, long Version, byte[] LeafHash, DateTimeOffset Timestamp, string ImportedBy);

/// <summary>A quoted claim: the exact text and its UTF-16 span [Start, End) in the verified content.</summary>
[Description("A quoted claim: the exact text and its UTF-16 span [start, end) in the verified content.")]
public sealed record VerifiedClaim(string Quote, int Start, int End);

/// <summary>Descriptions shared by the events' members, for the event catalogue's schemas.</summary>
public static class EventFacets
{
    public const string Digest = "SHA-256 of the content bytes: the key of the content store.";
    public const string DigestPattern = "^sha256:[0-9a-f]{64}$";
    public const string Actor = "Who recorded it: the API key's name.";
}

/// <summary>Why something was erased or withdrawn: a code (<c>gdpr-art17</c>, <c>court-order</c>, <c>copyright</c>, …) and free text.</summary>
public sealed record LegalBasis(string Code, string? Text);

/// <summary>An own-language revision whose content was erased.</summary>
public sealed record RedactedRevision(int Revision, long Version, string ContentDigest);

/// <summary>A translation whose content was erased.</summary>
public sealed record RedactedTranslation(string Language, int SourceRevision, long Version, string ContentDigest);

/// <summary>A field of the event at <c>Version</c> whose value was erased; <c>Path</c> is where it sits in the payload (the ledger's seal).</summary>
public sealed record RedactedField(long Version, string Field, string Path);

/// <summary>
/// Content and field values of earlier events were erased under a legal basis. The event names what, never the values; the ledger keeps
/// every leaf (format 2: the fields' commitments stand in for them). <c>RequestDigest</c> identifies the request, so a repeat is answered
/// with this redaction.
/// </summary>
public sealed record DocumentRedacted(
    Guid DocumentId,
    Guid RedactionId,
    IReadOnlyList<RedactedRevision> Revisions,
    IReadOnlyList<RedactedTranslation> Translations,
    IReadOnlyList<RedactedField> Fields,
    string Reason,
    LegalBasis LegalBasis,
    string? Reference,
    string RequestDigest,
    string Actor)
{
    /// <summary>What now stands in each erased field: <c>[redacted on YYYY-MM-DD under &lt;code&gt;]</c>.</summary>
    public string Placeholder { get; init; } = "";
}

/// <summary>The document was withdrawn from view (not erased): readers other than auditors and stewards get 451.</summary>
public sealed record DocumentWithdrawn(Guid DocumentId, string Reason, LegalBasis LegalBasis, string? Reference, string Actor);

/// <summary>A withdrawal ended: the document is in view again.</summary>
public sealed record DocumentReinstated(Guid DocumentId, string Actor, string? Reason);

/// <summary>A legal hold was placed: while it is active (not released, <c>Until</c> not passed) nothing may be erased or withdrawn.</summary>
public sealed record DocumentHeld(Guid DocumentId, Guid HoldId, string Reason, DateTimeOffset? Until, string Actor);

/// <summary>A legal hold was released.</summary>
public sealed record DocumentHoldReleased(Guid DocumentId, Guid HoldId, string Actor, string? Reason);

/// <summary>The document's event types, in the order a document's life goes.</summary>
public static class DocumentEventTypes
{
    public static readonly IReadOnlyList<Type> All =
    [
        typeof(DocumentIngested), typeof(DocumentEdited), typeof(DocumentTranslated), typeof(DocumentVerified), typeof(DocumentRedacted),
        typeof(DocumentWithdrawn), typeof(DocumentReinstated), typeof(DocumentHeld), typeof(DocumentHoldReleased),
    ];
}

public static class TranslationMethods
{
    public const string Human = "human";
    public const string Machine = "machine";
    public const string MachinePostEdit = "machine+post-edit";
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Human, Machine, MachinePostEdit };
}

public static class Verdicts
{
    public const string Verified = "verified";
    public const string Disputed = "disputed";
    public const string Refuted = "refuted";
    public const string Inconclusive = "inconclusive";
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Verified, Disputed, Refuted, Inconclusive };
}

public static class VerificationMethods
{
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        "source-comparison", "fixity", "expert-review", "reverse-image-search", "metadata-analysis", "eyewitness-confirmation",
    };
}

/// <summary>The longest value each event field accepts, in characters (checked at input, before any event exists).</summary>
public static class FieldLimits
{
    public const int Title = 500;
    public const int Reason = 2000;
    public const int Publisher = 300;
    public const int Channel = 100;
    public const int FileName = 255;
    public const int Uri = 2000;
    public const int Translator = 200;
    public const int Notes = 10_000;
    public const int EvidenceCount = 50;
    public const int Quote = 5000;

    /// <summary>
    /// Free text one event may carry, in bytes of its canonical JSON: with the fixed fields, the actor and the leaf header (under
    /// 3,000 bytes) every leaf input stays within the 65,535 bytes a tlog-tiles entry bundle's uint16 length prefix allows.
    /// Ingest, edit and translate fit by the limits above even at 6 bytes a character; a verification's evidence, notes and quote
    /// could not, so it checks this budget.
    /// </summary>
    public const int EventTextBytes = 62_000;

    /// <summary>The bytes <paramref name="value"/> takes as an RFC 8785 JSON string (quotes and escapes included).</summary>
    public static int JsonBytes(string? value)
    {
        if (value is null) return 4;
        var bytes = 2;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                bytes += 4;
                i++;
                continue;
            }
            bytes += c switch
            {
                '"' or '\\' or '\b' or '\t' or '\n' or '\f' or '\r' => 2,
                < ' ' => 6,
                < (char)0x80 => 1,
                < (char)0x800 => 2,
                _ => 3,
            };
        }
        return bytes;
    }
}
