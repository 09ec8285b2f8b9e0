using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Http;

public sealed class Correlation_ids(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task Events_carry_the_callers_correlation_id_and_the_request_as_causation()
    {
        var result = await As(Roles.Contributor, s =>
        {
            s.Post.Json(new { title = "Correlated", language = "en", content = "c" }).ToUrl("/api/documents");
            s.WithRequestHeader("X-Correlation-Id", "newsroom-cms-4711");
        });
        result.Context.Response.Headers["X-Correlation-Id"].ToString().ShouldBe("newsroom-cms-4711");
        var id = (await result.ReadAsJsonAsync<Provenance.Api.Documents.DocumentResource>())!.Id;

        var ingested = (await EventsOfAsync(id)).ShouldHaveSingleItem();
        ingested.CorrelationId.ShouldBe("newsroom-cms-4711");
        ingested.CausationId.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Without_one_the_trace_id_becomes_the_correlation_id()
    {
        var document = await IngestAsync();
        var ingested = (await EventsOfAsync(document.Id)).ShouldHaveSingleItem();
        ingested.CorrelationId.ShouldNotBeNullOrEmpty();
    }
}
