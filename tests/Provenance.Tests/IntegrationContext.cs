using System.Net.Http.Headers;
using Alba;
using JasperFx.Events;
using Marten;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;
using Provenance.Api.Tenancy;

namespace Provenance.Tests;

[Collection(IntegrationCollection.Name)]
public abstract class IntegrationContext(AppFixture fixture)
{
    protected AppFixture Fixture { get; } = fixture;
    protected IAlbaHost Host => Fixture.Host;
    protected IDocumentStore Store => Fixture.Store;

    protected const string ProblemJson = "application/problem+json";

    protected string KeyFor(string role) => Fixture.Keys[role];

    /// <summary>A request of <paramref name="method"/> to <paramref name="url"/>, with an empty JSON object as the body of a write.</summary>
    protected static void Send(Scenario s, string method, string url)
    {
        switch (method)
        {
            case "GET": s.Get.Url(url); break;
            case "DELETE": s.Delete.Url(url); break;
            case "PATCH": s.Patch.Json(new { }).ToUrl(url); break;
            case "PUT": s.Put.Json(new { }).ToUrl(url); break;
            default: s.Post.Json(new { }).ToUrl(url); break;
        }
    }

    protected Task<IScenarioResult> As(string role, Action<Scenario> configure) => Host.Scenario(s =>
    {
        s.WithRequestHeader("Authorization", $"Bearer {KeyFor(role)}");
        s.IgnoreStatusCode();
        configure(s);
    });

    protected async Task<DocumentResource> IngestAsync(string content = "The first text.\nA second line.\n", string language = "en",
        string title = "A document")
    {
        var result = await As(Roles.Contributor, s => s.Post.Json(new { title, language, content }).ToUrl("/api/documents"));
        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
        return (await result.ReadAsJsonAsync<DocumentResource>())!;
    }

    protected async Task<DocumentResource> EditAsync(Guid id, int baseRevision, string content, string reason = "A correction.")
    {
        var result = await As(Roles.Contributor, s =>
        {
            s.Post.Json(new { content, reason }).ToUrl($"/api/documents/{id}/revisions");
            s.WithRequestHeader("If-Match", $"\"{baseRevision}\"");
        });
        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
        return (await result.ReadAsJsonAsync<DocumentResource>())!;
    }

    protected async Task<DocumentResource> TranslateAsync(Guid id, string language, string content, int? sourceRevision = null,
        string method = "human")
    {
        var result = await As(Roles.Contributor, s => s.Post.Json(new { language, sourceRevision, content, translator = "A. Translator", method })
            .ToUrl($"/api/documents/{id}/translations"));
        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
        return (await result.ReadAsJsonAsync<DocumentResource>())!;
    }

    /// <summary>Every event in the store, however it got there: what "nothing was written" is checked against.</summary>
    protected async Task<long> EventCountAsync()
    {
        await using var session = Store.QuerySession(Tenants.Default);
        return await session.Events.QueryAllRawEvents().CountAsync();
    }

    protected async Task<IReadOnlyList<IEvent>> EventsOfAsync(Guid id)
    {
        await using var session = Store.QuerySession(Tenants.Default);
        return await session.Events.FetchStreamAsync(id);
    }

    protected async Task<long> ContentRowsAsync()
    {
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select count(*) from {Fixture.Schema}.content_blobs", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    protected static async Task ShouldBeProblemAsync(IScenarioResult result, int status, string slug)
    {
        var body = await result.ReadAsTextAsync();
        result.Context.Response.StatusCode.ShouldBe(status, body);
        result.Context.Response.ContentType.ShouldNotBeNull().ShouldStartWith(ProblemJson, customMessage: body);
        body.ShouldContain($"\"type\":\"urn:provenance:problem:{slug}\"", customMessage: body);
    }

    protected static MultipartFormDataContent Multipart(byte[] file, string fileName, string mediaType, params (string Name, string Value)[] fields)
    {
        var content = new MultipartFormDataContent();
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        content.Add(part, "file", fileName);
        foreach (var (name, value) in fields) content.Add(new StringContent(value), name);
        return content;
    }
}
