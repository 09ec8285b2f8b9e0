using System.Security.Claims;
using System.Text;
using System.Text.Json.Serialization;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Access;
using Provenance.Api.Http;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;
using Provenance.Api.Contract;

namespace Provenance.Api.Documents;

/// <summary>Record a verdict on a revision (or its translation into <c>language</c>), whole or on one quoted claim.</summary>
public sealed record VerifyDocument(
    int? Revision,
    string? Language,
    VerifiedClaim? Claim,
    string? Method,
    string? Verdict,
    List<string>? Evidence,
    string? Notes,
    string? Reason)
{
    [JsonIgnore, JasperFx.Identity] public Guid DocumentId { get; init; }
    [JsonIgnore] public int? ExpectedRevision { get; init; }
    [JsonIgnore] public string Actor { get; init; } = "";
}

/// <summary>What is being verified: a revision's own content or one of its translations, and its text when it is text.</summary>
public sealed record VerificationTarget(string MediaType, string ContentDigest, string? Language, string? Text)
{
    /// <summary>Set when there is nothing to verify: the field that named it, and why.</summary>
    public (string Field, string Message)? Problem { get; init; }

    public static VerificationTarget Missing(string field, string problem) => new("", "", null, null) { Problem = (field, problem) };
}

public static class Verify
{
    /// <summary>Finds the content the verdict is about (read before the decision, which needs its text for a quoted claim).</summary>
    public static async Task<VerificationTarget> TargetAsync(VerifyDocument command, DocumentView current, DocumentRecords records,
        ContentStore contents, CancellationToken ct)
    {
        var revision = command.Revision ?? current.Revision;
        if (revision < 1 || revision > current.Revision)
        {
            return VerificationTarget.Missing("revision", $"Revision {revision} does not exist; the document has revisions 1 to {current.Revision}.");
        }
        string mediaType, digest;
        string? language = null;
        if (command.Language is null || string.Equals(command.Language, current.Language, StringComparison.OrdinalIgnoreCase))
        {
            var record = await records.RevisionAsync(current.Id, revision, ct);
            if (record is null) return VerificationTarget.Missing("revision", $"Revision {revision} has no stored content.");
            (mediaType, digest) = (record.MediaType, record.ContentDigest);
        }
        else
        {
            var (tag, error) = Languages.Parse(command.Language);
            if (error is not null) return VerificationTarget.Missing("language", error);
            var translation = await ContentEndpoint.LatestTranslationAsync(records, current.Id, tag!, revision, exact: true, ct);
            if (translation is null) return VerificationTarget.Missing("language", $"There is no translation into '{tag}' of revision {revision}.");
            (mediaType, digest, language) = (translation.MediaType, translation.ContentDigest, translation.Language);
        }
        var text = command.Claim is not null && MediaTypes.IsText(mediaType)
            ? Encoding.UTF8.GetString(await contents.GetAsync(digest, ct) ?? [])
            : null;
        return new VerificationTarget(mediaType, digest, language, text);
    }

    public static ProblemDetails? Validate(VerifyDocument command, DocumentView current, VerificationTarget target)
    {
        if (command.ExpectedRevision is { } expected && expected != current.Revision) return DocumentPreconditions.Stale(current, expected);
        var errors = new FieldErrors();
        if (target.Problem is var (field, message)) errors.Add(field, message);
        if (command.Method is null || !VerificationMethods.All.Contains(command.Method))
        {
            errors.Add("method", $"'method' must be one of: {string.Join(", ", VerificationMethods.All)}.");
        }
        if (command.Verdict is null || !Verdicts.All.Contains(command.Verdict))
        {
            errors.Add("verdict", $"'verdict' must be one of: {string.Join(", ", Verdicts.All)}.");
        }
        var evidence = command.Evidence ?? [];
        if (evidence.Count > FieldLimits.EvidenceCount) errors.Add("evidence", $"At most {FieldLimits.EvidenceCount} evidence URIs.");
        foreach (var uri in evidence)
        {
            if (string.IsNullOrWhiteSpace(uri) || uri.Length > FieldLimits.Uri || !Uris.IsAbsolute(uri)) errors.Add("evidence", $"'{uri}' is not an absolute URI.");
        }
        errors.Optional("notes", command.Notes, FieldLimits.Notes, multiLine: true);
        errors.Optional("reason", command.Reason, FieldLimits.Reason, multiLine: true);
        var textBytes = evidence.Sum(FieldLimits.JsonBytes) + FieldLimits.JsonBytes(command.Notes) + FieldLimits.JsonBytes(command.Reason)
            + FieldLimits.JsonBytes(command.Claim?.Quote);
        if (textBytes > FieldLimits.EventTextBytes)
        {
            errors.Add("evidence", $"'evidence', 'notes', 'reason' and 'claim.quote' together take {textBytes} bytes; one event carries at most {FieldLimits.EventTextBytes}.");
        }
        if (command.Claim is { } claim && target.Problem is null)
        {
            var text = target.Text;
            if (text is null) errors.Add("claim", "A quoted claim can only be checked against text content.");
            else if (string.IsNullOrEmpty(claim.Quote)) errors.Add("claim.quote", "'claim.quote' is required.");
            else if (claim.Quote.Length > FieldLimits.Quote) errors.Add("claim.quote", $"'claim.quote' must be at most {FieldLimits.Quote} characters.");
            else if (claim.Start < 0 || claim.End <= claim.Start || claim.End > text.Length)
            {
                errors.Add("claim", $"The span [{claim.Start}, {claim.End}) is outside the text (length {text.Length}).");
            }
            else if (text.AsSpan(claim.Start, claim.End - claim.Start).SequenceEqual(claim.Quote) is false)
            {
                errors.Add("claim.quote", $"The text at [{claim.Start}, {claim.End}) is not the quoted claim.");
            }
        }
        return errors.Any ? Problems.InvalidDetails(errors) : null;
    }

    public static DocumentVerified Decide(VerifyDocument command, DocumentView current, VerificationTarget target)
        => new(current.Id, command.Revision ?? current.Revision, target.Language, command.Claim, command.Method!, command.Verdict!,
            (command.Evidence ?? []).Select(e => e.Trim()).ToList(), command.Notes?.Trim(), command.Actor,
            string.IsNullOrWhiteSpace(command.Reason) ? null : command.Reason.Trim());

    public static (DocumentResource, Events) Record(VerifyDocument command, DocumentView current, VerificationTarget target, TimeProvider clock)
    {
        var verified = Decide(command, current, target);
        return (DocumentResource.Recorded(DocumentViewProjection.Next(current, verified, clock.GetUtcNow()), $"/api/documents/{current.Id}"), [verified]);
    }
}

/// <summary>POST /api/documents/{id}/verifications; an optional <c>If-Match</c> must name the current revision.</summary>
public static class VerifyEndpoint
{
    public static async Task<(VerifyDocument?, ProblemDetails)> LoadAsync(Guid id, HttpRequest request, ClaimsPrincipal user)
    {
        var (expected, precondition) = DocumentPreconditions.IfMatch(request);
        if (precondition is not null) return (null, precondition);
        var (body, problem) = await DocumentRequests.ReadJsonAsync<VerifyDocument>(request, 1024 * 1024);
        if (problem is not null) return (null, problem);
        return (body! with { DocumentId = id, ExpectedRevision = expected, Actor = user.Actor() }, WolverineContinue.NoProblems);
    }

    public static Task<VerificationTarget> BeforeAsync(VerifyDocument command, DocumentView document, DocumentRecords records,
        ContentStore contents, CancellationToken ct) => Verify.TargetAsync(command, document, records, contents, ct);

    public static ProblemDetails Validate(VerifyDocument command, DocumentView document, VerificationTarget target, HttpResponse response)
        => DocumentPreconditions.Respond(Verify.Validate(command, document, target), document, response);

    [WolverinePost("/api/documents/{id}/verifications", OperationId = "verifyClaim"), Authorize(Roles = Roles.Verifier), Idempotent]
    [Tags(ApiTags.Verifications), EndpointSummary("Record the verification of a claim quoted from a revision or translation")]
    [RequestHeader("If-Match")]
    [AcceptsBody(typeof(VerifyDocument), "application/json", RequiredMembers = ["method", "verdict"])]
    [ProducesResponseType<DocumentResource>(201, "application/json"), ResponseHeaders(201, "Location", "ETag")]
    [ProblemResponses(404, 412, 422), ResponseHeaders(412, "ETag")]
    public static (DocumentResource, Events) Post([NotBody] VerifyDocument command, [WriteAggregate("id")] DocumentView document, [NotBody] VerificationTarget target,
        TimeProvider clock) => Verify.Record(command, document, target, clock);
}

/// <summary>The same use case for the web forms and the seed loader.</summary>
public static class VerifyDocumentHandler
{
    public static Task<VerificationTarget> BeforeAsync(VerifyDocument command, DocumentView document, DocumentRecords records,
        ContentStore contents, CancellationToken ct) => Verify.TargetAsync(command, document, records, contents, ct);

    public static void Validate(VerifyDocument command, DocumentView document, VerificationTarget target)
        => CommandRejected.ThrowIf(Verify.Validate(command, document, target));

    public static (DocumentResource, Events) Handle(VerifyDocument command, [WriteAggregate] DocumentView document, VerificationTarget target,
        TimeProvider clock) => Verify.Record(command, document, target, clock);
}
