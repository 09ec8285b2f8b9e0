using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Access;
using Provenance.Api.Http;
using Wolverine.Http;
using Wolverine.Marten;

namespace Provenance.Api.Documents;

/// <summary>Withdraw a document from view without erasing it: readers other than auditors and stewards then get 451 (RFC 7725).</summary>
public sealed record WithdrawDocument(string? Reason, RedactLegalBasis? LegalBasis, string? Reference)
{
    [JsonIgnore] public string Actor { get; init; } = "";
}

public sealed record WithdrawalResource(Guid DocumentId, DateTimeOffset WithdrawnAt, string WithdrawnBy, string Reason, LegalBasis LegalBasis,
    string? Reference, long Version);

public static class WithdrawEndpoint
{
    public static async Task<(WithdrawDocument?, ProblemDetails)> LoadAsync(HttpRequest request, ClaimsPrincipal user)
    {
        var (body, problem) = await DocumentRequests.ReadJsonAsync<WithdrawDocument>(request, 64 * 1024);
        if (problem is not null) return (null, problem);
        var errors = new FieldErrors();
        errors.Require("reason", body!.Reason, FieldLimits.Reason, multiLine: true);
        if (body.LegalBasis is null) errors.Add("legalBasis", "'legalBasis' is required: {\"code\": \"court-order\", \"text\": \"…\"}.");
        else
        {
            errors.Require("legalBasis.code", body.LegalBasis.Code, 64);
            if (body.LegalBasis.Code is { } code && !LegalBasisCodes.IsSlug(code)) errors.Add("legalBasis.code", "'legalBasis.code' is a lower-case slug such as court-order.");
            errors.Optional("legalBasis.text", body.LegalBasis.Text, FieldLimits.Reason, multiLine: true);
        }
        errors.Optional("reference", body.Reference, Redact.ReferenceLength);
        return errors.Any ? (null, Problems.InvalidDetails(errors)) : (body with { Actor = user.Actor() }, WolverineContinue.NoProblems);
    }

    public static ProblemDetails Validate(WithdrawDocument command, DocumentView document, TimeProvider clock)
    {
        if (Redact.HoldProblem(document, clock.GetUtcNow(), "withdrawing it") is { } held) return held;
        return document.Withdrawal is { } w
            ? Problems.Details(Problems.Conflict, $"Document {document.Id} is already withdrawn (since {w.WithdrawnAt:yyyy-MM-dd}, under {w.LegalBasis.Code}).")
            : WolverineContinue.NoProblems;
    }

    /// <summary>Withdraws the document from view under a legal basis.</summary>
    [WolverinePost("/api/documents/{id}/withdrawals", OperationId = "withdrawDocument"), Authorize(Roles = Roles.Steward), Tags("Erasure")]
    [EndpointSummary("Withdraw a document from view under a legal basis (readers get 451)")]
    [Contract.AcceptsBody(typeof(WithdrawDocument), "application/json", RequiredMembers = ["reason", "legalBasis"])]
    [ProducesResponseType<WithdrawalResource>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    public static (IResult, Events) Post([NotBody] WithdrawDocument command, [WriteAggregate("id")] DocumentView document, TimeProvider clock)
    {
        var withdrawn = new DocumentWithdrawn(document.Id, command.Reason!.Trim(), new LegalBasis(command.LegalBasis!.Code!, command.LegalBasis.Text?.Trim()),
            command.Reference?.Trim(), command.Actor);
        var now = clock.GetUtcNow();
        return (Results.Created($"/api/documents/{document.Id}/withdrawals/current", new WithdrawalResource(document.Id, now, command.Actor, withdrawn.Reason,
            withdrawn.LegalBasis, withdrawn.Reference, document.Version + 1)), [withdrawn]);
    }
}

public static class ReinstateEndpoint
{
    public static ProblemDetails Validate(DocumentView document, TimeProvider clock)
    {
        if (Redact.HoldProblem(document, clock.GetUtcNow(), "changing its withdrawal") is { } held) return held;
        return document.Withdrawal is null
            ? Problems.Details(Problems.NotFound, $"Document {document.Id} is not withdrawn.")
            : WolverineContinue.NoProblems;
    }

    /// <summary>Ends the withdrawal in force: the document is in view again.</summary>
    [WolverineDelete("/api/documents/{id}/withdrawals/current", OperationId = "reinstateDocument"), Authorize(Roles = Roles.Steward), Tags("Erasure")]
    [EndpointSummary("End the withdrawal in force")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static (IResult, Events) Delete([WriteAggregate("id")] DocumentView document, ClaimsPrincipal user)
        => (Results.NoContent(), [new DocumentReinstated(document.Id, user.Actor(), null)]);
}
