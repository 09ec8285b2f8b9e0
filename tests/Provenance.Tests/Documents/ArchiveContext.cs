using Alba;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Documents;

/// <summary>Helpers for the archivist's reads: a verifier's verdicts, reads with a chosen key and Accept.</summary>
public abstract class ArchiveContext(AppFixture fixture) : IntegrationContext(fixture)
{
    protected void Advance(int minutes) => Fixture.Clock.Advance(TimeSpan.FromMinutes(minutes));

    protected DateTimeOffset Now => Fixture.Clock.GetUtcNow();

    protected async Task VerifyAsync(Guid id, int revision, string? language = null, string verdict = "verified", string? key = null)
    {
        var result = await Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {key ?? KeyFor(Roles.Verifier)}");
            s.IgnoreStatusCode();
            s.Post.Json(new { revision, language, method = "source-comparison", verdict, evidence = new[] { "https://example.org/evidence" } })
                .ToUrl($"/api/documents/{id}/verifications");
        });
        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
    }

    protected Task<IScenarioResult> GetAsync(string url, string role = Roles.Reader, string? accept = null, params (string Name, string Value)[] headers)
        => WithKey(KeyFor(role), url, accept, headers);

    protected Task<IScenarioResult> WithKey(string key, string url, string? accept = null, params (string Name, string Value)[] headers)
        => Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {key}");
            if (accept is not null) s.WithRequestHeader("Accept", accept);
            foreach (var (name, value) in headers) s.WithRequestHeader(name, value);
            s.IgnoreStatusCode();
            s.Get.Url(url);
        });

    protected static async Task<T> OkJsonAsync<T>(IScenarioResult result) where T : class
    {
        result.Context.Response.StatusCode.ShouldBe(200, await result.ReadAsTextAsync());
        return (await result.ReadAsJsonAsync<T>()).ShouldNotBeNull();
    }
}
