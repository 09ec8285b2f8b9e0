using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;
using Marten;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Hosting;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;
using Wolverine.Http;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Http;

/// <summary>
/// Marks a command endpoint whose response is kept under the client's <c>Idempotency-Key</c>: a retry with the same key and
/// the same request gets the first response back (<c>Idempotent-Replayed: true</c>) and appends nothing.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IdempotentAttribute : Attribute;

/// <summary>The idempotent request in flight, as the outer middleware admitted it: who, which key, which request bytes.</summary>
public sealed record IdempotentRequest(string Principal, string Key, string Fingerprint);

/// <summary>
/// How <c>Idempotency-Key</c> works, in two halves that never hold the key outside the command's own transaction:
/// <list type="number">
/// <item><see cref="IdempotencyMiddleware"/> (before the endpoint) answers a key already answered — the stored response, or 422
/// for a different request — and otherwise admits the request as an <see cref="IdempotentRequest"/> feature;</item>
/// <item><see cref="IdempotencyPolicy"/> makes every <see cref="IdempotentAttribute"/> endpoint call <see cref="Enlist"/> just
/// before Marten commits: the response row is inserted in the same transaction as the events it answers for.</item>
/// </list>
/// A twin racing the first request commits nothing (its events conflict with the first's, or its response row does); the
/// middleware then answers it with the first's response. Nothing is kept for a request that fails, so its retry runs again.
/// </summary>
public static class IdempotentResponses
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const string TableName = "idempotent_responses";
    static readonly string[] KeptHeaders = ["Location", "ETag", "Content-Type", "Repr-Digest"];

    public static Table SchemaObject(string schema)
    {
        var table = new Table(new PostgresqlObjectName(schema, TableName, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("principal").AsPrimaryKey();
        table.AddColumn<string>("key").AsPrimaryKey();
        table.AddColumn<string>("fingerprint").NotNull();
        table.AddColumn<int>("status").NotNull();
        table.AddColumn("headers", "jsonb").NotNull();
        table.AddColumn("body", "bytea").NotNull();
        table.AddColumn("completed_at", "timestamptz").NotNull();
        return table;
    }

    /// <summary>Generated into each idempotent endpoint just before <c>SaveChangesAsync</c>: the response joins the commit.</summary>
    public static void Enlist(HttpContext context, IDocumentSession session, object response)
    {
        if (context.Features.Get<IdempotentRequest>() is not { } request) return;
        if (response is IHttpAware aware) aware.Apply(context);
        var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var body = JsonSerializer.SerializeToUtf8Bytes(response, response.GetType(), json);
        var headers = KeptHeaders.Where(h => context.Response.Headers.ContainsKey(h))
            .ToDictionary(h => h, h => context.Response.Headers[h].ToString());
        headers["Content-Type"] = "application/json; charset=utf-8";
        var schema = session.DocumentStore.Options.DatabaseSchemaName;
        session.QueueSqlCommand(
            $"insert into {schema}.{TableName} (principal, key, fingerprint, status, headers, body, completed_at) values (?, ?, ?, ?, ?::jsonb, ?, ?)",
            request.Principal, request.Key, request.Fingerprint, context.Response.StatusCode, JsonSerializer.Serialize(headers), body,
            context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
    }
}

/// <summary>Adds the <see cref="IdempotentResponses.Enlist"/> call to every <see cref="IdempotentAttribute"/> endpoint, before its commit.</summary>
public sealed class IdempotencyPolicy : IHttpPolicy
{
    public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains.Where(c => c.Method.Method.IsDefined(typeof(IdempotentAttribute), false)))
        {
            var commit = chain.Postprocessors.FindIndex(f => f is MethodCall { Method.Name: nameof(IDocumentSession.SaveChangesAsync) });
            if (commit < 0)
            {
                throw new InvalidOperationException($"{chain.Description} is [Idempotent] but does not commit through a Marten session.");
            }
            var enlist = new MethodCall(typeof(IdempotentResponses), nameof(IdempotentResponses.Enlist));
            enlist.Arguments[2] = chain.ResourceVariable ?? chain.Method.Creates.First();
            chain.Postprocessors.Insert(commit, enlist);
            chain.WithMetadata(new IdempotentAttribute());
        }
    }
}

/// <summary>The outer half: answers keys already answered, admits new ones, and answers a twin that lost the race.</summary>
public sealed class IdempotencyMiddleware(RequestDelegate next, Archives archives, IOptions<ProvenanceOptions> options)
{
    /// <summary>The current archive's database (<see cref="CurrentArchive"/>).</summary>
    NpgsqlDataSource DataSource => archives.Current.DataSource;

    string Table => $"{options.Value.Schema}.{IdempotentResponses.TableName}";

    public async Task InvokeAsync(HttpContext context)
    {
        var key = context.Request.Headers[IdempotentResponses.Header].ToString();
        if (key.Length == 0 || context.User.Identity?.IsAuthenticated != true || context.GetEndpoint()?.Metadata.GetMetadata<IdempotentAttribute>() is null)
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
        var request = new IdempotentRequest(principal, key, await FingerprintAsync(context.Request));
        if (await FindAsync(request, context.RequestAborted) is { } answered)
        {
            await answered.ExecuteAsync(context);
            return;
        }

        context.Features.Set(request);
        // Held back until the endpoint is done: a twin that lost the race to the first request is answered as the first was.
        var original = context.Response.Body;
        using var held = new MemoryStream();
        context.Response.Body = held;
        try
        {
            await next(context);
        }
        catch (Exception) when (!context.Response.HasStarted)
        {
            context.Response.Body = original;
            if (await FindAsync(request, CancellationToken.None) is not { } first) throw;
            context.Response.Clear();
            await first.ExecuteAsync(context);
            return;
        }
        context.Response.Body = original;
        if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && await FindAsync(request, CancellationToken.None) is { } winner)
        {
            context.Response.Clear();
            await winner.ExecuteAsync(context);
            return;
        }
        held.Position = 0;
        await held.CopyToAsync(original, context.RequestAborted);
    }

    async Task<IResult?> FindAsync(IdempotentRequest request, CancellationToken ct)
    {
        await using var select = DataSource.CreateCommand($"select fingerprint, status, headers, body from {Table} where principal = $1 and key = $2");
        select.Parameters.Add(new NpgsqlParameter { Value = request.Principal });
        select.Parameters.Add(new NpgsqlParameter { Value = request.Key });
        await using var reader = await select.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        if (reader.GetString(0) != request.Fingerprint)
        {
            return Problems.Result(Problems.IdempotencyKeyReused,
                $"Idempotency-Key '{request.Key}' was first used for a different request; use a new key for a new request.");
        }
        var headers = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(2)) ?? [];
        return new ReplayedResponse(reader.GetInt32(1), headers, (byte[])reader[3]);
    }

    static async Task<string> FingerprintAsync(HttpRequest request)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString} {request.ContentType} {request.Headers.IfMatch}\n"));
        var buffer = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0) sha.AppendData(buffer, 0, read);
        request.Body.Position = 0;
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    sealed class ReplayedResponse(int status, Dictionary<string, string> headers, byte[] body) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = status;
            foreach (var (name, value) in headers) context.Response.Headers[name] = value;
            context.Response.Headers[IdempotentResponses.ReplayedHeader] = "true";
            await context.Response.Body.WriteAsync(body);
        }
    }
}
