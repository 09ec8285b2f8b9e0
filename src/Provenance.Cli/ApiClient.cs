using System.Net.Http.Headers;

namespace Provenance.Cli;

/// <summary>An HttpClient for the Provenance API with the API key as bearer token.</summary>
static class ApiClient
{
    public static HttpClient Create(string api, string key) => new()
    {
        BaseAddress = new Uri(api.TrimEnd('/') + "/"),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
        Timeout = TimeSpan.FromMinutes(5),
    };

    /// <summary>
    /// A refused request as one line for people: the problem's detail and its field errors (RFC 9457 problem+json), else the start of the body,
    /// then the status.
    /// </summary>
    public static async Task<string> ProblemLineAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        var status = $"HTTP {(int)response.StatusCode}";
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(body);
            var root = json.RootElement;
            var parts = new List<string>();
            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == System.Text.Json.JsonValueKind.Object)
                foreach (var field in errors.EnumerateObject())
                    parts.Add(field.Value.ValueKind == System.Text.Json.JsonValueKind.Array
                        ? $"{field.Name}: {string.Join(" ", field.Value.EnumerateArray().Select(e => e.ToString()))}"
                        : $"{field.Name}: {field.Value}");
            if (parts.Count == 0 && root.TryGetProperty("detail", out var detail)) parts.Add(detail.ToString());
            if (parts.Count == 0 && root.TryGetProperty("title", out var title)) parts.Add(title.ToString());
            if (parts.Count > 0) return Flatten($"{string.Join("; ", parts)} ({status})");
        }
        catch (System.Text.Json.JsonException)
        {
        }
        var start = Flatten(body);
        return $"{(start.Length > 200 ? start[..200] + "…" : start)} ({status} {response.ReasonPhrase})".TrimStart();
    }

    static string Flatten(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    public static async Task<string> FailureAsync(HttpResponseMessage response) =>
        $"{(int)response.StatusCode} {response.ReasonPhrase}: {await response.Content.ReadAsStringAsync()}";
}
