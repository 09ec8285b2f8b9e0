using System.Security.Claims;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Wolverine.Http;

namespace Provenance.Api.Documents;

/// <summary>Record a translation of one revision (default: the current one) into another language.</summary>
public sealed record TranslateDocument(
    string? Language,
    int? SourceRevision,
    string? Content,
    string? ContentBase64,
    string? MediaType,
    string? Translator,
    string? Method,
    string? Reason);

public static class TranslateEndpoint
{
    [WolverinePost("/api/documents/{id}/translations"), Authorize(Roles = Roles.Contributor)]
    public static async Task<IResult> Post(Guid id, HttpRequest request, IDocumentSession session, ContentStore contents,
        ClaimsPrincipal user, IOptions<ProvenanceOptions> options)
    {
        var ct = request.HttpContext.RequestAborted;
        var current = await session.LoadAsync<DocumentView>(id, ct);
        if (current is null) return Problems.DocumentNotFound(id);
        if (DocumentPreconditions.Check(request, current) is { } precondition) return precondition;

        var limit = options.Value.MaxContentBytes;
        var errors = new FieldErrors();
        TranslateDocument command;
        ContentUpload? content;
        if (RequestBodies.IsMultipart(request))
        {
            var (form, problem) = await RequestBodies.ReadFormAsync(request, limit);
            if (problem is not null) return problem;
            string? Field(string name) => form![name].FirstOrDefault();
            int? source = null;
            if (Field("sourceRevision") is { } text)
            {
                if (int.TryParse(text, out var n)) source = n;
                else errors.Add("sourceRevision", "'sourceRevision' must be a whole number.");
            }
            command = new TranslateDocument(Field("language"), source, null, null, Field("mediaType"), Field("translator"), Field("method"), Field("reason"));
            content = await ContentInput.FromFormAsync(form!, current.MediaType, limit, errors);
        }
        else
        {
            var (json, problem) = await RequestBodies.ReadJsonAsync<TranslateDocument>(request, RequestBodies.JsonLimit(options.Value));
            if (problem is not null) return problem;
            command = json!;
            content = ContentInput.FromJson(command.Content, command.ContentBase64, command.MediaType, null, current.MediaType, limit, errors);
        }

        var translated = Decide(current, command, content, user.Actor(), errors);
        if (translated is null)
        {
            return errors.ContentLimitExceeded is null && UnknownRevision(errors)
                ? Problems.Result(Problems.UnknownRevision, errors.Summary(), errors.ToDictionary())
                : Problems.Invalid(errors);
        }

        var view = await RecordAsync(session, contents, translated, content!, ct);
        var location = $"/api/documents/{id}/content?language={Uri.EscapeDataString(translated.Language)}&revision={translated.SourceRevision}";
        return DocumentResults.Created(request.HttpContext, location, view);
    }

    public static DocumentTranslated? Decide(DocumentView current, TranslateDocument command, ContentUpload? content, string actor, FieldErrors errors)
    {
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
        errors.Require("translator", command.Translator, 200);
        if (command.Method is null || !TranslationMethods.All.Contains(command.Method))
        {
            errors.Add("method", $"'method' must be one of: {string.Join(", ", TranslationMethods.All)}.");
        }
        errors.Optional("reason", command.Reason, 2000);
        if (errors.Any || content is null) return null;

        return new DocumentTranslated(current.Id, language!, source, content.MediaType, content.Digest, content.Size,
            command.Translator!.Trim(), command.Method!, actor, string.IsNullOrWhiteSpace(command.Reason) ? null : command.Reason.Trim());
    }

    public static async Task<DocumentView> RecordAsync(IDocumentSession session, ContentStore contents, DocumentTranslated translated,
        ContentUpload content, CancellationToken ct)
    {
        contents.Put(session, content);
        session.Events.Append(translated.DocumentId, translated);
        await session.SaveChangesAsync(ct);
        return (await session.LoadAsync<DocumentView>(translated.DocumentId, ct))!;
    }

    private static bool UnknownRevision(FieldErrors errors) => errors.ToDictionary() is var all && all.Count == 1 && all.ContainsKey("sourceRevision");
}

/// <summary>Translations and verifications accept an optional <c>If-Match</c>: when sent, it must name the current revision.</summary>
public static class DocumentPreconditions
{
    public static IResult? Check(HttpRequest request, DocumentView current)
    {
        var ifMatch = request.Headers.IfMatch.ToString();
        if (ifMatch.Length == 0) return null;
        if (EntityTags.Revision(ifMatch) is not { } named)
        {
            return Problems.Result(Problems.MalformedRequest, $"If-Match '{ifMatch}' does not name a revision (for example \"{current.Revision}\").");
        }
        return named == current.Revision ? null : EditEndpoint.StaleRevision(request.HttpContext, current, named);
    }
}
