using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;
using Provenance.Api.Contract;

namespace Provenance.Api.Documents;

/// <summary>Record a translation of one revision (default: the current one) into another language.</summary>
public sealed record TranslateDocument(
    string? Language,
    int? SourceRevision,
    string? Content,
    byte[]? ContentBase64,
    string? MediaType,
    string? Translator,
    string? Method,
    string? Reason)
{
    [JsonIgnore, JasperFx.Identity] public Guid DocumentId { get; init; }
    /// <summary>When the request named one (<c>If-Match</c>), the revision the translation expects to be current.</summary>
    [JsonIgnore] public int? ExpectedRevision { get; init; }
    [JsonIgnore] public string Actor { get; init; } = "";
    [JsonIgnore] public ContentSubmission? Upload { get; init; }
}

/// <summary>The multipart form of <see cref="TranslateDocument"/>: the translated content as the <c>file</c> part.</summary>
public sealed record TranslateDocumentForm(IFormFile File, string Language, string Translator, string Method, int? SourceRevision = null,
    string? MediaType = null, string? Reason = null);

public static class Translate
{
    public static ProblemDetails? Validate(TranslateDocument command, DocumentView current, long maxContentBytes)
    {
        if (command.ExpectedRevision is { } expected && expected != current.Revision) return DocumentPreconditions.Stale(current, expected);
        var errors = new FieldErrors();
        var (language, languageError) = Languages.Parse(command.Language);
        if (languageError is not null) errors.Add("language", languageError);
        else if (string.Equals(language, current.Language, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add("language", $"The document is already in '{current.Language}'; a translation must be into another language.");
        }
        var source = command.SourceRevision ?? current.Revision;
        if (source < 1 || source > current.Revision)
        {
            errors.Add("sourceRevision", $"Revision {source} does not exist; the document has revisions 1 to {current.Revision}.");
        }
        errors.Require("translator", command.Translator, FieldLimits.Translator);
        if (command.Method is null || !TranslationMethods.All.Contains(command.Method))
        {
            errors.Add("method", $"'method' must be one of: {string.Join(", ", TranslationMethods.All)}.");
        }
        errors.Optional("reason", command.Reason, FieldLimits.Reason, multiLine: true);
        ContentInput.Check(command.Upload, current.MediaType, maxContentBytes, errors);
        if (!errors.Any) return null;
        var all = errors.ToDictionary();
        return errors.ContentLimitExceeded is null && all.Count == 1 && all.ContainsKey("sourceRevision")
            ? Problems.Details(Problems.UnknownRevision, errors.Summary(), all)
            : Problems.InvalidDetails(errors);
    }

    public static (DocumentTranslated Translated, StoreContent Store) Decide(TranslateDocument command, DocumentView current)
    {
        var content = command.Upload!.Accepted(current.MediaType);
        var translated = new DocumentTranslated(current.Id, Languages.Parse(command.Language).Tag!, command.SourceRevision ?? current.Revision,
            content.MediaType, content.Digest, content.Size, command.Translator!.Trim(), command.Method!, command.Actor,
            string.IsNullOrWhiteSpace(command.Reason) ? null : command.Reason.Trim());
        return (translated, new StoreContent(content));
    }

    public static (DocumentResource, Events, StoreContent) Record(TranslateDocument command, DocumentView current, TimeProvider clock)
    {
        var (translated, store) = Decide(command, current);
        var after = DocumentViewProjection.Next(current, translated, clock.GetUtcNow());
        var location = $"/api/documents/{current.Id}/content?language={Uri.EscapeDataString(translated.Language)}&revision={translated.SourceRevision}";
        return (DocumentResource.Recorded(after, location), [translated], store);
    }
}

/// <summary>POST /api/documents/{id}/translations; an optional <c>If-Match</c> must name the current revision.</summary>
public static class TranslateEndpoint
{
    public static async Task<(TranslateDocument?, ProblemDetails)> LoadAsync(Guid id, HttpRequest request, ClaimsPrincipal user,
        IOptions<ProvenanceOptions> options)
    {
        var (expected, precondition) = DocumentPreconditions.IfMatch(request);
        if (precondition is not null) return (null, precondition);
        var (body, upload, problem) = await DocumentRequests.ReadAsync<TranslateDocument>(request, options.Value,
            (json, errors) => ContentInput.FromJson(json.Content, json.ContentBase64, json.MediaType, null, errors), FromForm);
        if (problem is not null) return (null, problem);
        return (body! with { DocumentId = id, ExpectedRevision = expected, Actor = user.Actor(), Upload = upload }, WolverineContinue.NoProblems);
    }

    public static ProblemDetails Validate(TranslateDocument command, DocumentView document, IOptions<ProvenanceOptions> options, HttpResponse response)
        => DocumentPreconditions.Respond(Translate.Validate(command, document, options.Value.MaxContentBytes), document, response);

    [WolverinePost("/api/documents/{id}/translations", OperationId = "translateDocument"), Authorize(Roles = Roles.Contributor), Idempotent]
    [Tags(ApiTags.Translations), EndpointSummary("Record a translation of a revision")]
    [RequestHeader("If-Match")]
    [AcceptsBody(typeof(TranslateDocument), "application/json", RequiredMembers = ["language", "translator", "method"]), AcceptsBody(typeof(TranslateDocumentForm), "multipart/form-data")]
    [ProducesResponseType<DocumentResource>(201, "application/json"), ResponseHeaders(201, "Location", "ETag")]
    [ProblemResponses(404, 412, 422), ResponseHeaders(412, "ETag")]
    public static (DocumentResource, Events, StoreContent) Post([NotBody] TranslateDocument command, [WriteAggregate("id")] DocumentView document,
        TimeProvider clock) => Translate.Record(command, document, clock);

    static TranslateDocument FromForm(DocumentRequests.FormFields form, FieldErrors errors)
    {
        int? source = null;
        if (form["sourceRevision"] is { } text)
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) source = n;
            else errors.Add("sourceRevision", "'sourceRevision' must be a whole number.");
        }
        return new TranslateDocument(form["language"], source, null, null, form["mediaType"], form["translator"], form["method"], form["reason"]);
    }
}

/// <summary>The same use case for the web forms and the seed loader.</summary>
public static class TranslateDocumentHandler
{
    public static void Validate(TranslateDocument command, DocumentView document, IOptions<ProvenanceOptions> options)
        => CommandRejected.ThrowIf(Translate.Validate(command, document, options.Value.MaxContentBytes));

    public static (DocumentResource, Events, StoreContent) Handle(TranslateDocument command, [WriteAggregate] DocumentView document,
        TimeProvider clock) => Translate.Record(command, document, clock);
}
