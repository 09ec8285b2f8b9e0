using System.Text;
using System.Text.Json;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Reports;

/// <summary>
/// People, not logins: a key (or the people directory) gives a login a display name and an ORCID or ISNI; pages, PROV agents
/// (<c>prov:Person</c>, <c>foaf:name</c>) and PREMIS agents use them, while events keep recording the login.
/// </summary>
public sealed class Naming_people(AppFixture fixture) : ReportsContext(fixture)
{
    [Theory]
    [InlineData("https://orcid.org/0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097")]
    [InlineData("0000-0002-1694-233x", "https://orcid.org/0000-0002-1694-233X")]
    [InlineData("https://isni.org/isni/0000000121032683", "https://isni.org/isni/0000000121032683")]
    [InlineData("0000 0001 2281 955X", "https://isni.org/isni/000000012281955X")]
    public void ORCID_and_ISNI_identifiers_are_checked_and_written_as_their_canonical_URI(string given, string canonical)
        => PersonIdentifiers.Normalize(given).ShouldBe((canonical, null));

    [Theory]
    [InlineData("https://orcid.org/0000-0002-1825-0098")]
    [InlineData("0000000109876543")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://evil.example/0000-0002-1825-0097")]
    public void Anything_else_is_refused(string given) => PersonIdentifiers.Normalize(given).Uri.ShouldBeNull();

    [Fact]
    public async Task A_key_created_with_a_display_name_and_an_ORCID_names_its_person_in_pages_PROV_and_PREMIS()
    {
        var login = $"archivist.{Guid.NewGuid():N}"[..24];
        var created = await As(Roles.Admin, s => s.Post.Json(new
        {
            name = login, roles = new[] { Roles.Contributor }, displayName = "Josiah Carberry", identifier = "0000-0002-1825-0097",
        }).ToUrl("/api/keys"));
        created.Context.Response.StatusCode.ShouldBe(201);
        var key = (await created.ReadAsJsonAsync<CreatedApiKey>())!;
        (key.DisplayName, key.Identifier).ShouldBe(("Josiah Carberry", "https://orcid.org/0000-0002-1825-0097"));

        var ingested = await Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {key.Key}");
            s.StatusCodeShouldBe(201);
            s.Post.MultipartFormData(Multipart("Named text.\n"u8.ToArray(), "named.txt", "text/plain", ("title", "Named"), ("language", "en")))
                .ToUrl("/api/documents");
        });
        ingested.Context.Response.StatusCode.ShouldBe(201);
        var id = JsonDocument.Parse(ingested.ReadAsText()).RootElement.GetProperty("id").GetGuid();
        // The event still records the login: the directory describes it, it does not rewrite history.
        (await EventsOfAsync(id)).Single().Data.ShouldBeOfType<Api.Documents.DocumentIngested>().Actor.ShouldBe(login);

        await SignCheckpointAsync();
        var (json, _, _) = await GetReportAsync(id);
        var agent = JsonDocument.Parse(json).RootElement.GetProperty("agents").EnumerateArray().Single();
        agent.GetProperty("name").GetString().ShouldBe(login);
        agent.GetProperty("displayName").GetString().ShouldBe("Josiah Carberry");

        var (prov, _, _) = await GetReportAsync(id, "prov-json");
        var person = JsonDocument.Parse(prov).RootElement.GetProperty("agent").GetProperty($"agent:{login}");
        person.GetProperty("foaf:name").GetString().ShouldBe("Josiah Carberry");
        person.GetProperty("pv:identifier").GetProperty("$").GetString().ShouldBe("https://orcid.org/0000-0002-1825-0097");
        person.GetProperty("prov:type")[0].GetProperty("$").GetString().ShouldBe("prov:Person");
        JsonDocument.Parse(prov).RootElement.GetProperty("prefix").GetProperty("foaf").GetString().ShouldBe("http://xmlns.com/foaf/0.1/");

        var (premis, _, _) = await GetReportAsync(id, "premis");
        var ns = System.Xml.Linq.XNamespace.Get("http://www.loc.gov/premis/v3");
        var premisAgent = System.Xml.Linq.XDocument.Parse(Encoding.UTF8.GetString(premis)).Descendants(ns + "agent")
            .Single(a => a.Elements(ns + "agentIdentifier").Any(i => i.Element(ns + "agentIdentifierValue")!.Value == login));
        premisAgent.Elements(ns + "agentIdentifier").Select(i => (i.Element(ns + "agentIdentifierType")!.Value, i.Element(ns + "agentIdentifierValue")!.Value))
            .ShouldContain(("ORCID", "https://orcid.org/0000-0002-1825-0097"));
        premisAgent.Element(ns + "agentName")!.Value.ShouldBe("Josiah Carberry");

        var page = await As(Roles.Reader, s => s.Get.Url($"/documents/{id}"));
        page.ReadAsText().ShouldContain($"<a class=\"person\" href=\"https://orcid.org/0000-0002-1825-0097\" rel=\"noopener noreferrer\">Josiah Carberry</a> <span class=\"hint login\">({login})</span>");
    }

    [Fact]
    public async Task An_admin_describes_a_seeded_login_and_bad_descriptions_change_nothing()
    {
        var login = $"factchecker.{Guid.NewGuid():N}"[..24];
        var described = await As(Roles.Admin, s => s.Put.Json(new { displayName = "Ani Sarkissian", identifier = "https://isni.org/isni/0000000121032683" })
            .ToUrl($"/api/people/{login}"));
        described.Context.Response.StatusCode.ShouldBe(200);
        var person = (await described.ReadAsJsonAsync<ReportAgent>())!;
        person.ShouldBe(new ReportAgent(login, "Ani Sarkissian", "https://isni.org/isni/0000000121032683"));

        await ShouldBeProblemAsync(await As(Roles.Admin, s => s.Put.Json(new { identifier = "https://orcid.org/0000-0002-1825-0098" }).ToUrl($"/api/people/{login}")),
            422, "validation");
        await ShouldBeProblemAsync(await As(Roles.Admin, s => s.Put.Json(new { displayName = "  " }).ToUrl($"/api/people/{login}")), 422, "validation");
        await ShouldBeProblemAsync(await As(Roles.Admin, s => s.Post.Json(new { name = "x.y", roles = new[] { "reader" }, identifier = "javascript:alert(1)" }).ToUrl("/api/keys")),
            422, "validation");
        (await As(Roles.Contributor, s => s.Put.Json(new { displayName = "Someone else" }).ToUrl($"/api/people/{login}"))).Context.Response.StatusCode.ShouldBe(403);

        var listed = (await (await As(Roles.Reader, s => s.Get.Url("/api/people"))).ReadAsJsonAsync<List<ReportAgent>>())!;
        listed.ShouldContain(new ReportAgent(login, "Ani Sarkissian", "https://isni.org/isni/0000000121032683"));
    }
}
