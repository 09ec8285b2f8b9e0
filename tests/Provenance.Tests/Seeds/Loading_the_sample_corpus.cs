using Marten;
using Microsoft.Extensions.DependencyInjection;
using Provenance.Api.Documents;
using Provenance.Api.Ledger;
using Provenance.Api.Seeds;
using Shouldly;
using Provenance.Api.Tenancy;

namespace Provenance.Tests.Seeds;

public sealed class Loading_the_sample_corpus(AppFixture fixture) : IntegrationContext(fixture)
{
    private static string Manifest => Path.Combine(RepositoryRoot(), "seeds", "manifest.json");

    [Fact]
    public async Task The_corpus_tells_its_provenance_story_and_loads_only_once()
    {
        using var scope = Host.Services.CreateScope();
        var loader = scope.ServiceProvider.GetRequiredService<SeedLoader>();
        var loaded = await loader.LoadAsync(Manifest, CancellationToken.None);
        var events = await EventCountAsync();
        await loader.LoadAsync(Manifest, CancellationToken.None);
        (await EventCountAsync()).ShouldBe(events);

        await using var session = Store.QuerySession(Tenants.Default);
        var article = (await session.LoadAsync<DocumentView>(loaded.Documents["ctv-ndp-nagorno-karabakh"]))!;
        article.Revision.ShouldBe(2);
        article.Language.ShouldBe("en-CA");
        article.Publisher.ShouldBe("CTV News");
        var french = article.Translations.ShouldHaveSingleItem();
        (french.Language, french.SourceRevision, french.Method).ShouldBe(("fr-CA", 1, "human"));
        article.Verifications.Count.ShouldBe(3);

        var letter = (await session.LoadAsync<DocumentView>(loaded.Documents["open-letter-artsakh"]))!;
        letter.Revision.ShouldBe(1);
        letter.Translations.ShouldHaveSingleItem().Method.ShouldBe("machine+post-edit");
        letter.Verdicts.ShouldBe(["inconclusive", "verified"]);
        // Fixity runs of other tests add checks to every document; the corpus's own story is the rest.
        var stream = (await session.Events.FetchStreamAsync(letter.Id)).Where(e => e.Data is not FixityChecked).ToList();
        stream.Select(e => e.Data.GetType().Name).ShouldBe(["DocumentIngested", "DocumentTranslated", "DocumentTranslated",
            "DocumentVerified", "DocumentVerified", "DocumentVerified"]);
        ((DocumentTranslated)stream[1].Data).Actor.ShouldBe("archivist.tremblay");
    }

    private static string RepositoryRoot()
        => typeof(Loading_the_sample_corpus).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
               .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
}
