using Provenance.Api.Access;
using Provenance.Api.Web;
using Shouldly;

namespace Provenance.Tests.Web;

/// <summary>
/// After signing in, people go back where they were, and only there: a normalized local path. Anything a browser could read as
/// another host (after it strips tabs and newlines, or decodes once more) falls back to the document list, never to a 500.
/// </summary>
public sealed class Returning_after_sign_in(AppFixture fixture) : IntegrationContext(fixture)
{
    public const string Fallback = "/documents";

    /// <summary>The value as the application sees it (the query string already decoded once), and where signing in then leads.</summary>
    public static TheoryData<string?, string> ReturnUrls => new()
    {
        { "/documents", "/documents" },
        { "/documents/7d1f3c9e-8a2b-4c55-9a61-0d6f1c2b3a4e?revision=2#text", "/documents/7d1f3c9e-8a2b-4c55-9a61-0d6f1c2b3a4e?revision=2#text" },
        { "/documents?q=river+guild&lang=fr", "/documents?q=river+guild&lang=fr" },
        { "/documents?q=%C3%A9t%C3%A9", "/documents?q=%C3%A9t%C3%A9" },
        { "/audit?from=2026-01-01&to=2026-02-01", "/audit?from=2026-01-01&to=2026-02-01" },
        { null, Fallback },
        { "", Fallback },
        { "documents", Fallback },
        { "https://evil.example/", Fallback },
        { "javascript:alert(1)", Fallback },
        { "//evil.example", Fallback },
        { "/\\evil.example", Fallback },
        { "\\\\evil.example", Fallback },
        { "/\t/evil.example", Fallback },
        { "/\n/evil.example", Fallback },
        { "/\r\n/evil.example", Fallback },
        { "/documents\r\nSet-Cookie: a=b", Fallback },
        { "/documents\0", Fallback },
        { " /documents", Fallback },
        { "/documents ", Fallback },
        { "/ /evil.example", Fallback },
        { "/documents\u00a0", Fallback },
        { "/documents\u2028", Fallback },
        { "/documentsé", Fallback },
        { "/%09/evil.example", Fallback },
        { "/%2509/evil.example", Fallback },
        { "/%2F/evil.example", Fallback },
        { "/%2f%2fevil.example", Fallback },
        { "/%5Cevil.example", Fallback },
        { "/%0D%0ASet-Cookie:a=b", Fallback },
        { "/%00", Fallback },
        { "/documents/../../evil.example", Fallback },
        { "/./documents", Fallback },
        { "/%2e%2e/evil.example", Fallback },
        { "/sign-in?returnUrl=/documents", Fallback },
    };

    [Theory]
    [MemberData(nameof(ReturnUrls))]
    public void Only_a_normalized_local_path_is_a_place_to_return_to(string? returnUrl, string expected)
        => WebAuthentication.SafeReturnUrl(returnUrl).ShouldBe(expected);

    /// <summary>The query string as a browser would send it: each value percent-encoded once.</summary>
    [Theory]
    [InlineData("/%09/evil.example")]
    [InlineData("%2F%09%2Fevil.example")]
    [InlineData("%2F%0D%0ASet-Cookie%3A%20a%3Db")]
    [InlineData("%2Fdocuments%0A")]
    [InlineData("%2Fdocuments%00")]
    [InlineData("%2Fdocuments%C3%A9")]
    [InlineData("%2F%E2%80%A8%2Fevil.example")]
    [InlineData("%2F%5Cevil.example")]
    [InlineData("%2F%252F%2Fevil.example")]
    public async Task A_crafted_returnUrl_redirects_a_signed_in_person_to_the_list_never_elsewhere_and_never_500(string encoded)
    {
        var result = await Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {KeyFor(Roles.Reader)}");
            s.IgnoreStatusCode();
            s.Get.Url($"/sign-in?returnUrl={encoded}");
        });
        result.Context.Response.StatusCode.ShouldBe(302);
        result.Context.Response.Headers.Location.ToString().ShouldBe(Fallback);

        var form = await Host.Scenario(s =>
        {
            s.IgnoreStatusCode();
            s.Get.Url($"/sign-in?returnUrl={encoded}");
        });
        form.Context.Response.StatusCode.ShouldBe(200);
        (await form.ReadAsTextAsync()).ShouldContain($"name=\"returnUrl\" value=\"{Fallback}\"");
    }

    [Fact]
    public async Task A_local_returnUrl_is_kept()
    {
        var result = await Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {KeyFor(Roles.Reader)}");
            s.IgnoreStatusCode();
            s.Get.Url("/sign-in?returnUrl=%2Faudit%3Ffrom%3D2026-01-01");
        });
        result.Context.Response.StatusCode.ShouldBe(302);
        result.Context.Response.Headers.Location.ToString().ShouldBe("/audit?from=2026-01-01");
    }
}
