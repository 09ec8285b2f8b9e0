using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Http;

public sealed class Correlation_ids(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task Events_carry_the_callers_correlation_id_set_once_by_wolverine()
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
        // A request is caused by no earlier message: Wolverine leaves causation empty (commands sent on the bus carry their envelope's).
        ingested.CausationId.ShouldBeNull();
    }

    [Theory]
    [InlineData("tab\tinside")]
    [InlineData("has spaces")]
    public async Task An_unusable_correlation_id_is_replaced_by_the_trace_id_on_the_events_too(string supplied)
    {
        var result = await As(Roles.Contributor, s =>
        {
            s.Post.Json(new { title = "Correlated", language = "en", content = "c" }).ToUrl("/api/documents");
            s.WithRequestHeader("X-Correlation-Id", supplied);
        });
        var echoed = result.Context.Response.Headers["X-Correlation-Id"].ToString();
        echoed.ShouldNotBe(supplied);
        var id = (await result.ReadAsJsonAsync<Provenance.Api.Documents.DocumentResource>())!.Id;
        (await EventsOfAsync(id)).ShouldHaveSingleItem().CorrelationId.ShouldBe(echoed);
    }

    [Fact]
    public async Task Without_one_the_trace_id_becomes_the_correlation_id()
    {
        var document = await IngestAsync();
        var ingested = (await EventsOfAsync(document.Id)).ShouldHaveSingleItem();
        ingested.CorrelationId.ShouldNotBeNullOrEmpty();
    }
}
