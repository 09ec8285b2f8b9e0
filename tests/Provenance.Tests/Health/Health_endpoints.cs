using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Provenance.Api.Hosting;
using Shouldly;

namespace Provenance.Tests.Health;

public sealed class Health_endpoints(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task Liveness_and_readiness_answer_without_a_key()
    {
        var live = await Host.Scenario(s => s.Get.Url("/health/live"));
        (await live.ReadAsTextAsync()).ShouldContain("\"status\":\"Healthy\"");
        var ready = await Host.Scenario(s => s.Get.Url("/health/ready"));
        var body = await ready.ReadAsTextAsync();
        body.ShouldContain("\"database\"");
        body.ShouldContain("\"projections\"");
    }

    [Fact]
    public async Task Health_answers_name_the_process_that_gave_them()
    {
        var instance = Host.Services.GetRequiredService<IOptions<ProvenanceOptions>>().Value.InstanceId;
        instance.ShouldNotBeNullOrWhiteSpace();
        foreach (var url in new[] { "/health/live", "/health/ready" })
        {
            var result = await Host.Scenario(s => s.Get.Url(url));
            result.Context.Response.Headers["Provenance-Instance"].ToString().ShouldBe(instance);
        }
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_the_document_endpoints()
    {
        var result = await Host.Scenario(s => s.Get.Url("/openapi/v1.json"));
        var body = await result.ReadAsTextAsync();
        body.ShouldContain("/api/documents/{id}/revisions");
        body.ShouldContain("/api/documents/{id}/content");
    }
}
