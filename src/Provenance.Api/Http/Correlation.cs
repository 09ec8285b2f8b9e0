using System.Diagnostics;

namespace Provenance.Api.Http;

/// <summary>
/// Every request has a correlation id: the client's <c>X-Correlation-Id</c> when it sends a sane one (1 to 128 visible ASCII
/// characters), else the W3C trace id. It is echoed back, and written back into the request so that Wolverine's own
/// correlation (<c>ApplyCorrelationIdHeaderToAllEndpoints</c>) stamps exactly this value on every event the request appends.
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
        context.Request.Headers[Header] = correlation;
        context.Response.Headers[Header] = correlation;
        return next(context);
    }
}
