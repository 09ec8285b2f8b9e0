using System.Text.Json.Serialization;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Provenance.Api.Http;
using Provenance.Api.Ledger;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Documents;

/// <summary>
/// What clients see of a document: its current state, with each translation's freshness spelled out. A view replayed from the events
/// (<c>?asOf</c>) also lists <c>ledgerMismatches</c>: the replayed events whose rows no longer hash to their stored leaves (empty when none).
/// </summary>
public sealed record DocumentResource(
    Guid Id,
    string Title,
    string Language,
    int Revision,
    long Version,
    string MediaType,
    string ContentDigest,
    long Size,
    string? OriginalFileName,
    string? SourceUri,
    string? Publisher,
    DateTimeOffset? PublishedAt,
    string Channel,
    IReadOnlyList<TranslationResource> Translations,
    IReadOnlyList<VerificationState> Verifications,
    IReadOnlyList<string> Verdicts,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset UpdatedAt,
    string UpdatedBy,
    DocumentLinks Links,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<LedgerMismatch>? LedgerMismatches = null) : IHttpAware
{
    /// <summary>The view's entity tag, sent as the <c>ETag</c> header.</summary>
    [JsonIgnore] public string ETag { get; init; } = "";
    /// <summary>Set when the response records a change: 201 with this <c>Location</c>.</summary>
    [JsonIgnore] public string? Location { get; init; }

    /// <summary>A change was recorded: 201 Created, <c>Location</c> naming what it created, the new view and its ETag.</summary>
    public static DocumentResource Recorded(DocumentView view, string location) => From(view) with { Location = location };

    void IHttpAware.Apply(HttpContext context)
    {
        context.Response.Headers.ETag = ETag;
        if (Location is null) return;
        context.Response.Headers.Location = Location;
        context.Response.StatusCode = StatusCodes.Status201Created;
    }

    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder) { }

    public static DocumentResource From(DocumentView v) => new(
        v.Id, v.Title, v.Language, v.Revision, v.Version, v.MediaType, v.ContentDigest, v.Size, v.OriginalFileName, v.SourceUri,
        v.Publisher, v.PublishedAt, v.Channel,
        v.Translations.Select(t => TranslationResource.From(t, v.Revision, v.Id)).ToList(),
        v.Verifications, v.Verdicts, v.CreatedAt, v.CreatedBy, v.UpdatedAt, v.UpdatedBy, DocumentLinks.For(v.Id)) { ETag = v.ETag };
}

public sealed record TranslationResource(
    string Language,
    int SourceRevision,
    bool Outdated,
    int RevisionsBehind,
    string MediaType,
    string ContentDigest,
    long Size,
    string Translator,
    string Method,
    int Count,
    DateTimeOffset TranslatedAt,
    string TranslatedBy,
    string Content)
{
    public static TranslationResource From(TranslationState t, int currentRevision, Guid documentId) => new(
        t.Language, t.SourceRevision, t.SourceRevision < currentRevision, currentRevision - t.SourceRevision, t.MediaType,
        t.ContentDigest, t.Size, t.Translator, t.Method, t.Count, t.TranslatedAt, t.TranslatedBy,
        $"/api/documents/{documentId}/content?language={Uri.EscapeDataString(t.Language)}");
}

public sealed record DocumentLinks(string Self, string Content, string Revisions, string Translations, string Verifications)
{
    public static DocumentLinks For(Guid id) => new(
        $"/api/documents/{id}", $"/api/documents/{id}/content", $"/api/documents/{id}/revisions",
        $"/api/documents/{id}/translations", $"/api/documents/{id}/verifications");
}

public static class GetDocumentEndpoint
{
    [WolverineGet("/api/documents/{id}", OperationId = "getDocument"), Authorize]
    [Tags(ApiTags.Documents), EndpointSummary("Read a document's current view, or its view at a past time (asOf)")]
    [RequestHeader("If-None-Match")]
    [ProducesResponseType<DocumentResource>(200, "application/json"), ResponseHeaders(200, "ETag"), ProducesResponseType(304)]
    [ProblemResponses(404, 422)]
    public static async Task<IResult> Get(Guid id, string? asOf, HttpContext context, IQuerySession session, LedgerDatabase ledger)
    {
        var view = await session.LoadAsync<DocumentView>(id, context.RequestAborted);
        if (view is not null && ErasedReads.Withdrawn(view, context.User, context.Response) is { } unavailable) return unavailable;
        if (asOf is not null) return await TimeTravel.AsOfAsync(id, asOf, context, session, ledger);
        if (view is null) return Problems.DocumentNotFound(id);
        return DocumentResults.Current(context, view);
    }
}

public static class DocumentResults
{
    /// <summary>200 with the current view and its ETag, or 304 when <c>If-None-Match</c> already names it.</summary>
    public static IResult Current(HttpContext context, DocumentView view)
    {
        context.Response.Headers.ETag = view.ETag;
        var ifNoneMatch = context.Request.Headers.IfNoneMatch.ToString();
        if (ifNoneMatch.Length > 0 && EntityTags.AnyMatches(ifNoneMatch, view.ETag, weak: true))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Ok(DocumentResource.From(view));
    }

    public static IResult Created(HttpContext context, string location, DocumentView view)
    {
        context.Response.Headers.ETag = view.ETag;
        return Results.Created(location, DocumentResource.From(view));
    }
}
