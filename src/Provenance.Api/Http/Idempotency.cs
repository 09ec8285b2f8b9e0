using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marten;
using Marten.Services;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Hosting;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Provenance.Api.Http;

/// <summary>
/// <c>Idempotency-Key</c> on POST: a retry of a request with the same key (per principal) gets the first response
/// back and appends nothing. The key is claimed before the request runs; the Marten transaction that records the
/// request's events also marks the key committed, so "did it happen" is never ambiguous, even after a crash.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next, NpgsqlDataSource dataSource, IOptions<ProvenanceOptions> options,
    TimeProvider time, ILogger<IdempotencyMiddleware> logger)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const string TableName = "idempotency_requests";
    private static readonly string[] KeptHeaders = ["Location", "ETag", "Content-Type", "Repr-Digest"];

    private string Table => $"{options.Value.Schema}.{TableName}";

    public static Table SchemaObject(string schema)
    {
        var table = new Table(new PostgresqlObjectName(schema, TableName, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("principal").AsPrimaryKey();
        table.AddColumn<string>("key").AsPrimaryKey();
        table.AddColumn<string>("fingerprint").NotNull();
        table.AddColumn<string>("state").NotNull();
        table.AddColumn("status", "integer");
        table.AddColumn("location", "text");
        table.AddColumn("headers", "jsonb");
        table.AddColumn("body", "bytea");
        table.AddColumn("claimed_at", "timestamptz").NotNull();
        table.AddColumn("completed_at", "timestamptz");
        return table;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var key = context.Request.Headers[Header].ToString();
        if (!HttpMethods.IsPost(context.Request.Method) || key.Length == 0 || context.User.Identity?.IsAuthenticated != true)
        {
            await next(context);
            return;
        }
        if (key.Length > 255 || key.Any(c => c < 0x21 || c > 0x7e))
        {
            await Problems.Result(Problems.MalformedRequest, "Idempotency-Key must be 1 to 255 visible ASCII characters.").ExecuteAsync(context);
            return;
        }

        var principal = context.User.Identity.Name!;
        context.Request.EnableBuffering(bufferThreshold: 1024 * 1024, bufferLimit: RequestBodies.JsonLimit(options.Value) + 1024 * 1024);
        var fingerprint = await FingerprintAsync(context.Request);

        var claim = await ClaimAsync(principal, key, fingerprint, context.RequestAborted);
        if (claim is not null)
        {
            await claim.ExecuteAsync(context);
            return;
        }

        var scope = new IdempotencyScope(principal, key);
        IdempotencyScope.Current = scope;
        var original = context.Response.Body;
        using var captured = new MemoryStream();
        context.Response.Body = captured;
        try
        {
            await next(context);
        }
        catch
        {
            context.Response.Body = original;
            await ReleaseIfUncommittedAsync(principal, key);
            throw;
        }
        finally
        {
            IdempotencyScope.Current = null;
        }

        context.Response.Body = original;
        var body = captured.ToArray();
        if (context.Response.StatusCode >= 500)
        {
            await ReleaseIfUncommittedAsync(principal, key);
        }
        else
        {
            await CompleteAsync(principal, key, context.Response, body);
        }
        await original.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>Null when this request now owns the key; otherwise the response to send instead.</summary>
    private async Task<IResult?> ClaimAsync(string principal, string key, string fingerprint, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var insert = dataSource.CreateCommand(
            $"insert into {Table} (principal, key, fingerprint, state, claimed_at) values ($1, $2, $3, 'pending', $4) on conflict do nothing");
        insert.Parameters.AddWithValue(principal);
        insert.Parameters.AddWithValue(key);
        insert.Parameters.AddWithValue(fingerprint);
        insert.Parameters.AddWithValue(now);
        if (await insert.ExecuteNonQueryAsync(ct) == 1) return null;

        await using var select = dataSource.CreateCommand(
            $"select fingerprint, state, status, location, headers, body, claimed_at from {Table} where principal = $1 and key = $2");
        select.Parameters.AddWithValue(principal);
        select.Parameters.AddWithValue(key);
        await using var reader = await select.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return await ClaimAsync(principal, key, fingerprint, ct);

        if (reader.GetString(0) != fingerprint)
        {
            return Problems.Result(Problems.IdempotencyKeyReused,
                $"Idempotency-Key '{key}' was first used for a different request; use a new key for a new request.");
        }
        var state = reader.GetString(1);
        if (state == "completed")
        {
            var headers = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(4)) ?? [];
            return new ReplayedResponse(reader.GetInt32(2), headers, reader.IsDBNull(5) ? [] : (byte[])reader[5]);
        }
        if (state == "committed")
        {
            // The events were recorded but the process stopped before the response was kept: say where the result is.
            var location = reader.IsDBNull(3) ? null : reader.GetString(3);
            var status = reader.IsDBNull(2) ? StatusCodes.Status200OK : reader.GetInt32(2);
            var headers = location is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["Location"] = location };
            return new ReplayedResponse(status, headers, []);
        }
        var claimedAt = reader.GetFieldValue<DateTimeOffset>(6);
        await reader.DisposeAsync();
        if (now - claimedAt < options.Value.IdempotencyPendingTimeout)
        {
            return new RetryLater(Problems.Result(Problems.IdempotencyInProgress,
                $"A request with Idempotency-Key '{key}' is still being processed; retry shortly."));
        }
        // The earlier attempt died without recording anything: this attempt takes the key over.
        await using var takeOver = dataSource.CreateCommand(
            $"update {Table} set claimed_at = $3 where principal = $1 and key = $2 and state = 'pending' and claimed_at = $4");
        takeOver.Parameters.AddWithValue(principal);
        takeOver.Parameters.AddWithValue(key);
        takeOver.Parameters.AddWithValue(now);
        takeOver.Parameters.AddWithValue(claimedAt);
        return await takeOver.ExecuteNonQueryAsync(ct) == 1
            ? null
            : new RetryLater(Problems.Result(Problems.IdempotencyInProgress, $"A request with Idempotency-Key '{key}' is still being processed."));
    }

    private async Task CompleteAsync(string principal, string key, HttpResponse response, byte[] body)
    {
        var headers = KeptHeaders.Where(h => response.Headers.ContainsKey(h)).ToDictionary(h => h, h => response.Headers[h].ToString());
        await using var update = dataSource.CreateCommand(
            $"update {Table} set state = 'completed', status = $3, headers = $4::jsonb, body = $5, completed_at = now() where principal = $1 and key = $2");
        update.Parameters.AddWithValue(principal);
        update.Parameters.AddWithValue(key);
        update.Parameters.AddWithValue(response.StatusCode);
        update.Parameters.AddWithValue(JsonSerializer.Serialize(headers));
        update.Parameters.AddWithValue(body);
        await update.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private async Task ReleaseIfUncommittedAsync(string principal, string key)
    {
        try
        {
            await using var delete = dataSource.CreateCommand($"delete from {Table} where principal = $1 and key = $2 and state = 'pending'");
            delete.Parameters.AddWithValue(principal);
            delete.Parameters.AddWithValue(key);
            await delete.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException e)
        {
            logger.LogWarning(e, "Could not release Idempotency-Key {Key}; it frees itself after the pending timeout", key);
        }
    }

    private static async Task<string> FingerprintAsync(HttpRequest request)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString} {request.ContentType}\n"));
        var buffer = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0) sha.AppendData(buffer, 0, read);
        request.Body.Position = 0;
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private sealed class ReplayedResponse(int status, Dictionary<string, string> headers, byte[] body) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = status;
            foreach (var (name, value) in headers) context.Response.Headers[name] = value;
            context.Response.Headers[ReplayedHeader] = "true";
            await context.Response.Body.WriteAsync(body);
        }
    }

    private sealed class RetryLater(IResult problem) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers.RetryAfter = "1";
            return problem.ExecuteAsync(context);
        }
    }
}

/// <summary>The idempotent request in flight on this async flow, if any.</summary>
public sealed record IdempotencyScope(string Principal, string Key)
{
    private static readonly AsyncLocal<IdempotencyScope?> Flow = new();

    public static IdempotencyScope? Current
    {
        get => Flow.Value;
        set => Flow.Value = value;
    }
}

/// <summary>Marks the idempotency key committed inside the same transaction as the request's events.</summary>
public sealed class IdempotencyCommitListener(string schema) : DocumentSessionListenerBase
{
    public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        if (IdempotencyScope.Current is { } scope && session.PendingChanges.Streams().Any())
        {
            var stream = session.PendingChanges.Streams().First();
            // Every POST that appends events answers 201; a replay after a crash points at the document it changed.
            var location = $"/api/documents/{stream.Id}";
            var status = StatusCodes.Status201Created;
            session.QueueSqlCommand(
                $"update {schema}.{IdempotencyMiddleware.TableName} set state = 'committed', status = ?, location = ? where principal = ? and key = ? and state = 'pending'",
                status, location, scope.Principal, scope.Key);
        }
        return Task.CompletedTask;
    }
}
