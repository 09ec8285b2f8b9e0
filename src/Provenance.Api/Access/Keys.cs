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

public sealed record CreateApiKey(string? Name, List<string>? Roles);

public sealed record ApiKeySummary(Guid Id, string Name, IReadOnlyList<string> Roles, string Prefix, DateTimeOffset CreatedAt,
    string CreatedBy, DateTimeOffset? RevokedAt, string? RevokedBy)
{
    public static ApiKeySummary From(ApiKey k) => new(k.Id, k.Name, k.Roles, k.Prefix, k.CreatedAt, k.CreatedBy, k.RevokedAt, k.RevokedBy);
}

/// <summary>The only response that ever contains a key: the one that created it.</summary>
public sealed record CreatedApiKey(Guid Id, string Name, IReadOnlyList<string> Roles, string Key, string Prefix, DateTimeOffset CreatedAt);

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

        var secret = ApiKey.NewSecret();
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
        await session.SaveChangesAsync(request.HttpContext.RequestAborted);
        return Results.Created($"/api/keys/{key.Id}", new CreatedApiKey(key.Id, key.Name, key.Roles, secret, key.Prefix, key.CreatedAt));
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
        cache.Remove(Web.WebAuthentication.CacheKey(key.Id));
        return Results.NoContent();
    }
}
