using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Provenance.Api.Hosting;

namespace Provenance.Api.Http;

/// <summary>Reads request bodies with a size bound, turning every failure into a problem rather than an exception.</summary>
public static class RequestBodies
{
    public static bool IsJson(HttpRequest request)
        => MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
           && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
               || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

    public static bool IsMultipart(HttpRequest request)
        => request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true;

    public static IResult WrongContentType(HttpRequest request, params string[] accepted)
        => Results.Problem(WrongContentTypeDetails(request, accepted));

    public static Microsoft.AspNetCore.Mvc.ProblemDetails WrongContentTypeDetails(HttpRequest request, params string[] accepted)
        => Problems.Details(Problems.UnsupportedMediaType,
            $"Content type '{request.ContentType ?? "(none)"}' is not accepted here; send {string.Join(" or ", accepted)}.",
            extensions: new Dictionary<string, object?> { ["accepted"] = accepted });

    public static IResult TooLarge(long limit)
        => Problems.Result(Problems.ContentTooLarge, $"The content exceeds the limit of {limit} bytes.",
            extensions: new Dictionary<string, object?> { ["limit"] = limit });

    /// <summary>Reads a JSON body into <typeparamref name="T"/>; the request must be application/json.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadJsonAsync<T>(HttpRequest request, long maxBytes) where T : class
    {
        if (!IsJson(request)) return (null, WrongContentType(request, "application/json"));
        var (bytes, problem) = await ReadBoundedAsync(request, maxBytes);
        if (problem is not null) return (null, problem);
        try
        {
            var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            var value = JsonSerializer.Deserialize<T>(bytes, options);
            return value is null
                ? (null, Problems.Result(Problems.MalformedJson, "The body must be a JSON object."))
                : (value, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is null ? "" : $" at {e.Path}";
            return (null, Problems.Result(Problems.MalformedJson, $"The body is not valid JSON for this request{where}: {FirstLine(e.Message)}"));
        }
    }

    /// <summary>Reads a multipart form; the file part, if any, is bounded by <paramref name="maxBytes"/>.</summary>
    public static async Task<(IFormCollection? Form, IResult? Problem)> ReadFormAsync(HttpRequest request, long maxBytes)
    {
        if (!IsMultipart(request)) return (null, WrongContentType(request, "multipart/form-data"));
        if (request.ContentLength > maxBytes + 1024 * 1024) return (null, TooLarge(maxBytes));
        try
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            if (form.Files.Any(f => f.Length > maxBytes)) return (null, TooLarge(maxBytes));
            return (form, null);
        }
        catch (InvalidDataException e)
        {
            return (null, Problems.Result(Problems.MalformedRequest, $"The multipart body is malformed: {e.Message}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }
    }

    public static async Task<(byte[] Bytes, IResult? Problem)> ReadBoundedAsync(HttpRequest request, long maxBytes)
    {
        if (request.ContentLength > maxBytes) return ([], TooLarge(maxBytes));
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                if (buffer.Length + read > maxBytes) return ([], TooLarge(maxBytes));
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ([], TooLarge(maxBytes));
        }
        return (buffer.ToArray(), null);
    }

    /// <summary>The JSON body limit: content may be escaped or base64-encoded inside it.</summary>
    public static long JsonLimit(ProvenanceOptions options) => options.MaxContentBytes * 4 / 3 * 6 / 5 + 64 * 1024;

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
