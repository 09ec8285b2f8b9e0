using System.Text;
using System.Text.Json;
using Provenance.Api.Access;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Reports;

/// <summary><c>provenance import FOLDER</c>: media types from extensions, duplicates skipped, one line per failure naming its file, exit codes.</summary>
public sealed class Importing_a_folder_with_the_CLI(AppFixture fixture, ITestOutputHelper output) : ReportsContext(fixture)
{
    const string Api = CliRunner.Api;

    Task<(int Exit, string Output)> RunAsync(params string[] args) => new CliRunner(Host, output).RunAsync(args);

    static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R'];

    /// <summary>One file per accepted kind, named by extension; the titles carry a run id so the test's own documents are found by title.</summary>
    static Dictionary<string, (byte[] Bytes, string MediaType)> Files() => new()
    {
        ["notes.md"] = ("# Notes\n\nText.\n"u8.ToArray(), "text/markdown; charset=utf-8"),
        ["table.csv"] = ("a,b\n1,2\n"u8.ToArray(), "text/csv; charset=utf-8"),
        ["page.html"] = ("<p>Hello</p>\n"u8.ToArray(), "text/html; charset=utf-8"),
        ["record.xml"] = ("<record/>\n"u8.ToArray(), "application/xml; charset=utf-8"),
        ["data.json"] = ("{\"a\":1}\n"u8.ToArray(), "application/json; charset=utf-8"),
        ["scan.png"] = (Png, "image/png"),
        ["letter.pdf"] = ("%PDF-1.4\n%%EOF\n"u8.ToArray(), "application/pdf"),
    };

    [Fact]
    public async Task Every_accepted_type_is_imported_from_its_extension_a_second_run_skips_them_and_each_failure_is_one_line()
    {
        var importer = await Fixture.CreateKeyAsync($"cli.folder.{Guid.NewGuid():N}", Roles.Contributor);
        var run = Guid.NewGuid().ToString("N")[..8];
        var folder = Directory.CreateTempSubdirectory("provenance-import-");
        try
        {
            foreach (var (name, (bytes, _)) in Files())
            {
                await File.WriteAllBytesAsync(Path.Combine(folder.FullName, name), bytes);
                await File.WriteAllTextAsync(Path.Combine(folder.FullName, name + ".json"), JsonSerializer.Serialize(new { title = $"{run} {name}" }));
            }
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "menu.txt"), Encoding.Latin1.GetBytes("Caf\u00e9\n"));
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "blob.bin"), [1, 2, 3]);

            var (exit, text) = await RunAsync("import", folder.FullName, "--api", Api, "--key", importer);
            exit.ShouldBe(1, text);
            text.ShouldContain($"Imported 7 of 9 steps from {folder.FullName}");
            text.ShouldContain("2 failed.");
            var lines = text.Split('\n');
            lines.Single(l => l.StartsWith("menu.txt: ")).ShouldContain("byte 3 (counting from 0; value 0xE9)");
            lines.Single(l => l.StartsWith("menu.txt: ")).ShouldContain("iconv -f ISO-8859-1 -t UTF-8 'menu.txt'");
            lines.Single(l => l.StartsWith("menu.txt: ")).ShouldContain("(HTTP 422)");
            lines.Single(l => l.StartsWith("blob.bin: ")).ShouldContain("no media type for the extension '.bin'");

            foreach (var (name, (_, mediaType)) in Files())
            {
                var found = await GetJsonAsync(Roles.Reader, $"/api/documents?q={Uri.EscapeDataString($"{run} {name}")}");
                found.GetProperty("items").EnumerateArray().Single().GetProperty("mediaType").GetString().ShouldBe(mediaType, name);
            }

            File.Delete(Path.Combine(folder.FullName, "menu.txt"));
            File.Delete(Path.Combine(folder.FullName, "blob.bin"));
            (exit, text) = await RunAsync("import", folder.FullName, "--api", Api, "--key", importer);
            exit.ShouldBe(0, text);
            text.ShouldContain("Imported 0 of 7 steps");
            text.ShouldContain("7 skipped as already imported, 0 failed.");
            text.Split('\n').Single(l => l.StartsWith("warning: notes.md: ")).ShouldContain("already has this content, title and language");

            (exit, text) = await RunAsync("import", folder.FullName, "--allow-duplicates", "--api", Api, "--key", importer);
            exit.ShouldBe(0, text);
            text.ShouldContain("Imported 7 of 7 steps");
            var twice = await GetJsonAsync(Roles.Reader, $"/api/documents?q={Uri.EscapeDataString($"{run} notes.md")}");
            twice.GetProperty("items").GetArrayLength().ShouldBe(2);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_source_is_a_usage_error_and_a_refused_key_stops_before_any_file()
    {
        var (exit, text) = await RunAsync("import", "/nonexistent/inbox", "--api", Api, "--key", KeyFor(Roles.Contributor));
        exit.ShouldBe(2, text);
        text.ShouldContain("/nonexistent/inbox: neither a folder nor a manifest file.");

        var folder = Directory.CreateTempSubdirectory("provenance-import-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "a.txt"), "text\n");
            (exit, text) = await RunAsync("import", folder.FullName, "--api", Api, "--key", "pvk_not_a_key");
            exit.ShouldBe(3, text);
            text.ShouldContain("the API refused the key (401)");
            text.ShouldNotContain("a.txt");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
