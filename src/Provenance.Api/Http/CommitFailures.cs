using System.Net.Sockets;
using JasperFx;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Provenance.Api.Http;

/// <summary>
/// Failures that reach the commit and are the client's to retry, not the server's: a concurrent writer appended to the
/// stream after the command loaded it (412, the optimistic check the aggregate workflow makes at commit), and a database
/// that cannot be reached (503 with <c>Retry-After</c>). Either way the transaction rolled back: nothing was written.
/// </summary>
public sealed class CommitFailures(ILogger<CommitFailures> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 2;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted) return false;
        IResult? problem = null;
        if (Find<ConcurrencyException>(exception) is not null || Find<Marten.Exceptions.StreamLockedException>(exception) is not null)
        {
            logger.LogInformation(exception, "A concurrent writer committed first; answered 412");
            problem = Problems.Result(Problems.StaleRevision,
                "The document changed while this request was being recorded; nothing was written. Fetch it, and retry with its current ETag.");
        }
        else if (IsDatabaseUnavailable(exception))
        {
            logger.LogWarning(exception, "PostgreSQL is unavailable; answered 503");
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            problem = Problems.Result(Problems.DatabaseUnavailable,
                $"The ledger's database cannot be reached; nothing was written. Retry in {RetryAfterSeconds} seconds.");
        }
        if (problem is null) return false;
        await problem.ExecuteAsync(context);
        return true;
    }

    public static T? Find<T>(Exception e) where T : Exception
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is T match) return match;
            if (current is AggregateException aggregate && aggregate.InnerExceptions.Select(Find<T>).FirstOrDefault(x => x is not null) is { } inner) return inner;
        }
        return null;
    }

    /// <summary>The server is down, restarting, refusing connections, or the pool cannot reach it: not the request's fault.</summary>
    public static bool IsDatabaseUnavailable(Exception e)
    {
        if (Find<PostgresException>(e) is { } pg)
        {
            // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 08xxx connection exceptions, 53300 too many connections.
            return pg.SqlState is "57P01" or "57P02" or "57P03" or "53300" || pg.SqlState.StartsWith("08", StringComparison.Ordinal);
        }
        return Find<NpgsqlException>(e) is { } npgsql && (npgsql.IsTransient || Find<SocketException>(e) is not null
            || Find<TimeoutException>(e) is not null || Find<EndOfStreamException>(e) is not null || Find<IOException>(e) is not null);
    }
}
