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

    public static async Task<string> FailureAsync(HttpResponseMessage response) =>
        $"{(int)response.StatusCode} {response.ReasonPhrase}: {await response.Content.ReadAsStringAsync()}";
}
