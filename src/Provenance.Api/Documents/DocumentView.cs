using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Provenance.Api.Documents;

/// <summary>The current state of one document, kept consistent with its stream by an inline projection.</summary>
public sealed class DocumentView
{
    /// <summary>How many verdicts the view keeps; older ones stay in the history.</summary>
    public const int MaxVerifications = 50;

    public Guid Id { get; set; }
    /// <summary>The stream version: every event, of any kind, advances it.</summary>
    public long Version { get; set; }
    public string Title { get; set; } = "";
    public string Language { get; set; } = "";
    public int Revision { get; set; }
    public string MediaType { get; set; } = "";
    public string ContentDigest { get; set; } = "";
    public long Size { get; set; }
    public string? OriginalFileName { get; set; }
    public string? SourceUri { get; set; }
    public string? Publisher { get; set; }
    public DateTimeOffset? PublishedAt { get; set; }
    public string Channel { get; set; } = "";
    public List<TranslationState> Translations { get; set; } = [];
    public List<VerificationState> Verifications { get; set; } = [];
    /// <summary>The distinct verdicts among <see cref="Verifications"/>: what the list filter matches.</summary>
    public List<string> Verdicts { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
    /// <summary>Stream version of the latest own-language revision.</summary>
    public long RevisionVersion { get; set; }
    /// <summary>Every redaction recorded, oldest first.</summary>
    public List<RedactionState> Redactions { get; set; } = [];
    /// <summary>The withdrawal in force, if any.</summary>
    public WithdrawalState? Withdrawal { get; set; }
    /// <summary>Every legal hold placed, released or not.</summary>
    public List<HoldState> Holds { get; set; } = [];

    /// <summary>The first hold in force at <paramref name="now"/>: not released and not past its <c>until</c>.</summary>
    public HoldState? ActiveHold(DateTimeOffset now) => Holds.FirstOrDefault(h => h.ReleasedAt is null && (h.Until is null || h.Until > now));

    /// <summary>The redaction that erased the content recorded at stream <paramref name="version"/>, if any.</summary>
    public RedactionState? ContentRedactionOf(long version) =>
        Redactions.FirstOrDefault(r => r.Revisions.Any(x => x.Version == version) || r.Translations.Any(x => x.Version == version));

    /// <summary>
    /// The entity tag: the revision number while nothing but revisions happened to the document, else
    /// revision and stream version, so caches still notice translations and verdicts.
    /// </summary>
    public string ETag => Version == RevisionVersion ? $"\"{Revision}\"" : $"\"{Revision}.{Version}\"";

    /// <summary>A deep copy: what a handler projects its new events onto, leaving the loaded aggregate to Marten.</summary>
    public DocumentView Clone()
    {
        var copy = (DocumentView)MemberwiseClone();
        copy.Translations = Translations.Select(t => t.Clone()).ToList();
        copy.Verifications = Verifications.Select(v => v.Clone()).ToList();
        copy.Verdicts = [.. Verdicts];
        copy.Redactions = [.. Redactions];
        copy.Holds = Holds.Select(h => h with { }).ToList();
        return copy;
    }
}

/// <summary>One redaction, as recorded by <see cref="DocumentRedacted"/>.</summary>
public sealed record RedactionState(Guid Id, DateTimeOffset RedactedAt, string RedactedBy, string Reason, LegalBasis LegalBasis, string? Reference,
    IReadOnlyList<RedactedRevision> Revisions, IReadOnlyList<RedactedTranslation> Translations, IReadOnlyList<RedactedField> Fields,
    string RequestDigest, long Version, string Placeholder);

public static class Placeholders
{
    public static string For(DateTimeOffset at, string code) => $"[redacted on {at.UtcDateTime:yyyy-MM-dd} under {code}]";
}

public sealed record WithdrawalState(DateTimeOffset WithdrawnAt, string WithdrawnBy, string Reason, LegalBasis LegalBasis, string? Reference);

public sealed record HoldState(Guid Id, string Reason, DateTimeOffset? Until, DateTimeOffset PlacedAt, string PlacedBy)
{
    public DateTimeOffset? ReleasedAt { get; set; }
    public string? ReleasedBy { get; set; }
}

public sealed class TranslationState
{
    public string Language { get; set; } = "";
    public int SourceRevision { get; set; }
    public string MediaType { get; set; } = "";
    public string ContentDigest { get; set; } = "";
    public long Size { get; set; }
    public string Translator { get; set; } = "";
    public string Method { get; set; } = "";
    /// <summary>How many translations into this language were recorded; this state is the latest.</summary>
    public int Count { get; set; }
    public DateTimeOffset TranslatedAt { get; set; }
    public string TranslatedBy { get; set; } = "";
    /// <summary>The stream version of this (latest) translation.</summary>
    public long Version { get; set; }

    public TranslationState Clone() => (TranslationState)MemberwiseClone();
}

public sealed class VerificationState
{
    public int Revision { get; set; }
    public string? Language { get; set; }
    public VerifiedClaim? Claim { get; set; }
    public string Method { get; set; } = "";
    public string Verdict { get; set; } = "";
    public List<string> Evidence { get; set; } = [];
    public string? Notes { get; set; }
    public DateTimeOffset VerifiedAt { get; set; }
    public string VerifiedBy { get; set; } = "";
    /// <summary>The verdict's position in the document's stream.</summary>
    public long Version { get; set; }

    public VerificationState Clone()
    {
        var copy = (VerificationState)MemberwiseClone();
        copy.Evidence = [.. Evidence];
        return copy;
    }
}

public sealed partial class DocumentViewProjection : SingleStreamProjection<DocumentView, Guid>
{
    static readonly DocumentViewProjection Instance = new();

    /// <summary>
    /// The view after <paramref name="data"/>, projected in memory onto a copy of <paramref name="current"/> (null for a new
    /// document) exactly as the inline projection will store it: a handler answers with it without reading the view back.
    /// </summary>
    public static DocumentView Next(DocumentView? current, object data, DateTimeOffset at)
    {
        var version = (current?.Version ?? 0) + 1;
        IEvent<T> Wrap<T>(T e) where T : notnull => new Event<T>(e) { Version = version, Timestamp = at, StreamId = current?.Id ?? Guid.Empty };
        if (data is DocumentIngested ingested)
        {
            var created = Instance.Create(Wrap(ingested));
            created.Id = ingested.DocumentId;
            return created;
        }
        var next = current?.Clone() ?? throw new InvalidOperationException($"{data.GetType().Name} needs an existing document.");
        switch (data)
        {
            case DocumentEdited e: Instance.Apply(Wrap(e), next); break;
            case DocumentTranslated e: Instance.Apply(Wrap(e), next); break;
            case DocumentVerified e: Instance.Apply(Wrap(e), next); break;
            case DocumentRedacted e: Instance.Apply(Wrap(e), next); break;
            case DocumentWithdrawn e: Instance.Apply(Wrap(e), next); break;
            case DocumentReinstated e: Instance.Apply(Wrap(e), next); break;
            case DocumentHeld e: Instance.Apply(Wrap(e), next); break;
            case DocumentHoldReleased e: Instance.Apply(Wrap(e), next); break;
            default: throw new InvalidOperationException($"The view does not project {data.GetType().Name}.");
        }
        return next;
    }

    public DocumentView Create(IEvent<DocumentIngested> e) => new()
    {
        Id = e.StreamId,
        Version = e.Version,
        Title = e.Data.Title,
        Language = e.Data.Language,
        Revision = 1,
        RevisionVersion = e.Version,
        MediaType = e.Data.MediaType,
        ContentDigest = e.Data.ContentDigest,
        Size = e.Data.Size,
        OriginalFileName = e.Data.OriginalFileName,
        SourceUri = e.Data.SourceUri,
        Publisher = e.Data.Publisher,
        PublishedAt = e.Data.PublishedAt,
        Channel = e.Data.Channel,
        CreatedAt = e.Timestamp,
        CreatedBy = e.Data.Actor,
        UpdatedAt = e.Timestamp,
        UpdatedBy = e.Data.Actor,
    };

    public void Apply(IEvent<DocumentEdited> e, DocumentView view)
    {
        view.Revision = e.Data.Revision;
        view.RevisionVersion = e.Version;
        view.MediaType = e.Data.MediaType;
        view.ContentDigest = e.Data.ContentDigest;
        view.Size = e.Data.Size;
        Touch(view, e, e.Data.Actor);
    }

    public void Apply(IEvent<DocumentTranslated> e, DocumentView view)
    {
        var existing = view.Translations.FirstOrDefault(t => string.Equals(t.Language, e.Data.Language, StringComparison.OrdinalIgnoreCase));
        if (existing is null)
        {
            existing = new TranslationState { Language = e.Data.Language };
            view.Translations.Add(existing);
            view.Translations.Sort((a, b) => string.CompareOrdinal(a.Language, b.Language));
        }
        existing.SourceRevision = e.Data.SourceRevision;
        existing.MediaType = e.Data.MediaType;
        existing.ContentDigest = e.Data.ContentDigest;
        existing.Size = e.Data.Size;
        existing.Translator = e.Data.Translator;
        existing.Method = e.Data.Method;
        existing.Count++;
        existing.TranslatedAt = e.Timestamp;
        existing.TranslatedBy = e.Data.Actor;
        existing.Version = e.Version;
        Touch(view, e, e.Data.Actor);
    }

    public void Apply(IEvent<DocumentRedacted> e, DocumentView view)
    {
        // What stands in for an erased value everywhere it was shown, as the redaction wrote it into the payloads.
        var placeholder = e.Data.Placeholder.Length > 0 ? e.Data.Placeholder : Placeholders.For(e.Timestamp, e.Data.LegalBasis.Code);
        var redaction = new RedactionState(e.Data.RedactionId, e.Timestamp, e.Data.Actor, e.Data.Reason, e.Data.LegalBasis, e.Data.Reference,
            e.Data.Revisions, e.Data.Translations, e.Data.Fields, e.Data.RequestDigest, e.Version, placeholder);
        foreach (var field in e.Data.Fields)
        {
            switch (field.Field)
            {
                case "title" when field.Version == 1: view.Title = placeholder; break;
                case "publisher" when field.Version == 1: view.Publisher = placeholder; break;
                case "sourceUri" when field.Version == 1: view.SourceUri = placeholder; break;
                case "originalFileName" when field.Version == 1: view.OriginalFileName = placeholder; break;
                case "translator":
                    foreach (var t in view.Translations.Where(t => t.Version == field.Version)) t.Translator = placeholder;
                    break;
                case "notes" or "evidence" or "claimQuote":
                    foreach (var v in view.Verifications.Where(v => v.Version == field.Version))
                    {
                        if (field.Field == "notes") v.Notes = placeholder;
                        else if (field.Field == "evidence") v.Evidence = [placeholder];
                        else if (v.Claim is { } claim) v.Claim = claim with { Quote = placeholder };
                    }
                    break;
            }
        }
        view.Redactions.Add(redaction);
        Touch(view, e, e.Data.Actor);
    }

    public void Apply(IEvent<DocumentWithdrawn> e, DocumentView view)
    {
        view.Withdrawal = new WithdrawalState(e.Timestamp, e.Data.Actor, e.Data.Reason, e.Data.LegalBasis, e.Data.Reference);
        Touch(view, e, e.Data.Actor);
    }

    public void Apply(IEvent<DocumentReinstated> e, DocumentView view)
    {
        view.Withdrawal = null;
        Touch(view, e, e.Data.Actor);
    }

    public void Apply(IEvent<DocumentHeld> e, DocumentView view)
    {
        view.Holds.Add(new HoldState(e.Data.HoldId, e.Data.Reason, e.Data.Until, e.Timestamp, e.Data.Actor));
        Touch(view, e, e.Data.Actor);
    }

    public void Apply(IEvent<DocumentHoldReleased> e, DocumentView view)
    {
        if (view.Holds.FirstOrDefault(h => h.Id == e.Data.HoldId) is { } hold)
        {
            hold.ReleasedAt = e.Timestamp;
            hold.ReleasedBy = e.Data.Actor;
        }
        Touch(view, e, e.Data.Actor);
    }

    public void Apply(IEvent<DocumentVerified> e, DocumentView view)
    {
        // A re-check of the same claim (same language, same quoted text) supersedes the earlier verdict.
        view.Verifications.RemoveAll(v => string.Equals(v.Language, e.Data.Language, StringComparison.OrdinalIgnoreCase)
                                          && v.Claim?.Quote == e.Data.Claim?.Quote);
        view.Verifications.Add(new VerificationState
        {
            Revision = e.Data.Revision,
            Language = e.Data.Language,
            Claim = e.Data.Claim,
            Method = e.Data.Method,
            Verdict = e.Data.Verdict,
            Evidence = [.. e.Data.Evidence],
            Notes = e.Data.Notes,
            VerifiedAt = e.Timestamp,
            VerifiedBy = e.Data.Actor,
            Version = e.Version,
        });
        if (view.Verifications.Count > DocumentView.MaxVerifications)
        {
            view.Verifications.RemoveRange(0, view.Verifications.Count - DocumentView.MaxVerifications);
        }
        view.Verdicts = view.Verifications.Select(v => v.Verdict).Distinct().Order(StringComparer.Ordinal).ToList();
        Touch(view, e, e.Data.Actor);
    }

    private static void Touch(DocumentView view, IEvent e, string actor)
    {
        view.Version = e.Version;
        view.UpdatedAt = e.Timestamp;
        view.UpdatedBy = actor;
    }
}
