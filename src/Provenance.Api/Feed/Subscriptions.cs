using System.Security.Claims;
using System.Text.Json.Serialization;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Feed;

/// <summary>Subscribe a URL to the feed: every matching event is POSTed to it, signed per Standard Webhooks.</summary>
public sealed record CreateSubscription(string? Url, IReadOnlyList<string>? Types, Guid? Document);

/// <summary>Pause (<c>paused</c>) or resume (<c>active</c>, also re-enables a disabled one), rotate the secret, or change the target.</summary>
public sealed record UpdateSubscription(string? Status, bool? RotateSecret, string? Url, IReadOnlyList<string>? Types);

/// <param name="OwnerKeyId">The API key that created it and may manage it (with admins); null for one created before owners were recorded: admins only.</param>
/// <param name="PreviousSecretExpiresAt">After a rotation: until when the replaced secret still signs deliveries beside the new one.</param>
public sealed record SubscriptionResource(Guid Id, string Url, IReadOnlyList<string> Types, Guid? Document, string Status, string? StatusReason,
    int ConsecutiveFailures, DateTimeOffset CreatedAt, string CreatedBy, Guid? OwnerKeyId, DateTimeOffset UpdatedAt,
    DateTimeOffset? PreviousSecretExpiresAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret = null);

public sealed record SubscriptionList(IReadOnlyList<SubscriptionResource> Items);

/// <summary>
/// Who asks about subscriptions: an admin sees and manages all of them, any other key only those it created. Every query of a
/// subscription goes through <see cref="Sees"/>, so another integrator's subscription answers exactly like one that does not exist.
/// </summary>
public sealed record SubscriptionViewer(Guid? KeyId, bool IsAdmin)
{
    public static SubscriptionViewer Of(ClaimsPrincipal user) => new(
        Guid.TryParse(user.FindFirst(ApiKeyAuthentication.KeyIdClaim)?.Value, out var keyId) ? keyId : null, user.IsInRole(Roles.Admin));

    /// <summary>SQL that holds when the viewer may see the subscription; binds parameters <c>$first</c> and <c>$first+1</c> (see <see cref="Bind"/>).</summary>
    public static string Sees(string ownerColumn, int first) => $"(${first}::boolean or {ownerColumn} = ${first + 1}::uuid)";

    public void Bind(NpgsqlCommand command)
    {
        command.Parameters.AddWithValue(IsAdmin);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)KeyId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
    }
}

public static class SubscriptionStatus
{
    public const string Active = "active";
    public const string Paused = "paused";
    public const string Disabled = "disabled";
}

public static class SubscriptionsEndpoint
{
    public const int MaxSubscriptionTypes = 50;

    [WolverinePost("/api/subscriptions", OperationId = "createSubscription"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("Subscribe a URL to the change feed (its secret is shown once)")]
    [AcceptsBody(typeof(CreateSubscription), "application/json", RequiredMembers = ["url"])]
    [ProducesResponseType<SubscriptionResource>(201, "application/json"), ResponseHeaders(201, "Location")]
    public static async Task<IResult> Post(HttpRequest request, WebhookSubscriptions subscriptions, ClaimsPrincipal user)
    {
        var (command, problem) = await RequestBodies.ReadJsonAsync<CreateSubscription>(request, 64 * 1024);
        if (problem is not null) return problem;
        var (created, errors) = await subscriptions.CreateAsync(command!, user, request.HttpContext.RequestAborted);
        return created is null ? Problems.Invalid(errors) : Results.Created($"/api/subscriptions/{created.Id}", created);
    }

    [WolverineGet("/api/subscriptions", OperationId = "listSubscriptions"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("List webhook subscriptions")]
    [ProducesResponseType<SubscriptionList>(200, "application/json")]
    public static async Task<IResult> GetAll(HttpContext context, Archives archives, IOptions<ProvenanceOptions> options, ClaimsPrincipal user)
        => Results.Ok(new SubscriptionList(await QueryAsync(archives.Current.DataSource, options.Value.Schema, null, SubscriptionViewer.Of(user), context.RequestAborted)));

    [WolverineGet("/api/subscriptions/{id}", OperationId = "getSubscription"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("Read a webhook subscription")]
    [ProducesResponseType<SubscriptionResource>(200, "application/json"), ProblemResponses(404)]
    public static async Task<IResult> GetOne(Guid id, HttpContext context, Archives archives, IOptions<ProvenanceOptions> options, ClaimsPrincipal user)
        => await FindAsync(archives.Current.DataSource, options.Value.Schema, id, SubscriptionViewer.Of(user), context.RequestAborted) is { } found ? Results.Ok(found) : NotFound(id);

    [WolverinePatch("/api/subscriptions/{id}", OperationId = "updateSubscription"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("Pause, resume, re-target or rotate the secret of a subscription")]
    [AcceptsBody(typeof(UpdateSubscription), "application/json")]
    [ProducesResponseType<SubscriptionResource>(200, "application/json"), ProblemResponses(404)]
    public static async Task<IResult> Patch(Guid id, HttpRequest request, WebhookSubscriptions subscriptions, ClaimsPrincipal user)
    {
        var (command, problem) = await RequestBodies.ReadJsonAsync<UpdateSubscription>(request, 64 * 1024);
        if (problem is not null) return problem;
        var (updated, errors) = await subscriptions.UpdateAsync(id, command!, SubscriptionViewer.Of(user), request.HttpContext.RequestAborted);
        return updated is not null ? Results.Ok(updated) : errors.Any ? Problems.Invalid(errors) : NotFound(id);
    }

    [WolverineDelete("/api/subscriptions/{id}", OperationId = "deleteSubscription"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("Delete a webhook subscription")]
    [ProducesResponseType(204), ProblemResponses(404)]
    public static async Task<IResult> Delete(Guid id, HttpContext context, Archives archives, IOptions<ProvenanceOptions> options, ClaimsPrincipal user)
    {
        var db = archives.Current.DataSource;
        var schema = options.Value.Schema;
        // Its deliveries go with it; the dispatcher joins on the subscription, so a row the daemon adds concurrently is never sent.
        await using var delete = db.CreateCommand($"""
            with target as (select id from {schema}.{WebhookTables.Subscriptions} where id = $1 and {SubscriptionViewer.Sees("owner_key_id", 2)}),
                 gone as (delete from {schema}.{WebhookTables.Deliveries} where subscription_id in (select id from target)),
                 attempts as (delete from {schema}.{WebhookTables.Attempts} where subscription_id in (select id from target))
            delete from {schema}.{WebhookTables.Subscriptions} where id in (select id from target)
            """);
        delete.Parameters.AddWithValue(id);
        SubscriptionViewer.Of(user).Bind(delete);
        return await delete.ExecuteNonQueryAsync(context.RequestAborted) == 0 ? NotFound(id) : Results.NoContent();
    }

    public static IResult NotFound(Guid id) => Problems.Result(Problems.NotFound, $"No webhook subscription with id {id}.");

    public static List<string> CheckTypes(IReadOnlyList<string>? types, IDocumentStore store, FieldErrors errors)
    {
        var list = (types ?? []).Select(t => t?.Trim() ?? "").Distinct(StringComparer.Ordinal).ToList();
        if (list.Count > MaxSubscriptionTypes) errors.Add("types", $"At most {MaxSubscriptionTypes} types.");
        FeedRequest.CheckTypes("types", list, store, errors);
        return list;
    }

    /// <summary>The subscription, or null when it does not exist or <paramref name="viewer"/> may not see it (the two are not told apart).</summary>
    public static async Task<SubscriptionResource?> FindAsync(NpgsqlDataSource db, string schema, Guid id, SubscriptionViewer viewer, CancellationToken ct)
        => (await QueryAsync(db, schema, id, viewer, ct)).SingleOrDefault();

    public static async Task<List<SubscriptionResource>> QueryAsync(NpgsqlDataSource db, string schema, Guid? id, SubscriptionViewer viewer,
        CancellationToken ct)
    {
        await using var command = db.CreateCommand($"""
            select id, url, types, document_id, status, status_reason, consecutive_failures, created_at, created_by, owner_key_id, updated_at,
                   previous_secret_expires_at
            from {schema}.{WebhookTables.Subscriptions}
            where ($1::uuid is null or id = $1) and {SubscriptionViewer.Sees("owner_key_id", 2)}
            order by created_at, id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)id ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        viewer.Bind(command);
        var list = new List<SubscriptionResource>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new SubscriptionResource(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<string[]>(2),
                reader.IsDBNull(3) ? null : reader.GetGuid(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetInt32(6), reader.GetFieldValue<DateTimeOffset>(7), reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetGuid(9),
                reader.GetFieldValue<DateTimeOffset>(10), reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11)));
        }
        return list;
    }
}
