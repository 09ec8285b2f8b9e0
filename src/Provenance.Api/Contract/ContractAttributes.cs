namespace Provenance.Api.Contract;

// What an endpoint tells the OpenAPI document that the framework cannot infer: these attributes change nothing at run time;
// OpenApiContract reads them. The endpoint's own [ProducesResponseType] attributes are its successful answers.

/// <summary>
/// A body the endpoint reads itself (it binds the command with <c>[NotBody]</c>, so Wolverine cannot see it): its schema
/// and media type. One attribute per media type (JSON and <c>multipart/form-data</c> have different shapes).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class AcceptsBodyAttribute(Type schema, string mediaType) : Attribute
{
    public Type Schema { get; } = schema;
    public string MediaType { get; } = mediaType;
    /// <summary>False when the endpoint accepts an empty request (every member has a default).</summary>
    public bool Required { get; init; } = true;
    /// <summary>Members the endpoint requires although the command declares them nullable (it binds before it validates).</summary>
    public string[] RequiredMembers { get; init; } = [];
}

/// <summary>The problem statuses the endpoint itself answers with (authentication, roles and idempotency add theirs).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ProblemResponsesAttribute(params int[] statuses) : Attribute
{
    public IReadOnlyList<int> Statuses { get; } = statuses;
}

/// <summary>Headers a response carries, by name (<see cref="OpenApiContract"/> knows what each one means).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ResponseHeadersAttribute(int status, params string[] names) : Attribute
{
    public int Status { get; } = status;
    public IReadOnlyList<string> Names { get; } = names;
}

/// <summary>The response carries stored content in whatever media type it was recorded with (<c>*/*</c>, bytes).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ProducesAnyContentAttribute(int status) : Attribute
{
    public int Status { get; } = status;
}

/// <summary>A request header the endpoint reads from the request itself.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class RequestHeaderAttribute(string name) : Attribute
{
    public string Name { get; } = name;
    public bool Required { get; init; }
}
