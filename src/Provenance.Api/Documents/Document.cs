namespace Provenance.Api.Documents;

// One event stream per document. Events are facts, named in the past tense; their shape only ever grows.

/// <summary>A document entered the ledger as revision 1.</summary>
public sealed record DocumentIngested(
    Guid DocumentId,
    string Title,
    string Language,
    string MediaType,
    string ContentDigest,
    long Size,
    string? OriginalFileName,
    string? SourceUri,
    string? Publisher,
    DateTimeOffset? PublishedAt,
    string Channel,
    string Actor,
    string? Reason,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    ImportedFrom? ImportedFrom = null);

/// <summary>A new revision of the document's own-language content.</summary>
public sealed record DocumentEdited(
    Guid DocumentId,
    int Revision,
    int BaseRevision,
    string MediaType,
    string ContentDigest,
    long Size,
    int LinesAdded,
    int LinesRemoved,
    string Actor,
    string Reason,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    ImportedFrom? ImportedFrom = null);

/// <summary>A translation of one revision into another language.</summary>
public sealed record DocumentTranslated(
    Guid DocumentId,
    string Language,
    int SourceRevision,
    string MediaType,
    string ContentDigest,
    long Size,
    string Translator,
    string Method,
    string Actor,
    string? Reason,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    ImportedFrom? ImportedFrom = null);

/// <summary>A verdict on a revision (or one of its translations), on the whole text or one quoted claim.</summary>
public sealed record DocumentVerified(
    Guid DocumentId,
    int Revision,
    string? Language,
    VerifiedClaim? Claim,
    string Method,
    string Verdict,
    IReadOnlyList<string> Evidence,
    string? Notes,
    string Actor,
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
public sealed record VerifiedClaim(string Quote, int Start, int End);

/// <summary>The document's event types, in the order a document's life goes.</summary>
public static class DocumentEventTypes
{
    public static readonly IReadOnlyList<Type> All = [typeof(DocumentIngested), typeof(DocumentEdited), typeof(DocumentTranslated), typeof(DocumentVerified)];
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
