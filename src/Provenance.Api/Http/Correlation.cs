using System.Diagnostics;
using Marten;
using Marten.Services;

namespace Provenance.Api.Http;

/// <summary>
/// Every request has a correlation id: the client's <c>X-Correlation-Id</c> when it sends a sane one, else the W3C trace id.
/// It is echoed back and stamped on every event the request appends, with the request id as causation id.
/// </summary>
public sealed class CorrelationMiddleware(RequestDelegate next)
{
    public const string Header = "X-Correlation-Id";

    public Task InvokeAsync(HttpContext context)
    {
        var supplied = context.Request.Headers[Header].ToString();
        var correlation = supplied.Length is > 0 and <= 128 && supplied.All(c => c is > ' ' and < '\x7f')
            ? supplied
            : Activity.Current?.TraceId.ToHexString() ?? context.TraceIdentifier;
        context.Response.Headers[Header] = correlation;
        RequestCorrelation.Current = new RequestCorrelation(correlation, context.TraceIdentifier);
        return next(context);
    }
}

public sealed record RequestCorrelation(string CorrelationId, string CausationId)
{
    private static readonly AsyncLocal<RequestCorrelation?> Flow = new();

    public static RequestCorrelation? Current
    {
        get => Flow.Value;
        set => Flow.Value = value;
    }
}

/// <summary>Copies the request's correlation onto the session before its events are written.</summary>
public sealed class CorrelationListener : DocumentSessionListenerBase
{
    public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        if (RequestCorrelation.Current is { } current)
        {
            session.CorrelationId = current.CorrelationId;
            session.CausationId = current.CausationId;
            // Events appended before this point took the session's earlier ids (Wolverine's trace id): the request's win.
            foreach (var e in session.PendingChanges.Streams().SelectMany(s => s.Events))
            {
                e.CorrelationId = current.CorrelationId;
                e.CausationId = current.CausationId;
            }
        }
        return Task.CompletedTask;
    }
}
