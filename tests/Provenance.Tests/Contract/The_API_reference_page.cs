using System.Text.Json;
using System.Text.RegularExpressions;
using Shouldly;

namespace Provenance.Tests.Contract;

/// <summary>
/// <c>/docs</c> works offline: every script it loads is served by the API itself, and Scalar's features that would call Scalar's
/// servers (web fonts, the AI agent, MCP, telemetry, the developer toolbar with its deploy button) are off.
/// </summary>
public sealed partial class The_API_reference_page(AppFixture fixture) : IntegrationContext(fixture)
{
    private async Task<string> PageAsync()
    {
        var result = await Host.Scenario(s => s.Get.Url("/docs/"));
        result.Context.Response.ContentType.ShouldNotBeNull().ShouldStartWith("text/html");
        return await result.ReadAsTextAsync();
    }

    [Fact]
    public async Task Loads_only_scripts_of_its_own_origin_and_each_of_them_is_served()
    {
        var html = await PageAsync();
        var sources = ScriptSource().Matches(html).Select(m => m.Groups[1].Value)
            .Concat(ModuleImport().Matches(html).Select(m => m.Groups[1].Value))
            .Concat(LinkHref().Matches(html).Select(m => m.Groups[1].Value))
            .Distinct().ToList();
        sources.ShouldNotBeEmpty();
        foreach (var source in sources)
        {
            source.ShouldNotContain("//", customMessage: $"{source} is not a same-origin path");
            source.ShouldNotContain(":", customMessage: $"{source} is not a same-origin path");
            var url = new Uri(new Uri("http://localhost/docs/"), source).PathAndQuery;
            var result = await Host.Scenario(s =>
            {
                s.Get.Url(url);
                s.StatusCodeShouldBe(200);
            });
            result.Context.Response.ContentType.ShouldNotBeNull().ShouldContain("javascript", customMessage: url);
        }
    }

    [Fact]
    public async Task Turns_off_what_would_call_scalars_servers_and_shows_human_titles()
    {
        var html = await PageAsync();
        html.ShouldContain("<title>Provenance API reference</title>");
        var configuration = JsonDocument.Parse(Configuration().Match(html).Groups[1].Value).RootElement;
        configuration.GetProperty("withDefaultFonts").GetBoolean().ShouldBeFalse();
        configuration.GetProperty("telemetry").GetBoolean().ShouldBeFalse();
        configuration.GetProperty("agent").GetProperty("disabled").GetBoolean().ShouldBeTrue();
        configuration.GetProperty("mcp").GetProperty("disabled").GetBoolean().ShouldBeTrue();
        configuration.GetProperty("showDeveloperTools").GetString().ShouldBe("never");
        configuration.GetProperty("operationTitleSource").GetString().ShouldBe("summary");
        var source = configuration.GetProperty("sources")[0];
        source.GetProperty("title").GetString().ShouldBe("Provenance API");
        configuration.TryGetProperty("proxyUrl", out _).ShouldBeFalse();
        await Host.Scenario(s =>
        {
            s.Get.Url("/" + source.GetProperty("url").GetString()!.TrimStart('/'));
            s.StatusCodeShouldBe(200);
        });
    }

    [GeneratedRegex("<script[^>]*\\ssrc=\"([^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptSource();

    [GeneratedRegex("import\\s[^'\"]*from\\s*['\"]([^'\"]+)['\"]")]
    private static partial Regex ModuleImport();

    [GeneratedRegex("<link[^>]*\\shref=\"([^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex LinkHref();

    [GeneratedRegex("initialize\\(\\s*'[^']*',\\s*(?:true|false),\\s*(\\{.*\\}),\\s*'", RegexOptions.Singleline)]
    private static partial Regex Configuration();
}
