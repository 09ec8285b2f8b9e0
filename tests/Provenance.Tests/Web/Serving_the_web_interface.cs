using Alba;
using Provenance.Api.Access;
using Provenance.Api.Web;
using Shouldly;

namespace Provenance.Tests.Web;

/// <summary>The HTML pages through the in-memory host: who is let in, what each role is shown, and that nothing a user wrote runs.</summary>
public sealed class Serving_the_web_interface(AppFixture fixture) : IntegrationContext(fixture)
{
    private Task<IScenarioResult> Page(string url, string? role)
        => Host.Scenario(s =>
        {
            if (role is not null) s.WithRequestHeader("Authorization", $"Bearer {KeyFor(role)}");
            s.IgnoreStatusCode();
            s.Get.Url(url);
        });

    [Fact]
    public async Task Pages_send_people_without_a_session_to_sign_in_while_the_API_still_answers_401_problems()
    {
        var page = await Page("/documents", null);
        page.Context.Response.StatusCode.ShouldBe(302);
        page.Context.Response.Headers.Location.ToString().ShouldEndWith("/sign-in?returnUrl=%2Fdocuments");

        var api = await Page("/api/documents", null);
        await ShouldBeProblemAsync(api, 401, "unauthenticated");

        var signIn = await Page("/sign-in", null);
        signIn.Context.Response.StatusCode.ShouldBe(200);
        var html = await signIn.ReadAsTextAsync();
        html.ShouldContain("<html lang=\"en\">");
        html.ShouldContain("name=\"__csrf\"");
        html.ShouldContain("<label for=\"key\">");
    }

    [Fact]
    public async Task Signing_in_without_the_form_token_is_refused()
    {
        var result = await Host.Scenario(s =>
        {
            s.Post.FormData(new Dictionary<string, string> { ["key"] = KeyFor(Roles.Reader) }).ToUrl("/sign-in");
            s.IgnoreStatusCode();
        });
        result.Context.Response.StatusCode.ShouldBe(400);
        result.Context.Response.Headers.SetCookie.ToString().ShouldNotContain(WebAuthentication.CookieName);
    }

    [Fact]
    public async Task A_hostile_title_and_text_are_shown_as_text_never_as_markup()
    {
        var document = await IngestAsync("<img src=x onerror=alert(2)> body\n", "en", "<script>alert(1)</script>");
        var result = await Page($"/documents/{document.Id}", Roles.Reader);
        result.Context.Response.StatusCode.ShouldBe(200);
        var html = await result.ReadAsTextAsync();
        html.ShouldNotContain("<script>alert(1)</script>");
        html.ShouldNotContain("<img src=x");
        html.ShouldContain("&lt;script&gt;alert(1)&lt;/script&gt;");
        html.ShouldContain("&lt;img src=x onerror=alert(2)&gt;");
        result.Context.Response.Headers.ContentSecurityPolicy.ToString().ShouldContain("script-src 'self'");

        var list = await (await Page("/documents?q=script", Roles.Reader)).ReadAsTextAsync();
        list.ShouldNotContain("<script>alert(1)</script>");
        list.ShouldContain("&lt;script&gt;");
    }

    [Fact]
    public void Search_snippets_keep_only_the_mark_tags()
    {
        Html.Snippet("a <mark>river</mark> <b>x</b> & <script>y</script>").Value
            .ShouldBe("a <mark>river</mark> &lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;y&lt;/script&gt;");
        Html.Snippet("<mark><img src=x></mark>").Value.ShouldBe("<mark>&lt;img src=x&gt;</mark>");
        Html.Snippet("unclosed <mark>tag").Value.ShouldBe("unclosed &lt;mark&gt;tag");
    }

    [Fact]
    public void Only_http_links_are_links()
    {
        Html.ExternalLink("javascript:alert(1)").Value.ShouldNotContain("href");
        Html.ExternalLink("https://example.org/a?b=1&c=2").Value.ShouldContain("href=\"https://example.org/a?b=1&amp;c=2\"");
    }

    [Fact]
    public async Task Readers_see_no_edit_controls_and_contributors_and_verifiers_see_theirs()
    {
        var document = await IngestAsync();
        var reader = await (await Page($"/documents/{document.Id}", Roles.Reader)).ReadAsTextAsync();
        reader.ShouldNotContain($"action=\"/documents/{document.Id}/edit\"");
        reader.ShouldNotContain($"action=\"/documents/{document.Id}/verify\"");
        reader.ShouldNotContain("href=\"/documents/new\"");

        var contributor = await (await Page($"/documents/{document.Id}", Roles.Contributor)).ReadAsTextAsync();
        contributor.ShouldContain($"action=\"/documents/{document.Id}/edit\"");
        contributor.ShouldContain($"action=\"/documents/{document.Id}/translate\"");
        contributor.ShouldNotContain($"action=\"/documents/{document.Id}/verify\"");

        var verifier = await (await Page($"/documents/{document.Id}", Roles.Verifier)).ReadAsTextAsync();
        verifier.ShouldContain($"action=\"/documents/{document.Id}/verify\"");
        verifier.ShouldNotContain($"action=\"/documents/{document.Id}/edit\"");
    }

    [Theory]
    [InlineData("/audit", Roles.Reader, 403)]
    [InlineData("/audit", Roles.Auditor, 200)]
    [InlineData("/documents/new", Roles.Reader, 403)]
    [InlineData("/documents/new", Roles.Contributor, 200)]
    [InlineData("/integrity", Roles.Reader, 200)]
    [InlineData("/documents/00000000-0000-0000-0000-000000000001", Roles.Reader, 404)]
    public async Task Pages_answer_by_role(string url, string role, int status)
    {
        var result = await Page(url, role);
        result.Context.Response.StatusCode.ShouldBe(status);
        // With a bearer key the API's scheme answers, so a missing role is its 403 problem; the browser journeys cover the cookie's page.
        result.Context.Response.ContentType.ShouldBe(status == 403 ? "application/problem+json" : "text/html; charset=utf-8");
    }

    [Fact]
    public async Task The_document_page_compare_and_lineage_render_a_translated_document()
    {
        var document = await IngestAsync("One.\nTwo.\n", "en", "Bilingual notice");
        await EditAsync(document.Id, 1, "One.\nTwo and a half.\n", "Precision");
        await TranslateAsync(document.Id, "fr", "Un.\nDeux.\n", sourceRevision: 1);

        var page = await (await Page($"/documents/{document.Id}?lang=fr", Roles.Reader)).ReadAsTextAsync();
        page.ShouldContain("<html lang=\"fr\">");
        page.ShouldContain("périmée");
        page.ShouldContain("Chronologie");

        var compare = await Page($"/documents/{document.Id}/compare?from=1&to=2", Roles.Reader);
        compare.Context.Response.StatusCode.ShouldBe(200);
        var diff = await compare.ReadAsTextAsync();
        diff.ShouldContain("<ins> and a half</ins>");

        var missing = await Page($"/documents/{document.Id}/compare?from=2&to=2&language=fr", Roles.Reader);
        missing.Context.Response.StatusCode.ShouldBe(404);

        var lineage = await (await Page($"/documents/{document.Id}/lineage", Roles.Reader)).ReadAsTextAsync();
        lineage.ShouldContain("<svg");
        lineage.ShouldContain("stroke-dasharray=\"6 4\"");
    }

    [Fact]
    public void Every_string_has_an_English_and_a_French_text()
    {
        foreach (var key in Strings.Keys)
        {
            Strings.Get("en", key).ShouldNotBeNullOrWhiteSpace(key);
            Strings.Get("fr", key).ShouldNotBeNullOrWhiteSpace(key);
        }
        var sources = Directory.GetFiles(Path.Combine(RepositoryRoot(), "src/Provenance.Api/Web"), "*.cs").Select(File.ReadAllText);
        var used = sources.SelectMany(s => System.Text.RegularExpressions.Regex.Matches(s, "T\\(\"([a-z0-9._-]+)\"").Select(m => m.Groups[1].Value))
            .Where(k => !k.EndsWith('.')).Distinct();
        used.Where(k => !Strings.Keys.Contains(k)).ShouldBeEmpty();
    }

    private static string RepositoryRoot() => typeof(AppFixture).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false).Cast<System.Reflection.AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepositoryRoot").Value!;
}
