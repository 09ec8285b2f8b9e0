using Microsoft.Extensions.Time.Testing;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Documents;

/// <summary>
/// The decisions themselves, with no database and no HTTP: each use case's <c>Validate</c> says why a command cannot be recorded
/// against the current view, and its <c>Decide</c>/<c>Record</c> returns the events, the content to store and the answer.
/// </summary>
public sealed class Deciding_document_changes
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2023, 9, 21, 10, 0, 0, TimeSpan.Zero));
    private static readonly Guid Id = Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");

    private static IngestDocument Ingestion(string title = "Open letter", string language = "en-CA", string content = "First line.\nSecond line.\n")
        => new(title, language, content, null, null, "letter.txt", "https://example.org/letter", " Press ", null, null, " Received. ")
        {
            DocumentId = Id, Actor = "alice", Upload = ContentSubmission.FromText(content),
        };

    private static DocumentView Ingested()
    {
        var (ingested, _) = Ingest.Decide(Ingestion());
        return DocumentViewProjection.Next(null, ingested, Clock.GetUtcNow());
    }

    private static EditDocument Edition(int? baseRevision, string content = "First line.\nSecond line, corrected.\n", string? reason = "Typo.")
        => new(content, null, null, reason) { DocumentId = Id, BaseRevision = baseRevision, Actor = "bob", Upload = ContentSubmission.FromText(content) };

    [Fact]
    public void An_ingestion_starts_the_stream_at_revision_1_with_trimmed_fields_and_the_content_to_store()
    {
        Ingest.Validate(Ingestion(), 1_000_000).ShouldBeNull();
        var (ingested, store) = Ingest.Decide(Ingestion());

        ingested.DocumentId.ShouldBe(Id);
        ingested.Language.ShouldBe("en-CA");
        ingested.MediaType.ShouldStartWith("text/plain");
        ingested.Publisher.ShouldBe("Press");
        ingested.Reason.ShouldBe("Received.");
        ingested.Channel.ShouldBe(Ingest.DefaultChannel);
        ingested.Actor.ShouldBe("alice");
        store.Content.Digest.ShouldBe(ingested.ContentDigest);

        var (resource, _, _) = Ingest.Record(Ingestion(), Clock);
        resource.Revision.ShouldBe(1);
        resource.Location.ShouldBe($"/api/documents/{Id}");
    }

    [Theory]
    [InlineData("", "en", "title")]
    [InlineData("A title", "not a language tag!", "language")]
    [InlineData("A bell \u0007", "en", "title")]
    public void An_ingestion_with_a_bad_field_is_refused_naming_it(string title, string language, string field)
    {
        var problem = Ingest.Validate(Ingestion(title, language), 1_000_000).ShouldBeOfType<Microsoft.AspNetCore.Mvc.ValidationProblemDetails>();
        problem.Status.ShouldBe(422);
        problem.Errors.Keys.ShouldContain(field);
    }

    [Fact]
    public void Content_over_the_limit_is_a_413_not_a_422()
        => Ingest.Validate(Ingestion(content: new string('x', 2000)), 1000)!.Status.ShouldBe(413);

    [Fact]
    public void An_edit_needs_the_revision_it_is_based_on()
        => Edit.Validate(Edition(baseRevision: null), Ingested(), 1_000_000)!.Status.ShouldBe(428);

    [Fact]
    public void An_edit_based_on_an_older_revision_is_stale()
    {
        var current = DocumentViewProjection.Next(Ingested(), Edit.Decide(Edition(1), Ingested(), LineChanges.None).Edited, Clock.GetUtcNow());
        var problem = Edit.Validate(Edition(1, "Another text.\n"), current, 1_000_000)!;
        problem.Status.ShouldBe(412);
        problem.Type.ShouldBe("urn:provenance:problem:stale-revision");
    }

    [Fact]
    public void An_edit_that_changes_nothing_is_refused()
        => Edit.Validate(Edition(1, "First line.\nSecond line.\n"), Ingested(), 1_000_000)!.Type.ShouldBe("urn:provenance:problem:unchanged-content");

    [Fact]
    public void An_edit_without_a_reason_is_refused()
        => Edit.Validate(Edition(1, reason: " "), Ingested(), 1_000_000)!.Status.ShouldBe(422);

    [Fact]
    public void An_edit_is_the_next_revision_with_its_line_counts_and_the_view_it_leads_to()
    {
        var current = Ingested();
        Edit.Validate(Edition(1), current, 1_000_000).ShouldBeNull();
        var lines = LineChanges.Between("First line.\nSecond line.\n"u8.ToArray(), "First line.\nSecond line, corrected.\n"u8.ToArray());
        lines.ShouldBe(new LineChanges(1, 1));

        var (resource, events, store) = Edit.Record(Edition(1), current, lines, Clock);
        var edited = events.ShouldHaveSingleItem().ShouldBeOfType<DocumentEdited>();
        edited.Revision.ShouldBe(2);
        edited.BaseRevision.ShouldBe(1);
        edited.LinesAdded.ShouldBe(1);
        edited.LinesRemoved.ShouldBe(1);
        edited.Actor.ShouldBe("bob");
        store.Content.Digest.ShouldBe(edited.ContentDigest);
        resource.Revision.ShouldBe(2);
        resource.Location.ShouldBe($"/api/documents/{Id}/revisions/2");
        current.Revision.ShouldBe(1, "the current view is not changed by deciding");
    }

    [Fact]
    public void A_translation_of_a_revision_that_does_not_exist_is_refused_and_a_valid_one_names_its_source()
    {
        var current = Ingested();
        var content = "Première ligne.\n";
        TranslateDocument Translation(int? source) => new("fr-CA", source, content, null, null, "A. Traductrice", "human", null)
        {
            DocumentId = Id, Actor = "carol", Upload = ContentSubmission.FromText(content),
        };

        Translate.Validate(Translation(5), current, 1_000_000)!.Type.ShouldBe("urn:provenance:problem:unknown-revision");
        Translate.Validate(Translation(null), current, 1_000_000).ShouldBeNull();
        var (resource, events, _) = Translate.Record(Translation(null), current, Clock);
        var translated = events.ShouldHaveSingleItem().ShouldBeOfType<DocumentTranslated>();
        translated.SourceRevision.ShouldBe(1);
        translated.Language.ShouldBe("fr-CA");
        translated.Method.ShouldBe("human");
        resource.Location.ShouldBe($"/api/documents/{Id}/content?language=fr-CA&revision=1");
    }
}
