using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Provenance.Api.Hosting;
using Provenance.Api.Http;

namespace Provenance.Api.Documents;

/// <summary>
/// How the HTTP API turns a request into a document command before any handler sees it: a JSON body (the command record
/// itself, with its content as text or base64) or a multipart form whose <c>file</c> part is streamed, hashed and checked
/// as it arrives. Every failure is a problem; nothing here decides anything about the document.
/// </summary>
public static class DocumentRequests
{
    /// <summary>The fields of a multipart form other than its file part.</summary>
    public sealed class FormFields(Dictionary<string, string> values)
    {
        public string? this[string name] => values.TryGetValue(name, out var value) ? value : null;
    }

    public static async Task<(T? Command, ContentSubmission? Upload, ProblemDetails? Problem)> ReadAsync<T>(HttpRequest request,
        ProvenanceOptions options, Func<T, FieldErrors, ContentSubmission?> contentOfJson, Func<FormFields, FieldErrors, T> fromForm) where T : class
    {
        if (RequestBodies.IsMultipart(request)) return await ReadMultipartAsync(request, options, fromForm);
        var (command, problem) = await ReadJsonAsync<T>(request, RequestBodies.JsonLimit(options));
        if (problem is not null) return (null, null, problem);
        var errors = new FieldErrors();
        var upload = contentOfJson(command!, errors);
        return errors.Any ? (null, null, Problems.InvalidDetails(errors)) : (command, upload, null);
    }

    /// <summary>A JSON body without content, bounded by <paramref name="maxBytes"/>.</summary>
    public static async Task<(T? Command, ProblemDetails? Problem)> ReadJsonAsync<T>(HttpRequest request, long maxBytes) where T : class
    {
        if (!RequestBodies.IsJson(request)) return (null, RequestBodies.WrongContentTypeDetails(request, "application/json", "multipart/form-data"));
        var (bytes, tooLarge) = await RequestBodies.ReadBoundedAsync(request, maxBytes);
        if (tooLarge is not null) return (null, Problems.Details(Problems.ContentTooLarge, $"The content exceeds the limit of {maxBytes} bytes.",
            extensions: new Dictionary<string, object?> { ["limit"] = maxBytes }));
        try
        {
            var json = request.HttpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            var command = JsonSerializer.Deserialize<T>(bytes, json);
            return command is null ? (null, Problems.Details(Problems.MalformedJson, "The body must be a JSON object.")) : (command, null);
        }
        catch (JsonException e) when (e.Path == "$.contentBase64")
        {
            return (null, Problems.InvalidDetails(new FieldErrors().Add("contentBase64", "'contentBase64' is not valid base64.")));
        }
        catch (JsonException e)
        {
            var where = e.Path is null ? "" : $" at {e.Path}";
            return (null, Problems.Details(Problems.MalformedJson, $"The body is not valid JSON for this request{where}: {e.Message.Split('\n', 2)[0].Trim()}"));
        }
    }

    static async Task<(T?, ContentSubmission?, ProblemDetails?)> ReadMultipartAsync<T>(HttpRequest request, ProvenanceOptions options,
        Func<FormFields, FieldErrors, T> fromForm) where T : class
    {
        var limit = options.MaxContentBytes;
        if (request.ContentLength > limit + 1024 * 1024) return (null, null, TooLarge(limit));
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(request.ContentType).Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > 200)
        {
            return (null, null, Problems.Details(Problems.MalformedRequest, "The multipart body has no valid boundary."));
        }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        ContentSubmission? upload = null;
        var ct = request.HttpContext.RequestAborted;
        try
        {
            var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (disposition.IsFileDisposition())
                {
                    if (name != "file" || upload is not null) continue;
                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                    upload = await ContentSubmission.ReadAsync(section.Body, limit, Declared(section.ContentType), fileName, ct);
                    if (upload is null) return (null, null, TooLarge(limit));
                    request.HttpContext.Response.RegisterForDispose(upload);
                }
                else
                {
                    using var text = new StreamReader(section.Body);
                    var value = await ReadFieldAsync(text, 64 * 1024, ct);
                    if (value is null) return (null, null, Problems.Details(Problems.MalformedRequest, $"The form field '{name}' is longer than 64 KB."));
                    fields.TryAdd(name, value);
                }
            }
        }
        catch (InvalidDataException e)
        {
            return (null, null, Problems.Details(Problems.MalformedRequest, $"The multipart body is malformed: {e.Message}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, null, TooLarge(limit));
        }
        var errors = new FieldErrors();
        var command = fromForm(new FormFields(fields), errors);
        if (upload is null) errors.Add("file", "A 'file' part is required.");
        else upload.Declare(fields.GetValueOrDefault("mediaType"));
        return errors.Any ? (null, null, Problems.InvalidDetails(errors)) : (command, upload, null);
    }

    /// <summary>A file part's own type counts only when it says something: <c>application/octet-stream</c> is no declaration.</summary>
    static string? Declared(string? contentType)
        => string.IsNullOrEmpty(contentType) || contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase) ? null : contentType;

    static async Task<string?> ReadFieldAsync(StreamReader reader, int maxChars, CancellationToken ct)
    {
        var buffer = new char[maxChars + 1];
        var total = 0;
        int read;
        while (total <= maxChars && (read = await reader.ReadAsync(buffer.AsMemory(total), ct)) > 0) total += read;
        return total > maxChars ? null : new string(buffer, 0, total);
    }

    static ProblemDetails TooLarge(long limit) => Problems.Details(Problems.ContentTooLarge, $"The content exceeds the limit of {limit} bytes.",
        extensions: new Dictionary<string, object?> { ["limit"] = limit });
}

/// <summary><c>If-Match</c> on document commands: it names the revision the change is based on.</summary>
public static class DocumentPreconditions
{
    /// <summary>The revision <c>If-Match</c> names, null when absent; a 400 problem when it names none we can read.</summary>
    public static (int? Revision, ProblemDetails? Problem) IfMatch(HttpRequest request)
    {
        var ifMatch = request.Headers.IfMatch.ToString();
        if (ifMatch.Length == 0) return (null, null);
        return EntityTags.Revision(ifMatch) is { } named
            ? (named, null)
            : (null, Problems.Details(Problems.MalformedRequest, $"If-Match '{ifMatch}' does not name a revision (for example \"1\")."));
    }

    /// <summary>412: the change was based on a revision the document has moved past.</summary>
    public static ProblemDetails Stale(DocumentView current, int named)
        => Problems.Details(Problems.StaleRevision,
            $"This change is based on revision {named}, but the document is at revision {current.Revision}. Fetch it, merge, and retry with If-Match: {current.ETag}.",
            extensions: new Dictionary<string, object?> { ["currentRevision"] = current.Revision, ["basedOn"] = named });

    /// <summary>
    /// The HTTP face of a use case's validation: no problem continues; a stale revision also carries the current <c>ETag</c>,
    /// so the client can fetch exactly what it must merge with.
    /// </summary>
    public static ProblemDetails Respond(ProblemDetails? problem, DocumentView current, HttpResponse response)
    {
        if (problem is null) return Wolverine.Http.WolverineContinue.NoProblems;
        if (problem.Status == StatusCodes.Status412PreconditionFailed) response.Headers.ETag = current.ETag;
        return problem;
    }
}

/// <summary>A command another adapter (a web form, the seed loader) sent was refused, for the reasons in <see cref="Problem"/>.</summary>
public sealed class CommandRejected(ProblemDetails problem) : Exception(problem.Detail)
{
    public ProblemDetails Problem { get; } = problem;

    public static void ThrowIf(ProblemDetails? problem)
    {
        if (problem is not null) throw new CommandRejected(problem);
    }

    /// <summary>The per-field messages of a validation problem (empty for other problems).</summary>
    public IDictionary<string, string[]> Errors => Problem is ValidationProblemDetails v ? v.Errors : new Dictionary<string, string[]>();
}
