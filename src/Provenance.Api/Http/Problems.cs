using Microsoft.AspNetCore.Mvc;

namespace Provenance.Api.Http;

/// <summary>
/// Every error the API returns is RFC 9457 <c>application/problem+json</c> with one of these stable <c>type</c> URIs.
/// Clients branch on <c>type</c>; <c>title</c> and <c>detail</c> are for people.
/// </summary>
public static class Problems
{
    public const string TypePrefix = "urn:provenance:problem:";

    public static readonly ProblemKind Validation = new("validation", 422, "The request is not valid.");
    public static readonly ProblemKind MalformedJson = new("malformed-json", 400, "The request body is not valid JSON.");
    public static readonly ProblemKind MalformedRequest = new("malformed-request", 400, "The request is malformed.");
    public static readonly ProblemKind UnsupportedMediaType = new("unsupported-media-type", 415, "The request content type is not supported.");
    public static readonly ProblemKind ContentTooLarge = new("content-too-large", 413, "The content is larger than the configured limit.");
    public static readonly ProblemKind NotFound = new("not-found", 404, "The resource does not exist.");
    public static readonly ProblemKind Unauthenticated = new("unauthenticated", 401, "A valid API key is required.");
    public static readonly ProblemKind Forbidden = new("forbidden", 403, "The API key's roles do not allow this.");
    public static readonly ProblemKind PreconditionRequired = new("precondition-required", 428, "This request must name the revision it is based on.");
    public static readonly ProblemKind StaleRevision = new("stale-revision", 412, "The document has moved on since the named revision.");
    public static readonly ProblemKind UnchangedContent = new("unchanged-content", 422, "The new content is identical to the current revision.");
    public static readonly ProblemKind UnknownRevision = new("unknown-revision", 422, "The named revision does not exist.");
    public static readonly ProblemKind IdempotencyKeyReused = new("idempotency-key-reused", 422, "The Idempotency-Key was already used for a different request.");
    public static readonly ProblemKind IdempotencyInProgress = new("idempotency-in-progress", 409, "A request with this Idempotency-Key is still being processed.");
    public static readonly ProblemKind Conflict = new("conflict", 409, "The request conflicts with the current state.");
    public static readonly ProblemKind NotAcceptable = new("not-acceptable", 406, "None of the accepted media types or the requested format can be produced.");
    public static readonly ProblemKind LedgerBehind = new("ledger-behind", 503, "The ledger has not reached the requested events yet.");
    public static readonly ProblemKind DatabaseUnavailable = new("database-unavailable", 503, "The ledger's database is unavailable.");
    public static readonly ProblemKind NoCheckpoint = new("no-checkpoint", 404, "No ledger checkpoint has been signed yet.");
    public static readonly ProblemKind LegalHold = new("legal-hold", 409, "A legal hold forbids erasing or withdrawing this document.");
    public static readonly ProblemKind Redacted = new("redacted", 410, "The content was erased under a legal basis.");
    // RFC 7725: 451 Unavailable For Legal Reasons.
    public static readonly ProblemKind Withdrawn = new("withdrawn", 451, "The document was withdrawn from view for legal reasons.");
    // 500, not 4xx or 503: the fault is in the data the server holds; nothing the client changes or retries makes it go away.
    public static readonly ProblemKind FixityFailed = new("fixity-failed", 500, "Stored content no longer matches its digest.");
    public static readonly ProblemKind LedgerMismatch = new("ledger-mismatch", 500, "A stored event no longer matches the leaf the ledger committed.");

    public static IResult Result(ProblemKind kind, string detail, IDictionary<string, string[]>? errors = null,
        IDictionary<string, object?>? extensions = null)
        => Results.Problem(Details(kind, detail, errors, extensions));

    public static ProblemDetails Details(ProblemKind kind, string detail, IDictionary<string, string[]>? errors = null,
        IDictionary<string, object?>? extensions = null)
    {
        var problem = errors is { Count: > 0 }
            ? new ValidationProblemDetails(errors)
            : new ProblemDetails();
        problem.Type = kind.Type;
        problem.Title = kind.Title;
        problem.Status = kind.Status;
        problem.Detail = detail;
        foreach (var (key, value) in extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[key] = value;
        }
        return problem;
    }

    /// <summary>422 with per-field errors; 413 when the only trouble is content over the size limit.</summary>
    public static IResult Invalid(FieldErrors errors) => Results.Problem(InvalidDetails(errors));

    public static ProblemDetails InvalidDetails(FieldErrors errors)
        => errors.ContentLimitExceeded is { } limit
            ? Details(ContentTooLarge, errors.Summary(), errors.ToDictionary(), new Dictionary<string, object?> { ["limit"] = limit })
            : Details(Validation, errors.Summary(), errors.ToDictionary());

    public static IResult DocumentNotFound(Guid id) => Result(NotFound, $"No document with id {id}.");
}

public sealed record ProblemKind(string Slug, int Status, string Title)
{
    public string Type => Problems.TypePrefix + Slug;
}

/// <summary>Per-field validation messages, collected before anything is written.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    /// <summary>Set when content was over the size limit (a 413, not a 422).</summary>
    public long? ContentLimitExceeded { get; set; }

    public FieldErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }
        list.Add(message);
        return this;
    }

    /// <summary>Every message of <paramref name="other"/>, its field names behind <paramref name="prefix"/> (one item of a list: <c>documents[2].</c>).</summary>
    public FieldErrors AddAll(string prefix, IDictionary<string, string[]> other)
    {
        foreach (var (field, messages) in other)
        {
            foreach (var message in messages) Add(prefix + field, message);
        }
        return this;
    }

    /// <summary>A required text field: present, not blank, within <paramref name="maxLength"/>, without control characters
    /// (<see cref="TextRules"/>; TAB, LF and CR only when <paramref name="multiLine"/>).</summary>
    public void Require(string field, string? value, int maxLength, bool multiLine = false)
    {
        if (string.IsNullOrWhiteSpace(value)) Add(field, $"'{field}' is required.");
        else Optional(field, value, maxLength, multiLine);
    }

    public void Optional(string field, string? value, int maxLength, bool multiLine = false)
    {
        if (value is null) return;
        if (value.Length > maxLength) Add(field, $"'{field}' must be at most {maxLength} characters.");
        else if (TextRules.Problem(field, value, multiLine) is { } message) Add(field, message);
    }

    public IDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public string Summary() => string.Join(" ", _errors.SelectMany(e => e.Value));
}
