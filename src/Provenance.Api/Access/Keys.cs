using System.Security.Claims;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Caching.Memory;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Access;

/// <summary>A new key; <c>DisplayName</c> and <c>Identifier</c> (ORCID or ISNI) describe the person whose login <c>Name</c> is.</summary>
public sealed record CreateApiKey(string? Name, List<string>? Roles, string? DisplayName = null, string? Identifier = null);

/// <summary>What the people directory says of a login: pages, PROV and PREMIS use it.</summary>
public sealed record DescribePerson(string? DisplayName, string? Identifier);

public sealed record ApiKeySummary(Guid Id, string Name, IReadOnlyList<string> Roles, string Prefix, DateTimeOffset CreatedAt,
    string CreatedBy, DateTimeOffset? RevokedAt, string? RevokedBy)
{
    public static ApiKeySummary From(ApiKey k) => new(k.Id, k.Name, k.Roles, k.Prefix, k.CreatedAt, k.CreatedBy, k.RevokedAt, k.RevokedBy);
}

/// <summary>The only response that ever contains a key: the one that created it.</summary>
public sealed record CreatedApiKey(Guid Id, string Name, IReadOnlyList<string> Roles, string Key, string Prefix, DateTimeOffset CreatedAt,
    string? DisplayName = null, string? Identifier = null);

public static class KeysEndpoints
{
    public static FieldErrors ErrorsIn(CreateApiKey? command)
    {
        var errors = new FieldErrors();
        if (command is null) return errors.Add("body", "A JSON body with 'name' and 'roles' is required.");
        errors.Require("name", command.Name, 100);
        if (command.Name is { } name && name.Any(char.IsControl)) errors.Add("name", "'name' must not contain control characters.");
        if (command.Roles is not { Count: > 0 }) errors.Add("roles", $"'roles' must name at least one of: {string.Join(", ", Roles.All)}.");
        foreach (var role in command.Roles ?? [])
        {
            if (!Roles.All.Contains(role)) errors.Add("roles", $"'{role}' is not a role; roles are {string.Join(", ", Roles.All)}.");
        }
        PersonIdentifiers.Check(errors, command.DisplayName, command.Identifier);
        return errors;
    }

    [WolverinePost("/api/keys", OperationId = "createApiKey"), Authorize(Roles = Roles.Admin)]
    [Tags(ApiTags.Keys), EndpointSummary("Create an API key (its secret is shown once)")]
    [AcceptsBody(typeof(CreateApiKey), "application/json", RequiredMembers = ["name", "roles"])]
    [ProducesResponseType<CreatedApiKey>(201, "application/json"), ResponseHeaders(201, "Location")]
    public static async Task<IResult> Create(HttpRequest request, IDocumentSession session, ClaimsPrincipal user, TimeProvider time, Identifiers ids)
    {
        var (command, problem) = await RequestBodies.ReadJsonAsync<CreateApiKey>(request, 64 * 1024);
        if (problem is not null) return problem;
        var errors = ErrorsIn(command);
        if (errors.Any) return Problems.Invalid(errors);

        var secret = ApiKey.NewSecret(Tenancy.CurrentArchive.Id);
        var key = new ApiKey
        {
            Id = ids.NewId(),
            Name = command!.Name!.Trim(),
            Roles = command.Roles!.Distinct().ToList(),
            KeyHash = ApiKey.Hash(secret),
            Prefix = ApiKey.PrefixOf(secret),
            CreatedAt = time.GetUtcNow(),
            CreatedBy = user.Actor(),
        };
        session.Store(key);
        var identifier = command.Identifier is null ? null : PersonIdentifiers.Normalize(command.Identifier).Uri;
        await PeopleDirectory.DescribeAsync(session, key.Name, command.DisplayName, identifier, request.HttpContext.RequestAborted);
        await session.SaveChangesAsync(request.HttpContext.RequestAborted);
        return Results.Created($"/api/keys/{key.Id}", new CreatedApiKey(key.Id, key.Name, key.Roles, secret, key.Prefix, key.CreatedAt,
            command.DisplayName?.Trim(), identifier));
    }

    /// <summary>Names the person behind a login (a key's name or a seeded actor), for every page and report that shows it.</summary>
    [WolverinePut("/api/people/{login}", OperationId = "describePerson"), Authorize(Roles = Roles.Admin)]
    [Tags(ApiTags.People), EndpointSummary("Name the person behind a login")]
    [AcceptsBody(typeof(DescribePerson), "application/json")]
    [ProducesResponseType<ReportAgent>(200, "application/json")]
    public static async Task<IResult> Describe(string login, HttpRequest request, IDocumentSession session)
    {
        var (command, problem) = await RequestBodies.ReadJsonAsync<DescribePerson>(request, 16 * 1024);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        if (login.Length > 100 || TextRules.Problem("login", login, multiLine: false) is not null) errors.Add("login", "The login must be at most 100 characters without control characters.");
        if (command is null || (command.DisplayName is null && command.Identifier is null))
            errors.Add("body", "A JSON body with 'displayName' and/or 'identifier' is required.");
        var identifier = PersonIdentifiers.Check(errors, command?.DisplayName, command?.Identifier);
        if (errors.Any) return Problems.Invalid(errors);
        await PeopleDirectory.DescribeAsync(session, login, command!.DisplayName, identifier, request.HttpContext.RequestAborted);
        await session.SaveChangesAsync(request.HttpContext.RequestAborted);
        var person = await session.LoadAsync<Person>(login, request.HttpContext.RequestAborted);
        return Results.Ok(new ReportAgent(login, person!.DisplayName, person.Identifier));
    }

    [WolverineGet("/api/people", OperationId = "listPeople"), Authorize]
    [Tags(ApiTags.People), EndpointSummary("List the people behind logins")]
    [ProducesResponseType<IReadOnlyList<ReportAgent>>(200, "application/json")]
    public static async Task<IReadOnlyList<ReportAgent>> People(IQuerySession session, CancellationToken ct)
    {
        var people = await session.Query<Person>().OrderBy(p => p.Id).ToListAsync(ct);
        return people.Select(p => new ReportAgent(p.Id, p.DisplayName, p.Identifier)).ToList();
    }

    [WolverineGet("/api/keys", OperationId = "listApiKeys"), Authorize(Roles = Roles.Admin)]
    [Tags(ApiTags.Keys), EndpointSummary("List API keys")]
    [ProducesResponseType<IReadOnlyList<ApiKeySummary>>(200, "application/json")]
    public static async Task<IReadOnlyList<ApiKeySummary>> List(IQuerySession session, CancellationToken ct)
    {
        var keys = await session.Query<ApiKey>().OrderBy(k => k.CreatedAt).ToListAsync(ct);
        return keys.Select(ApiKeySummary.From).ToList();
    }

    [WolverineDelete("/api/keys/{id}", OperationId = "revokeApiKey"), Authorize(Roles = Roles.Admin)]
    [Tags(ApiTags.Keys), EndpointSummary("Revoke an API key")]
    [ProducesResponseType(204), ProblemResponses(404)]
    public static async Task<IResult> Revoke(Guid id, IDocumentSession session, ClaimsPrincipal user, TimeProvider time, IMemoryCache cache,
        CancellationToken ct)
    {
        var key = await session.LoadAsync<ApiKey>(id, ct);
        if (key is null) return Problems.Result(Problems.NotFound, $"No API key with id {id}.");
        if (key.RevokedAt is null)
        {
            key.RevokedAt = time.GetUtcNow();
            key.RevokedBy = user.Actor();
            session.Store(key);
            await session.SaveChangesAsync(ct);
        }
        cache.Remove(ApiKeyAuthentication.CacheKey(key.KeyHash));
        cache.Remove(Web.WebAuthentication.CacheKey(Tenancy.CurrentArchive.Id, key.Id));
        return Results.NoContent();
    }
}
