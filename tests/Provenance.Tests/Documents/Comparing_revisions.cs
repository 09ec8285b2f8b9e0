using System.Text;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Documents;

public sealed class Comparing_revisions(AppFixture fixture) : ArchiveContext(fixture)
{
    private const string Before = "Ստեփանակերտ is the capital.\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
    private const string After = "Ստեփանակերտ est la capitale.\nb\nc\nd\ne\nf\ng\nh\ni\nk\n";

    [Fact]
    public async Task A_unified_diff_names_the_revisions_and_digests_with_three_lines_of_context()
    {
        var doc = await IngestAsync(Before, "en", "Diff story");
        await EditAsync(doc.Id, 1, After);

        var result = await GetAsync($"/api/documents/{doc.Id}/diff?from=1&to=2", accept: "text/x-diff");
        result.Context.Response.StatusCode.ShouldBe(200);
        result.Context.Response.ContentType.ShouldBe("text/x-diff; charset=utf-8");
        (await result.ReadAsTextAsync()).ShouldBe(
            $"--- revision 1\t{ContentDigest.Of(Encoding.UTF8.GetBytes(Before))}\n" +
            $"+++ revision 2\t{ContentDigest.Of(Encoding.UTF8.GetBytes(After))}\n" +
            "@@ -1,4 +1,4 @@\n-Ստեփանակերտ is the capital.\n+Ստեփանակերտ est la capitale.\n b\n c\n d\n" +
            "@@ -7,4 +7,4 @@\n g\n h\n i\n-j\n+k\n");
    }

    [Fact]
    public async Task The_structured_diff_has_line_hunks_with_word_changes()
    {
        var doc = await IngestAsync(Before, "en", "Diff story");
        await EditAsync(doc.Id, 1, After);

        var diff = await OkJsonAsync<DocumentDiff>(await GetAsync($"/api/documents/{doc.Id}/diff?from=1&to=2", accept: "application/json"));
        diff.Binary.ShouldBeFalse();
        diff.Identical.ShouldBeFalse();
        diff.LinesAdded.ShouldBe(2);
        diff.LinesRemoved.ShouldBe(2);
        diff.Hunks.Select(h => (h.OldStart, h.OldCount, h.NewStart, h.NewCount)).ShouldBe([(1, 4, 1, 4), (7, 4, 7, 4)]);
        var changed = diff.Hunks[0].Lines[0];
        changed.Kind.ShouldBe("changed");
        (changed.OldLine, changed.NewLine).ShouldBe((1, 1));
        changed.Words.ShouldNotBeNull();
        string.Concat(changed.Words.Where(w => w.Kind != "added").Select(w => w.Text)).ShouldBe("Ստեփանակերտ is the capital.");
        string.Concat(changed.Words.Where(w => w.Kind != "removed").Select(w => w.Text)).ShouldBe("Ստեփանակերտ est la capitale.");
        changed.Words[0].ShouldBe(new WordChange("equal", "Ստեփանակերտ "));
        changed.Words.Where(w => w.Kind == "removed").Select(w => w.Text).ShouldBe(["is", "the", "capital"]);
        changed.Words.Where(w => w.Kind == "added").Select(w => w.Text).ShouldBe(["est", "la", "capitale"]);
        diff.Hunks[1].Lines.Select(l => l.Kind).ShouldBe(["context", "context", "context", "changed"]);
    }

    [Fact]
    public async Task A_revision_compared_with_itself_is_an_empty_diff()
    {
        var doc = await IngestAsync(Before, "en", "Diff story");
        var json = await OkJsonAsync<DocumentDiff>(await GetAsync($"/api/documents/{doc.Id}/diff?from=1&to=1"));
        json.Identical.ShouldBeTrue();
        json.Hunks.ShouldBeEmpty();
        var text = await GetAsync($"/api/documents/{doc.Id}/diff?from=1&to=1", accept: "text/x-diff");
        text.Context.Response.StatusCode.ShouldBe(200);
        (await text.ReadAsTextAsync()).ShouldBe("");
    }

    [Fact]
    public async Task With_a_language_the_translations_of_the_two_revisions_are_compared()
    {
        var doc = await IngestAsync("One.\n", "en", "Diff story");
        await TranslateAsync(doc.Id, "fr", "Un élément.\n");
        await EditAsync(doc.Id, 1, "One, again.\n");
        await TranslateAsync(doc.Id, "fr", "Un élément, à nouveau.\n", sourceRevision: 2);

        var text = await GetAsync($"/api/documents/{doc.Id}/diff?from=1&to=2&language=fr", accept: "text/x-diff, application/json;q=0.5");
        (await text.ReadAsTextAsync()).ShouldBe(
            $"--- revision 1 (fr)\t{ContentDigest.Of(Encoding.UTF8.GetBytes("Un élément.\n"))}\n" +
            $"+++ revision 2 (fr)\t{ContentDigest.Of(Encoding.UTF8.GetBytes("Un élément, à nouveau.\n"))}\n" +
            "@@ -1 +1 @@\n-Un élément.\n+Un élément, à nouveau.\n");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{doc.Id}/diff?from=1&to=2&language=de"), 404, "not-found");
    }

    [Fact]
    public async Task Binary_revisions_are_compared_by_digest_and_size_only()
    {
        var first = Encoding.ASCII.GetBytes("%PDF-1.4\nfirst\n%%EOF\n");
        var second = Encoding.ASCII.GetBytes("%PDF-1.4\nsecond version\n%%EOF\n");
        var ingest = await As(Roles.Contributor, s => s.Post.Json(new { title = "A PDF", language = "en", contentBase64 = Convert.ToBase64String(first), mediaType = "application/pdf" })
            .ToUrl("/api/documents"));
        var doc = (await ingest.ReadAsJsonAsync<DocumentResource>())!;
        var edit = await As(Roles.Contributor, s =>
        {
            s.Post.Json(new { contentBase64 = Convert.ToBase64String(second), mediaType = "application/pdf", reason = "Rescan" })
                .ToUrl($"/api/documents/{doc.Id}/revisions");
            s.WithRequestHeader("If-Match", "\"1\"");
        });
        edit.Context.Response.StatusCode.ShouldBe(201);

        var diff = await OkJsonAsync<DocumentDiff>(await GetAsync($"/api/documents/{doc.Id}/diff?from=1&to=2"));
        diff.Binary.ShouldBeTrue();
        diff.Hunks.ShouldBeEmpty();
        (diff.From.Size, diff.To.Size).ShouldBe((first.Length, second.Length));
        diff.To.ContentDigest.ShouldBe(ContentDigest.Of(second));
        diff.Note.ShouldNotBeNull().ShouldContain("digest and size only");
        var text = await GetAsync($"/api/documents/{doc.Id}/diff?from=1&to=2", accept: "text/x-diff");
        (await text.ReadAsTextAsync()).ShouldBe($"Binary files revision 1\t{ContentDigest.Of(first)} and revision 2\t{ContentDigest.Of(second)} differ\n");
    }

    [Fact]
    public async Task Unknown_revisions_and_bad_parameters_are_problems()
    {
        var doc = await IngestAsync(Before, "en", "Diff story");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{doc.Id}/diff?from=1&to=3"), 404, "not-found");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{doc.Id}/diff?from=1"), 422, "validation");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{doc.Id}/diff?from=zero&to=1"), 422, "validation");
        await ShouldBeProblemAsync(await GetAsync($"/api/documents/{Guid.NewGuid()}/diff?from=1&to=1"), 404, "not-found");
    }
}

public sealed class Unified_diffs_of_text
{
    [Fact]
    public void A_missing_final_newline_is_marked()
        => TextDiff.Unified("a\nb", "a\nb\n", "x", "y").ShouldBe("--- x\n+++ y\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");

    [Fact]
    public void Text_added_to_an_empty_text_starts_at_line_zero_on_the_old_side()
        => TextDiff.Unified("", "first\n", "x", "y").ShouldBe("--- x\n+++ y\n@@ -0,0 +1 @@\n+first\n");

    [Fact]
    public void Identical_texts_have_no_hunks()
    {
        TextDiff.Unified("same\n", "same\n", "x", "y").ShouldBe("");
        TextDiff.Hunks("same\n", "same\n").ShouldBeEmpty();
    }

    [Fact]
    public void Distant_changes_make_separate_hunks_and_close_ones_merge()
    {
        var old = string.Concat(Enumerable.Range(1, 20).Select(i => $"{i}\n"));
        TextDiff.Hunks(old, old.Replace("2\n", "two\n").Replace("18\n", "eighteen\n")).Count.ShouldBe(2);
        TextDiff.Hunks(old, old.Replace("2\n", "two\n").Replace("8\n", "eight\n")).Count.ShouldBe(1);
    }
}
