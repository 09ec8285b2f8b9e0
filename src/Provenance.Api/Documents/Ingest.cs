using System.Security.Claims;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Wolverine.Http;

namespace Provenance.Api.Documents;

/// <summary>Ingest a new document: JSON with <c>content</c>/<c>contentBase64</c>, or multipart with a <c>file</c> part.</summary>
public sealed record IngestDocument(
    string? Title,
    string? Language,
    string? Content,
    string? ContentBase64,
    string? MediaType,
    string? OriginalFileName,
    string? SourceUri,
    string? Publisher,
    DateTimeOffset? PublishedAt,
    string? Channel,
    string? Reason);

public static class IngestEndpoint
{
    public const string DefaultChannel = "api";

    [WolverinePost("/api/documents"), Authorize(Roles = Roles.Contributor)]
    public static async Task<IResult> Post(HttpRequest request, IDocumentSession session, ContentStore contents, Identifiers ids,
        ClaimsPrincipal user, IOptions<ProvenanceOptions> options)
    {
        var limit = options.Value.MaxContentBytes;
        var errors = new FieldErrors();
        IngestDocument? command;
        ContentUpload? content;
        if (RequestBodies.IsMultipart(request))
        {
            var (form, problem) = await RequestBodies.ReadFormAsync(request, limit);
            if (problem is not null) return problem;
            command = FromForm(form!, errors);
            content = await ContentInput.FromFormAsync(form!, null, limit, errors);
        }
        else
        {
            var (json, problem) = await RequestBodies.ReadJsonAsync<IngestDocument>(request, RequestBodies.JsonLimit(options.Value));
            if (problem is not null) return problem;
            command = json!;
            content = ContentInput.FromJson(command.Content, command.ContentBase64, command.MediaType, command.OriginalFileName, null, limit, errors);
        }

        var ingested = Decide(ids.NewId(), command, content, user.Actor(), errors);
        if (ingested is null) return Problems.Invalid(errors);

        var view = await RecordAsync(session, contents, ingested, content!, request.HttpContext.RequestAborted);
        return DocumentResults.Created(request.HttpContext, $"/api/documents/{view.Id}", view);
    }

    /// <summary>The decision: the event to record, or null with the reasons in <paramref name="errors"/>.</summary>
    public static DocumentIngested? Decide(Guid id, IngestDocument command, ContentUpload? content, string actor, FieldErrors errors)
    {
        errors.Require("title", command.Title, 500);
        var (language, languageError) = Languages.Parse(command.Language);
        if (languageError is not null) errors.Add("language", languageError);
        errors.Optional("originalFileName", command.OriginalFileName, 255);
        errors.Optional("publisher", command.Publisher, 300);
        errors.Optional("channel", command.Channel, 100);
        errors.Optional("reason", command.Reason, 2000);
        if (command.SourceUri is { } uri && !Uris.IsAbsoluteWeb(uri)) errors.Add("sourceUri", "'sourceUri' must be an absolute http(s) URI.");
        if (errors.Any || content is null) return null;

        return new DocumentIngested(id, command.Title!.Trim(), language!, content.MediaType, content.Digest, content.Size,
            ContentInput.SafeFileName(command.OriginalFileName) ?? content.FileName, command.SourceUri, command.Publisher?.Trim(),
            command.PublishedAt, string.IsNullOrWhiteSpace(command.Channel) ? DefaultChannel : command.Channel.Trim(), actor,
            string.IsNullOrWhiteSpace(command.Reason) ? null : command.Reason.Trim());
    }

    public static async Task<DocumentView> RecordAsync(IDocumentSession session, ContentStore contents, DocumentIngested ingested,
        ContentUpload content, CancellationToken ct)
    {
        contents.Put(session, content);
        session.Events.StartStream<DocumentView>(ingested.DocumentId, ingested);
        await session.SaveChangesAsync(ct);
        return (await session.LoadAsync<DocumentView>(ingested.DocumentId, ct))!;
    }

    private static IngestDocument FromForm(IFormCollection form, FieldErrors errors)
    {
        string? Field(string name) => form[name].FirstOrDefault();
        DateTimeOffset? published = null;
        if (Field("publishedAt") is { } text)
        {
            if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var at)) published = at;
            else errors.Add("publishedAt", "'publishedAt' must be an RFC 3339 date-time.");
        }
        return new IngestDocument(Field("title"), Field("language"), null, null, Field("mediaType"),
            Field("originalFileName") ?? form.Files.GetFile("file")?.FileName, Field("sourceUri"), Field("publisher"), published,
            Field("channel") ?? "upload", Field("reason"));
    }
}
