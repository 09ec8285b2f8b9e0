using System.Security.Claims;
using System.Text;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Provenance.Api.Access;
using Provenance.Api.Http;
using Wolverine.Http;

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
    string? Reason);

public static class VerifyEndpoint
{
    [WolverinePost("/api/documents/{id}/verifications"), Authorize(Roles = Roles.Verifier)]
    public static async Task<IResult> Post(Guid id, HttpRequest request, IDocumentSession session, ContentStore contents, ClaimsPrincipal user)
    {
        var ct = request.HttpContext.RequestAborted;
        var current = await session.LoadAsync<DocumentView>(id, ct);
        if (current is null) return Problems.DocumentNotFound(id);
        if (DocumentPreconditions.Check(request, current) is { } precondition) return precondition;

        var (command, problem) = await RequestBodies.ReadJsonAsync<VerifyDocument>(request, 1024 * 1024);
        if (problem is not null) return problem;

        var errors = new FieldErrors();
        var target = await ResolveTargetAsync(session, current, command!, errors, ct);
        var text = target is not null && command!.Claim is not null && MediaTypes.IsText(target.MediaType)
            ? Encoding.UTF8.GetString(await contents.GetAsync(target.ContentDigest, ct) ?? [])
            : null;
        var verified = Decide(current, command!, target, text, user.Actor(), errors);
        if (verified is null) return Problems.Invalid(errors);

        var view = await RecordAsync(session, verified, ct);
        return DocumentResults.Created(request.HttpContext, $"/api/documents/{id}", view);
    }

    /// <summary>What is being verified: a revision's own content, or one of its translations.</summary>
    public sealed record VerifiedContent(string MediaType, string ContentDigest, string? Language);

    public static async Task<VerifiedContent?> ResolveTargetAsync(IQuerySession session, DocumentView current, VerifyDocument command,
        FieldErrors errors, CancellationToken ct)
    {
        var revision = command.Revision ?? current.Revision;
        if (revision < 1 || revision > current.Revision)
        {
            errors.Add("revision", $"Revision {revision} does not exist; the document has revisions 1 to {current.Revision}.");
            return null;
        }
        if (command.Language is null || string.Equals(command.Language, current.Language, StringComparison.OrdinalIgnoreCase))
        {
            var record = await session.LoadAsync<RevisionRecord>(RevisionRecord.IdFor(current.Id, revision), ct);
            return record is null ? null : new VerifiedContent(record.MediaType, record.ContentDigest, null);
        }
        var (language, languageError) = Languages.Parse(command.Language);
        if (languageError is not null)
        {
            errors.Add("language", languageError);
            return null;
        }
        var translation = await ContentEndpoint.LatestTranslationAsync(session, current.Id, language!, revision, exact: true, ct);
        if (translation is null)
        {
            errors.Add("language", $"There is no translation into '{language}' of revision {revision}.");
            return null;
        }
        return new VerifiedContent(translation.MediaType, translation.ContentDigest, translation.Language);
    }

    public static DocumentVerified? Decide(DocumentView current, VerifyDocument command, VerifiedContent? target, string? text, string actor,
        FieldErrors errors)
    {
        if (command.Method is null || !VerificationMethods.All.Contains(command.Method))
        {
            errors.Add("method", $"'method' must be one of: {string.Join(", ", VerificationMethods.All)}.");
        }
        if (command.Verdict is null || !Verdicts.All.Contains(command.Verdict))
        {
            errors.Add("verdict", $"'verdict' must be one of: {string.Join(", ", Verdicts.All)}.");
        }
        var evidence = command.Evidence ?? [];
        if (evidence.Count > 50) errors.Add("evidence", "At most 50 evidence URIs.");
        foreach (var uri in evidence)
        {
            if (string.IsNullOrWhiteSpace(uri) || !Uris.IsAbsolute(uri)) errors.Add("evidence", $"'{uri}' is not an absolute URI.");
        }
        errors.Optional("notes", command.Notes, 10_000);
        errors.Optional("reason", command.Reason, 2000);
        if (command.Claim is { } claim && target is not null)
        {
            if (text is null) errors.Add("claim", "A quoted claim can only be checked against text content.");
            else if (string.IsNullOrEmpty(claim.Quote)) errors.Add("claim.quote", "'claim.quote' is required.");
            else if (claim.Start < 0 || claim.End <= claim.Start || claim.End > text.Length)
            {
                errors.Add("claim", $"The span [{claim.Start}, {claim.End}) is outside the text (length {text.Length}).");
            }
            else if (text.AsSpan(claim.Start, claim.End - claim.Start).SequenceEqual(claim.Quote) is false)
            {
                errors.Add("claim.quote", $"The text at [{claim.Start}, {claim.End}) is not the quoted claim.");
            }
        }
        if (errors.Any || target is null) return null;

        return new DocumentVerified(current.Id, command.Revision ?? current.Revision, target.Language, command.Claim, command.Method!,
            command.Verdict!, evidence.Select(e => e.Trim()).ToList(), command.Notes?.Trim(), actor,
            string.IsNullOrWhiteSpace(command.Reason) ? null : command.Reason.Trim());
    }

    public static async Task<DocumentView> RecordAsync(IDocumentSession session, DocumentVerified verified, CancellationToken ct)
    {
        session.Events.Append(verified.DocumentId, verified);
        await session.SaveChangesAsync(ct);
        return (await session.LoadAsync<DocumentView>(verified.DocumentId, ct))!;
    }
}
