using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Access;
using Provenance.Api.Http;
using Wolverine.Http;
using Wolverine.Marten;

namespace Provenance.Api.Documents;

/// <summary>Place a legal hold: while it is active, redaction and withdrawal answer 409 <c>legal-hold</c> naming it.</summary>
public sealed record PlaceHold(string? Reason, DateTimeOffset? Until)
{
    [JsonIgnore] public string Actor { get; init; } = "";
}

public sealed record HoldResource(Guid Id, Guid DocumentId, string Reason, DateTimeOffset? Until, DateTimeOffset PlacedAt, string PlacedBy,
    DateTimeOffset? ReleasedAt, string? ReleasedBy, bool Active)
{
    public static HoldResource From(Guid documentId, HoldState h, DateTimeOffset now) => new(h.Id, documentId, h.Reason, h.Until, h.PlacedAt, h.PlacedBy,
        h.ReleasedAt, h.ReleasedBy, h.ReleasedAt is null && (h.Until is null || h.Until > now));
}

public static class PlaceHoldEndpoint
{
    public static async Task<(PlaceHold?, ProblemDetails)> LoadAsync(HttpRequest request, ClaimsPrincipal user, TimeProvider clock)
    {
        var (body, problem) = await DocumentRequests.ReadJsonAsync<PlaceHold>(request, 64 * 1024);
        if (problem is not null) return (null, problem);
        var errors = new FieldErrors();
        errors.Require("reason", body!.Reason, FieldLimits.Reason, multiLine: true);
        if (body.Until is { } until && until <= clock.GetUtcNow()) errors.Add("until", "'until' must be in the future.");
        return errors.Any ? (null, Problems.InvalidDetails(errors)) : (body with { Actor = user.Actor() }, WolverineContinue.NoProblems);
    }

    /// <summary>Places a legal hold on the document.</summary>
    [WolverinePost("/api/documents/{id}/holds", OperationId = "placeLegalHold"), Authorize(Roles = Roles.Auditor), Tags("Erasure")]
    [EndpointSummary("Place a legal hold: nothing may be erased or withdrawn while it is active")]
    [Contract.AcceptsBody(typeof(PlaceHold), "application/json", RequiredMembers = ["reason"])]
    [ProducesResponseType<HoldResource>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    public static (IResult, Events) Post([NotBody] PlaceHold command, [WriteAggregate("id")] DocumentView document, TimeProvider clock)
    {
        var held = new DocumentHeld(document.Id, Guid.CreateVersion7(), command.Reason!.Trim(), command.Until, command.Actor);
        var hold = new HoldState(held.HoldId, held.Reason, held.Until, clock.GetUtcNow(), held.Actor);
        return (Results.Created($"/api/documents/{document.Id}/holds/{held.HoldId}", HoldResource.From(document.Id, hold, hold.PlacedAt)), [held]);
    }
}

public static class ReleaseHoldEndpoint
{
    public static ProblemDetails Validate(Guid holdId, DocumentView document)
    {
        var hold = document.Holds.FirstOrDefault(h => h.Id == holdId);
        if (hold is null) return Problems.Details(Problems.NotFound, $"Document {document.Id} has no hold {holdId}.");
        return hold.ReleasedAt is { } at
            ? Problems.Details(Problems.Conflict, $"Hold {holdId} was already released on {at:yyyy-MM-dd} by {hold.ReleasedBy}.")
            : WolverineContinue.NoProblems;
    }

    /// <summary>Releases a legal hold.</summary>
    [WolverinePost("/api/documents/{id}/holds/{holdId}/release", OperationId = "releaseLegalHold"), Authorize(Roles = Roles.Auditor), Tags("Erasure")]
    [EndpointSummary("Release a legal hold")]
    [ProducesResponseType<HoldResource>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static (IResult, Events) Post(Guid holdId, [WriteAggregate("id")] DocumentView document, ClaimsPrincipal user, TimeProvider clock)
    {
        var hold = document.Holds.First(h => h.Id == holdId) with { };
        var now = clock.GetUtcNow();
        hold.ReleasedAt = now;
        hold.ReleasedBy = user.Actor();
        return (Results.Ok(HoldResource.From(document.Id, hold, now)), [new DocumentHoldReleased(document.Id, holdId, user.Actor(), null)]);
    }
}

public static class ListHoldsEndpoint
{
    /// <summary>Every hold of the document, active or not.</summary>
    [WolverineGet("/api/documents/{id}/holds", OperationId = "listLegalHolds"), Authorize(Roles = Roles.Auditor + "," + Roles.Steward), Tags("Erasure")]
    [EndpointSummary("Every legal hold of a document, active or not")]
    [ProducesResponseType<IReadOnlyList<HoldResource>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> List(Guid id, Marten.IQuerySession session, TimeProvider clock, CancellationToken ct)
        => await session.LoadAsync<DocumentView>(id, ct) is { } view
            ? Results.Ok(view.Holds.Select(h => HoldResource.From(id, h, clock.GetUtcNow())).ToList())
            : Problems.DocumentNotFound(id);
}
