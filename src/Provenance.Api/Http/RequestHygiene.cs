using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Wolverine.Http;

namespace Provenance.Api.Http;

/// <summary>
/// Text the API accepts: no NUL, no C0 control but TAB, LF and CR (and those only in text meant to span lines), no DEL, no C1
/// control. PostgreSQL refuses NUL in text and jsonb, XML 1.0 cannot carry most C0 controls, and terminals and spreadsheets
/// interpret the rest; once such a character is inside an immutable event, every export of that document must work around it.
/// </summary>
public static class TextRules
{
    /// <summary>Index of the first character not allowed, or -1.</summary>
    public static int FirstControl(ReadOnlySpan<char> text, bool multiLine)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsControl(text[i], multiLine)) return i;
        }
        return -1;
    }

    public static bool IsControl(char c, bool multiLine)
        => c < 0x20 ? !(multiLine && c is '\t' or '\n' or '\r') : c is >= '\u007f' and <= '\u009f';

    /// <summary>The per-field message for a control character at <paramref name="index"/>, or null when there is none.</summary>
    public static string? Problem(string field, string? value, bool multiLine)
    {
        if (value is null) return null;
        var index = FirstControl(value, multiLine);
        if (index < 0) return null;
        return $"'{field}' contains the control character U+{(int)value[index]:X4} at position {index}; "
            + (multiLine ? "only TAB, LF and CR are allowed." : "it must be a single line of text without control characters.");
    }
}

/// <summary>
/// Before any endpoint runs: a query parameter with a control character, a query parameter the endpoint binds to a number, id,
/// date or flag that does not parse (<c>revision=2147483648</c>, <c>limit=abc</c>: without this the binder silently ignores them),
/// and a JSON body with a NUL or another control character (outside TAB, LF, CR) in any string, each answer 422 naming the
/// parameter or the JSON path, and nothing runs. Field-level rules (single-line fields) are the commands' own validation.
/// </summary>
public sealed class RequestHygieneMiddleware(RequestDelegate next)
{
    private static readonly ConcurrentDictionary<Endpoint, IReadOnlyList<(string Name, Type Type)>> TypedQueries = new();

    /// <summary>Where a page sends people back after signing in: the sign-in page falls back to the list for anything unsafe (never an error).</summary>
    public const string ReturnUrl = "returnUrl";

    public async Task InvokeAsync(HttpContext context)
    {
        var errors = new FieldErrors();
        foreach (var (name, values) in context.Request.Query)
        {
            if (name == ReturnUrl) continue;
            if (TextRules.Problem(name, name, multiLine: false) is { } badName) errors.Add(name, badName);
            foreach (var value in values)
            {
                if (TextRules.Problem(name, value, multiLine: false) is { } message) errors.Add(name, message);
            }
        }
        if (!errors.Any && context.GetEndpoint() is { } endpoint)
        {
            foreach (var (name, type) in TypedQueries.GetOrAdd(endpoint, QueryParameters))
            {
                var value = context.Request.Query[name].ToString();
                if (value.Length > 0 && !Parses(value, type)) errors.Add(name, $"'{name}' must be {Describe(type)}; '{Shorten(value)}' is not.");
            }
        }
        if (!errors.Any && IsJson(context.Request.ContentType) && context.Request.Body.CanRead)
        {
            await CheckJsonAsync(context, errors);
        }
        if (errors.Any)
        {
            var problem = Problems.Details(Problems.Validation, errors.Summary(), errors.ToDictionary());
            await Results.Problem(problem).ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    private static bool IsJson(string? contentType)
        => contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || (contentType.Contains("+json", StringComparison.OrdinalIgnoreCase) && contentType.StartsWith("application/", StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// Buffers the body (in memory up to 64 KB, then in a temporary file; rewound for the endpoint) and looks for controls. A raw
    /// control byte is not JSON at all (the endpoint answers malformed-json); a control can only arrive as a <c>\u00XX</c> escape or
    /// as a UTF-8-encoded C1 (<c>C2 80</c>–<c>C2 9F</c>), so only a body holding one of those is parsed here.
    /// </summary>
    private static async Task CheckJsonAsync(HttpContext context, FieldErrors errors)
    {
        var request = context.Request;
        var limit = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        if (request.ContentLength is { } length && limit is { } max && length > max) return; // the endpoint answers 413
        request.EnableBuffering(bufferThreshold: 64 * 1024);
        bool suspicious;
        try
        {
            suspicious = await HasEscapeOrC1Async(request.Body, context.RequestAborted);
        }
        catch (BadHttpRequestException)
        {
            request.Body.Position = 0;
            return; // too large or cut short: the endpoint's own reading reports it
        }
        request.Body.Position = 0;
        if (!suspicious) return;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, default, context.RequestAborted);
            Walk(document.RootElement, "", errors);
        }
        catch (JsonException)
        {
            // Not JSON: the endpoint answers malformed-json with the parser's position.
        }
        request.Body.Position = 0;
    }

    private static async Task<bool> HasEscapeOrC1Async(Stream body, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            byte previous = 0;
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(0, buffer.Length), ct)) > 0)
            {
                var span = buffer.AsSpan(0, read);
                if (previous == 0xC2 && span[0] is >= 0x80 and <= 0x9F) return true;
                if (span.IndexOf("\\u"u8) >= 0) return true;
                for (var rest = span; rest.IndexOf((byte)0xC2) is var at and >= 0 && at < rest.Length - 1; rest = rest[(at + 1)..])
                {
                    if (rest[at + 1] is >= 0x80 and <= 0x9F) return true;
                }
                // An escape split across two reads: "\" at the end of one, "u" at the start of the next.
                if (previous == (byte)'\\' && span[0] == (byte)'u') return true;
                previous = span[^1];
            }
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Walk(JsonElement element, string path, FieldErrors errors)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var name = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    if (TextRules.Problem("property name", property.Name, multiLine: false) is { } badName) errors.Add(path.Length == 0 ? "$" : path, badName);
                    Walk(property.Value, name, errors);
                }
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray()) Walk(item, $"{path}[{index++}]", errors);
                break;
            case JsonValueKind.String:
                if (TextRules.Problem(path.Length == 0 ? "$" : path, element.GetString(), multiLine: true) is { } message) errors.Add(path.Length == 0 ? "$" : path, message);
                break;
        }
    }

    /// <summary>The parameters of a Wolverine endpoint's method bound from the query string to a type that must parse.</summary>
    private static IReadOnlyList<(string, Type)> QueryParameters(Endpoint endpoint)
    {
        if (endpoint.Metadata.GetMetadata<HttpChain>() is not { } chain) return [];
        var route = chain.RoutePattern?.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        var list = new List<(string, Type)>();
        foreach (var parameter in chain.Method.Method.GetParameters())
        {
            if (parameter.Name is not { } name || route.Contains(name)) continue;
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            if (!IsParsed(type)) continue;
            if (parameter.GetCustomAttributes().Any(a => a.GetType().Name is "FromHeaderAttribute" or "FromServicesAttribute" or "NotBodyAttribute" or "FromBodyAttribute")) continue;
            var alias = parameter.GetCustomAttributes().Select(a => a.GetType().GetProperty("Name")?.GetValue(a) as string)
                .FirstOrDefault(n => !string.IsNullOrEmpty(n) && parameter.GetCustomAttributes().Any(a => a.GetType().Name == "FromQueryAttribute"));
            list.Add((alias ?? name, type));
        }
        return list;
    }

    private static bool IsParsed(Type type)
        => type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(Guid) || type == typeof(bool) || type == typeof(double)
            || type == typeof(decimal) || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(DateOnly) || type.IsEnum;

    private static bool Parses(string value, Type type) => type switch
    {
        _ when type == typeof(int) => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        _ when type == typeof(long) => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        _ when type == typeof(short) => short.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        _ when type == typeof(Guid) => Guid.TryParse(value, out _),
        _ when type == typeof(bool) => bool.TryParse(value, out _),
        _ when type == typeof(double) => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
        _ when type == typeof(decimal) => decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out _),
        _ when type == typeof(DateTimeOffset) => DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        _ when type == typeof(DateTime) => DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        _ when type == typeof(DateOnly) => DateOnly.TryParse(value, CultureInfo.InvariantCulture, out _),
        _ => Enum.TryParse(type, value, ignoreCase: true, out _),
    };

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(int) => $"a whole number between {int.MinValue} and {int.MaxValue}",
        _ when type == typeof(long) || type == typeof(short) => "a whole number",
        _ when type == typeof(Guid) => "an id (a UUID such as 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b)",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "an RFC 3339 date-time",
        _ when type == typeof(DateOnly) => "a date (YYYY-MM-DD)",
        _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type)),
        _ => "a number",
    };

    private static string Shorten(string value)
    {
        var text = value.Length > 40 ? value[..40] + "…" : value;
        var builder = new StringBuilder(text.Length);
        foreach (var c in text) builder.Append(char.IsControl(c) ? '\uFFFD' : c);
        return builder.ToString();
    }
}
