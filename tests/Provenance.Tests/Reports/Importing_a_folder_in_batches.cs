using System.Text.Json;
using Provenance.Api.Access;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Reports;

/// <summary>
/// <c>provenance import FOLDER</c> sends the folder in batches (<c>POST /api/documents/batch</c>, one transaction each), records a cursor
/// after every batch, resumes after the last recorded batch when run again, and lets the API skip what is already there.
/// </summary>
public sealed class Importing_a_folder_in_batches(AppFixture fixture, ITestOutputHelper output) : ReportsContext(fixture)
{
    const string Api = CliRunner.Api;

    Task<(int Exit, string Output)> RunAsync(params string[] args) => new CliRunner(Host, output).RunAsync(args);

    static async Task<DirectoryInfo> FolderAsync(string run, int count)
    {
        var folder = Directory.CreateTempSubdirectory("provenance-batches-");
        for (var i = 0; i < count; i++)
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, $"{run}-{i:D3}.txt"), $"Document {i} of run {run}.\n");
        return folder;
    }

    async Task<int> CountAsync(string run)
        => (await GetJsonAsync(Roles.Reader, $"/api/documents?q={run}&limit=100")).GetProperty("items").GetArrayLength();

    [Fact]
    public async Task A_folder_goes_in_batches_and_a_second_run_skips_every_document_the_API_already_has()
    {
        var importer = await Fixture.CreateKeyAsync($"cli.batches.{Guid.NewGuid():N}", Roles.Contributor);
        var run = Guid.NewGuid().ToString("N")[..10];
        var folder = await FolderAsync(run, 25);
        try
        {
            var (exit, text) = await RunAsync("import", folder.FullName, "--batch-size", "10", "--api", Api, "--key", importer);
            exit.ShouldBe(0, text);
            text.ShouldContain($"Imported 25 of 25 steps from {folder.FullName}");
            (await CountAsync(run)).ShouldBe(25);
            File.Exists(Path.Combine(folder.FullName, ".provenance-import.json")).ShouldBeFalse("a finished import leaves no cursor");

            (exit, text) = await RunAsync("import", folder.FullName, "--batch-size", "10", "--api", Api, "--key", importer);
            exit.ShouldBe(0, text);
            text.ShouldContain("Imported 0 of 25 steps");
            text.ShouldContain("25 skipped as already imported, 0 failed.");
            (await CountAsync(run)).ShouldBe(25);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task An_interrupted_import_resumes_after_the_last_batch_its_cursor_recorded()
    {
        var importer = await Fixture.CreateKeyAsync($"cli.resume.{Guid.NewGuid():N}", Roles.Contributor);
        var run = Guid.NewGuid().ToString("N")[..10];
        var folder = await FolderAsync(run, 30);
        try
        {
            // What an import stopped after its second batch of ten leaves behind.
            var cursor = Path.Combine(folder.FullName, ".provenance-import.json");
            await File.WriteAllTextAsync(cursor, JsonSerializer.Serialize(new
            {
                source = folder.FullName, api = Api + "/", run = "interrupted", done = 20, last = $"{run}-019.txt",
            }));
            // --allow-duplicates: only the cursor keeps the first twenty out.
            var (exit, text) = await RunAsync("import", folder.FullName, "--batch-size", "10", "--allow-duplicates", "--api", Api, "--key", importer);
            exit.ShouldBe(0, text);
            text.ShouldContain("Resumed after the first 20 files");
            text.ShouldContain("Imported 10 of 30 steps");
            var found = (await GetJsonAsync(Roles.Reader, $"/api/documents?q={run}&limit=100")).GetProperty("items").EnumerateArray()
                .Select(d => d.GetProperty("title").GetString()!).Order().ToList();
            found.ShouldBe(Enumerable.Range(20, 10).Select(i => $"{run}-{i:D3}").ToList());
            File.Exists(cursor).ShouldBeFalse();

            // A cursor of another folder (or a changed one) is not trusted: the import starts from the first file.
            await File.WriteAllTextAsync(cursor, JsonSerializer.Serialize(new { source = "/elsewhere", api = Api + "/", run = "other", done = 20, last = $"{run}-019.txt" }));
            (exit, text) = await RunAsync("import", folder.FullName, "--batch-size", "10", "--api", Api, "--key", importer);
            exit.ShouldBe(0, text);
            text.ShouldNotContain("Resumed");
            text.ShouldContain("Imported 20 of 30 steps");
            text.ShouldContain("10 skipped as already imported");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_batch_endpoint_skips_duplicates_of_stored_documents_and_of_its_own_earlier_items_when_asked()
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        object Doc(string title, string text) => new { title, language = "en", content = text, mediaType = "text/plain" };
        var first = await As(Roles.Contributor, s => s.Post.Json(new { documents = new[] { Doc($"{run} a", "A.\n") } }).ToUrl("/api/documents/batch"));
        var a = JsonDocument.Parse(first.ReadAsText()).RootElement.GetProperty("items")[0].GetProperty("id").GetGuid();

        var second = await As(Roles.Contributor, s => s.Post.Json(new
        {
            documents = new[] { Doc($"{run} a", "A.\n"), Doc($"{run} b", "B.\n"), Doc($"{run} b", "B.\n"), Doc($"{run} a", "Other text.\n") },
            skipDuplicates = true,
        }).ToUrl("/api/documents/batch"));
        second.Context.Response.StatusCode.ShouldBe(201);
        var items = JsonDocument.Parse(second.ReadAsText()).RootElement.GetProperty("items").EnumerateArray().ToList();
        items.Select(i => i.GetProperty("duplicate").GetBoolean()).ShouldBe([true, false, true, false]);
        items[0].GetProperty("id").GetGuid().ShouldBe(a);
        items[2].GetProperty("id").GetGuid().ShouldBe(items[1].GetProperty("id").GetGuid());
        (await CountAsync(run)).ShouldBe(3);
    }
}
