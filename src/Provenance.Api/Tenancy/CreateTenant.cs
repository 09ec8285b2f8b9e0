using System.Security.Claims;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Access;
using Provenance.Api.Contract;
using Provenance.Api.Http;
using Wolverine.Http;

namespace Provenance.Api.Tenancy;

/// <summary>A new archive: its tenant id, the name people see, and the configured server (<c>Provenance:Tenancy:Servers</c>) to place it on.</summary>
public sealed record CreateTenant(string? Id, string? DisplayName, string? Server);

/// <summary>An archive as the system administrator sees it. <see cref="AdminKey"/> only in the answer to its creation.</summary>
public sealed record TenantResource(string Id, string DisplayName, string Server, string Database, string Origin, string LogPath,
    DateTimeOffset CreatedAt, string CreatedBy, bool Disabled, DateTimeOffset? DisabledAt, string? DisabledBy)
{
    /// <summary>The archive's first key (role admin), shown once.</summary>
    public string? AdminKey { get; init; }

    public static TenantResource Of(ArchiveRecord r, Archives archives) => new(r.Id, r.DisplayName, r.Server, r.Database, archives.OriginOf(r.Id),
        r.Id == Tenants.Default ? "/log/" : $"/t/{r.Id}/log/", r.CreatedAt, r.CreatedBy, r.DisabledAt is not null, r.DisabledAt, r.DisabledBy);
}

/// <summary>
/// <c>/api/tenants</c> (CONTRACTS.md "Tenants"): the system key creates an archive on a named server (its database, schema, master-table
/// row and first admin key), lists the archives and disables one. No archive key reaches these, and the system key reaches nothing else.
/// </summary>
public static class TenantsEndpoints
{
    public static FieldErrors ErrorsIn(CreateTenant? command, TenancyOptions tenancy)
    {
        var errors = new FieldErrors();
        if (command is null) return errors.Add("body", "A JSON body with 'id', 'displayName' and 'server' is required.");
        if (string.IsNullOrEmpty(command.Id)) errors.Add("id", "'id' is required.");
        else if (!Tenants.Id.IsMatch(command.Id))
            errors.Add("id", "'id' is a lowercase letter, then up to 30 lowercase letters, digits or '-' (it becomes a DNS label of the log's origin).");
        else if (command.Id == Tenants.Default) errors.Add("id", $"'{Tenants.Default}' is the installation's own archive.");
        errors.Require("displayName", command.DisplayName, 200);
        if (string.IsNullOrEmpty(command.Server)) errors.Add("server", "'server' is required: the name of a configured server.");
        else if (!tenancy.Names.Contains(command.Server))
            errors.Add("server", $"No server named '{Shown(command.Server)}'; configured: {string.Join(", ", tenancy.Names)} (Provenance:Tenancy:Servers).");
        return errors;
    }

    static string Shown(string value) => new(value.Take(40).Select(c => char.IsControl(c) ? '\uFFFD' : c).ToArray());

    [WolverinePost("/api/tenants", OperationId = "createTenant"), Authorize(Roles = Roles.System)]
    [Tags(ApiTags.Tenants), EndpointSummary("Create an archive on a server (system key; its first admin key is shown once)")]
    [AcceptsBody(typeof(CreateTenant), "application/json", RequiredMembers = ["id", "displayName", "server"])]
    [ProducesResponseType<TenantResource>(201, "application/json"), ResponseHeaders(201, "Location"), ProblemResponses(409)]
    public static async Task<IResult> Create(HttpRequest request, ArchiveDirectory directory, ClaimsPrincipal user)
    {
        var (command, problem) = await RequestBodies.ReadJsonAsync<CreateTenant>(request, 16 * 1024);
        if (problem is not null) return problem;
        var errors = ErrorsIn(command, directory.Tenancy);
        if (errors.Any) return Problems.Invalid(errors);
        var (created, conflict) = await directory.CreateAsync(command!, user.Actor(), request.HttpContext.RequestAborted);
        return conflict is not null ? Problems.Result(Problems.Conflict, conflict) : Results.Created($"/api/tenants/{created!.Id}", created);
    }

    [WolverineGet("/api/tenants", OperationId = "listTenants"), Authorize(Roles = Roles.System)]
    [Tags(ApiTags.Tenants), EndpointSummary("List the archives (system key)")]
    [ProducesResponseType<IReadOnlyList<TenantResource>>(200, "application/json")]
    public static Task<IReadOnlyList<TenantResource>> List(ArchiveDirectory directory, CancellationToken ct) => directory.ListAsync(ct);

    [WolverineGet("/api/tenants/{id}", OperationId = "getTenant"), Authorize(Roles = Roles.System)]
    [Tags(ApiTags.Tenants), EndpointSummary("Read an archive (system key)")]
    [ProducesResponseType<TenantResource>(200, "application/json"), ProblemResponses(404)]
    public static async Task<IResult> Get(string id, ArchiveDirectory directory, CancellationToken ct)
        => await directory.FindAsync(id, ct) is { } found ? Results.Ok(found) : NotFound(id);

    /// <summary>
    /// Disables an archive: its keys stop working, its public log and pages answer 404, its agents stop (Wolverine stops those of a
    /// database no longer listed). Nothing is deleted: the database stays on its server.
    /// </summary>
    [WolverinePost("/api/tenants/{id}/disable", OperationId = "disableTenant"), Authorize(Roles = Roles.System)]
    [Tags(ApiTags.Tenants), EndpointSummary("Disable an archive (system key; its data stays in its database)")]
    [ProducesResponseType<TenantResource>(200, "application/json"), ProblemResponses(404, 409)]
    public static async Task<IResult> Disable(string id, ArchiveDirectory directory, ClaimsPrincipal user, CancellationToken ct)
    {
        if (id == Tenants.Default) return Problems.Result(Problems.Conflict, $"'{Tenants.Default}' is the installation's own archive; it cannot be disabled.");
        return await directory.DisableAsync(id, user.Actor(), ct) is { } disabled ? Results.Ok(disabled) : NotFound(id);
    }

    static IResult NotFound(string id) => Problems.Result(Problems.NotFound, $"No archive '{Shown(id)}'.");
}
