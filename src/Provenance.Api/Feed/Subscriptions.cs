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

namespace Provenance.Api.Feed;

/// <summary>Subscribe a URL to the feed: every matching event is POSTed to it, signed per Standard Webhooks.</summary>
public sealed record CreateSubscription(string? Url, IReadOnlyList<string>? Types, Guid? Document);

/// <summary>Pause (<c>paused</c>) or resume (<c>active</c>, also re-enables a disabled one), rotate the secret, or change the target.</summary>
public sealed record UpdateSubscription(string? Status, bool? RotateSecret, string? Url, IReadOnlyList<string>? Types);

/// <param name="OwnerKeyId">The API key that created it and may manage it (with admins); null for one created before owners were recorded: admins only.</param>
public sealed record SubscriptionResource(Guid Id, string Url, IReadOnlyList<string> Types, Guid? Document, string Status, string? StatusReason,
    int ConsecutiveFailures, DateTimeOffset CreatedAt, string CreatedBy, Guid? OwnerKeyId, DateTimeOffset UpdatedAt,
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
    public static async Task<IResult> Post(HttpRequest request, NpgsqlDataSource db, IOptions<ProvenanceOptions> options, IDocumentStore store,
        IQuerySession session, WebhookTargets targets, WebhookSecrets secrets, Identifiers ids, TimeProvider time, ClaimsPrincipal user)
    {
        var ct = request.HttpContext.RequestAborted;
        var (command, problem) = await RequestBodies.ReadJsonAsync<CreateSubscription>(request, 64 * 1024);
        if (problem is not null) return problem;

        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(command!.Url)) errors.Add("url", "'url' is required.");
        else if (await targets.RefusalAsync(command.Url.Trim(), ct) is { } refusal) errors.Add("url", refusal);
        var types = CheckTypes(command.Types, store, errors);
        if (command.Document is { } document && await session.LoadAsync<DocumentView>(document, ct) is null)
        {
            errors.Add("document", $"No document with id {document}.");
        }
        if (errors.Any) return Problems.Invalid(errors);

        var secret = WebhookSecrets.NewSecret();
        var id = ids.NewId();
        var now = time.GetUtcNow();
        var schema = options.Value.Schema;
        // Deliveries start after the newest event committed now: a new subscription is not flooded with history (replay is explicit).
        await using var insert = db.CreateCommand($"""
            insert into {schema}.{WebhookTables.Subscriptions}
                (id, url, types, document_id, secret, status, consecutive_failures, start_seq, created_at, created_by, owner_key_id, updated_at)
            values ($1, $2, $3, $4, $5, 'active', 0, (select coalesce(max(seq_id), 0) from {schema}.mt_events), $6, $7, $8, $6)
            """);
        insert.Parameters.AddWithValue(id);
        insert.Parameters.AddWithValue(command.Url!.Trim());
        insert.Parameters.AddWithValue(types.ToArray());
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)command.Document ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        insert.Parameters.AddWithValue(secrets.Protect(secret));
        insert.Parameters.AddWithValue(now);
        insert.Parameters.AddWithValue(user.Actor());
        var viewer = SubscriptionViewer.Of(user);
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)viewer.KeyId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        await insert.ExecuteNonQueryAsync(ct);

        var created = (await FindAsync(db, schema, id, viewer, ct))! with { Secret = secret };
        return Results.Created($"/api/subscriptions/{id}", created);
    }

    [WolverineGet("/api/subscriptions", OperationId = "listSubscriptions"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("List webhook subscriptions")]
    [ProducesResponseType<SubscriptionList>(200, "application/json")]
    public static async Task<IResult> GetAll(HttpContext context, NpgsqlDataSource db, IOptions<ProvenanceOptions> options, ClaimsPrincipal user)
        => Results.Ok(new SubscriptionList(await QueryAsync(db, options.Value.Schema, null, SubscriptionViewer.Of(user), context.RequestAborted)));

    [WolverineGet("/api/subscriptions/{id}", OperationId = "getSubscription"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("Read a webhook subscription")]
    [ProducesResponseType<SubscriptionResource>(200, "application/json"), ProblemResponses(404)]
    public static async Task<IResult> GetOne(Guid id, HttpContext context, NpgsqlDataSource db, IOptions<ProvenanceOptions> options, ClaimsPrincipal user)
        => await FindAsync(db, options.Value.Schema, id, SubscriptionViewer.Of(user), context.RequestAborted) is { } found ? Results.Ok(found) : NotFound(id);

    [WolverinePatch("/api/subscriptions/{id}", OperationId = "updateSubscription"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("Pause, resume, re-target or rotate the secret of a subscription")]
    [AcceptsBody(typeof(UpdateSubscription), "application/json")]
    [ProducesResponseType<SubscriptionResource>(200, "application/json"), ProblemResponses(404)]
    public static async Task<IResult> Patch(Guid id, HttpRequest request, NpgsqlDataSource db, IOptions<ProvenanceOptions> options,
        IDocumentStore store, WebhookTargets targets, WebhookSecrets secrets, WebhookSignal signal, TimeProvider time, ClaimsPrincipal user)
    {
        var ct = request.HttpContext.RequestAborted;
        var schema = options.Value.Schema;
        var viewer = SubscriptionViewer.Of(user);
        var (command, problem) = await RequestBodies.ReadJsonAsync<UpdateSubscription>(request, 64 * 1024);
        if (problem is not null) return problem;
        if (await FindAsync(db, schema, id, viewer, ct) is null) return NotFound(id);

        var errors = new FieldErrors();
        if (command!.Status is not null and not SubscriptionStatus.Active and not SubscriptionStatus.Paused)
        {
            errors.Add("status", "'status' must be 'active' (resume) or 'paused'.");
        }
        if (command.Url is not null && await targets.RefusalAsync(command.Url.Trim(), ct) is { } refusal) errors.Add("url", refusal);
        var types = command.Types is null ? null : CheckTypes(command.Types, store, errors);
        if (command.Status is null && command.RotateSecret is not true && command.Url is null && command.Types is null)
        {
            errors.Add("status", "Send at least one of 'status', 'rotateSecret', 'url' or 'types'.");
        }
        if (errors.Any) return Problems.Invalid(errors);

        var secret = command.RotateSecret is true ? WebhookSecrets.NewSecret() : null;
        await using var update = db.CreateCommand($"""
            update {schema}.{WebhookTables.Subscriptions} set
                status = coalesce($2, status),
                status_reason = case when $2 is null then status_reason else null end,
                consecutive_failures = case when $2 = 'active' then 0 else consecutive_failures end,
                secret = coalesce($3, secret), url = coalesce($4, url), types = coalesce($5, types), updated_at = $6
            where id = $1 and {SubscriptionViewer.Sees("owner_key_id", 7)}
            """);
        update.Parameters.AddWithValue(id);
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)command.Status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = secret is null ? DBNull.Value : secrets.Protect(secret), NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)command.Url?.Trim() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)types?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        update.Parameters.AddWithValue(time.GetUtcNow());
        viewer.Bind(update);
        if (await update.ExecuteNonQueryAsync(ct) == 0) return NotFound(id);
        if (command.Status == SubscriptionStatus.Active) signal.Wake();

        var updated = (await FindAsync(db, schema, id, viewer, ct))!;
        return Results.Ok(secret is null ? updated : updated with { Secret = secret });
    }

    [WolverineDelete("/api/subscriptions/{id}", OperationId = "deleteSubscription"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Webhooks), EndpointSummary("Delete a webhook subscription")]
    [ProducesResponseType(204), ProblemResponses(404)]
    public static async Task<IResult> Delete(Guid id, HttpContext context, NpgsqlDataSource db, IOptions<ProvenanceOptions> options, ClaimsPrincipal user)
    {
        var schema = options.Value.Schema;
        // Its deliveries go with it; the dispatcher joins on the subscription, so a row the daemon adds concurrently is never sent.
        await using var delete = db.CreateCommand($"""
            with target as (select id from {schema}.{WebhookTables.Subscriptions} where id = $1 and {SubscriptionViewer.Sees("owner_key_id", 2)}),
                 gone as (delete from {schema}.{WebhookTables.Deliveries} where subscription_id in (select id from target))
            delete from {schema}.{WebhookTables.Subscriptions} where id in (select id from target)
            """);
        delete.Parameters.AddWithValue(id);
        SubscriptionViewer.Of(user).Bind(delete);
        return await delete.ExecuteNonQueryAsync(context.RequestAborted) == 0 ? NotFound(id) : Results.NoContent();
    }

    public static IResult NotFound(Guid id) => Problems.Result(Problems.NotFound, $"No webhook subscription with id {id}.");

    private static List<string> CheckTypes(IReadOnlyList<string>? types, IDocumentStore store, FieldErrors errors)
    {
        var list = (types ?? []).Select(t => t?.Trim() ?? "").Distinct(StringComparer.Ordinal).ToList();
        if (list.Count > MaxSubscriptionTypes) errors.Add("types", $"At most {MaxSubscriptionTypes} types.");
        FeedRequest.CheckTypes("types", list, store, errors);
        return list;
    }

    /// <summary>The subscription, or null when it does not exist or <paramref name="viewer"/> may not see it (the two are not told apart).</summary>
    public static async Task<SubscriptionResource?> FindAsync(NpgsqlDataSource db, string schema, Guid id, SubscriptionViewer viewer, CancellationToken ct)
        => (await QueryAsync(db, schema, id, viewer, ct)).SingleOrDefault();

    private static async Task<List<SubscriptionResource>> QueryAsync(NpgsqlDataSource db, string schema, Guid? id, SubscriptionViewer viewer,
        CancellationToken ct)
    {
        await using var command = db.CreateCommand($"""
            select id, url, types, document_id, status, status_reason, consecutive_failures, created_at, created_by, owner_key_id, updated_at
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
                reader.GetFieldValue<DateTimeOffset>(10)));
        }
        return list;
    }
}
