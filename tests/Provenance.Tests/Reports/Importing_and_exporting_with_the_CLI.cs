using System.Text.Json;
using Provenance.Api.Access;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Reports;

/// <summary>The CLI's own command tree, run in-process against the test host (<see cref="CliRunner"/>).</summary>
public sealed class Importing_and_exporting_with_the_CLI(AppFixture fixture, ITestOutputHelper output) : ReportsContext(fixture)
{
    const string Api = CliRunner.Api;

    Task<(int Exit, string Output)> RunAsync(params string[] args) => new CliRunner(Host, output).RunAsync(args);

    [Fact]
    public async Task Import_a_manifest_and_a_folder_then_export_a_report_that_verify_report_accepts()
    {
        var importer = await Fixture.CreateKeyAsync($"cli.importer.{Guid.NewGuid():N}", Roles.Contributor, Roles.Verifier);
        var manifest = Path.Combine(RepositoryRoot(), "seeds", "manifest.json");
        var steps = JsonDocument.Parse(await File.ReadAllBytesAsync(manifest)).RootElement.GetProperty("documents").EnumerateArray()
            .Sum(d => d.GetProperty("steps").GetArrayLength());

        var (exit, text) = await RunAsync("import", manifest, "--allow-duplicates", "--api", Api, "--key", importer);
        exit.ShouldBe(0, text);
        text.ShouldContain($"Imported {steps} of {steps} steps from {manifest}");
        text.ShouldContain("0 failed.");

        var folder = Directory.CreateTempSubdirectory("provenance-inbox-");
        try
        {
            var title = $"Communiqué {Guid.NewGuid():N}";
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "communique.txt"), "Le texte du communiqué.\n");
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "communique.txt.json"),
                JsonSerializer.Serialize(new { title, language = "fr-CA", sourceUri = "https://example.org/communique", publisher = "Example" }));
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "notes.txt"), "Notes without a sidecar.\n");
            (exit, text) = await RunAsync("import", folder.FullName, "--language", "en-CA", "--allow-duplicates", "--api", Api, "--key", importer);
            exit.ShouldBe(0, text);
            text.ShouldContain($"Imported 2 of 2 steps from {folder.FullName}");

            // The sidecar's metadata is what the API recorded.
            var found = await GetJsonAsync(Roles.Reader, $"/api/documents?q={Uri.EscapeDataString(title)}");
            var document = found.GetProperty("items").EnumerateArray().Single();
            document.GetProperty("language").GetString().ShouldBe("fr-CA");
            var id = document.GetProperty("id").GetGuid();
            var view = await GetJsonAsync(Roles.Reader, $"/api/documents/{id}");
            view.GetProperty("sourceUri").GetString().ShouldBe("https://example.org/communique");
            view.GetProperty("createdBy").GetString().ShouldStartWith("cli.importer.");

            await SignCheckpointAsync();
            var report = Path.Combine(folder.FullName, "communique.report.json");
            (exit, text) = await RunAsync("export", id.ToString(), "--format", "json", "--out", report, "--api", Api, "--key", KeyFor(Roles.Auditor));
            exit.ShouldBe(0, text);
            text.ShouldContain($"Wrote {report} (");
            text.ShouldContain("and communique.report.json.sig.");
            File.Exists(report + ".sig").ShouldBeTrue();

            var key = (await LedgerKeyAsync()).VerifierKey;
            (exit, text) = await RunAsync("verify-report", report, "--key", key);
            exit.ShouldBe(0, text);
            text.ShouldContain("PASS signature:");
            text.ShouldContain("PASS events: 1 events");
            text.ShouldContain("communique.report.json: verified.");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
