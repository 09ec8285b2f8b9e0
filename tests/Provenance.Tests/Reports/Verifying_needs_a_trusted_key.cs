using System.Text;
using Provenance.Api.Access;
using Provenance.Api.Reports;
using Provenance.Ledger;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Reports;

/// <summary>
/// A verifier fails closed: <c>verify-report</c> and <c>verify-signature</c> pass (and <c>verify-proof</c>,
/// <see cref="Verifying_reports_offline_with_the_CLI"/>) (exit 0) only against a key
/// the user trusts (<c>--key</c>, <c>--key-file</c>, <c>--key-url</c>); without one they exit 2 and say why. Trusting the key a report
/// names is explicit (<c>--trust-embedded-key</c>) and ends in UNTRUSTED KEY, exit 3. Run through the real command tree.
/// </summary>
public sealed class Verifying_needs_a_trusted_key(AppFixture fixture, ITestOutputHelper output) : ReportsContext(fixture), IDisposable
{
    const string Api = CliRunner.Api;

    Task<(int Exit, string Output)> RunAsync(params string[] args) => new CliRunner(Host, output).RunAsync(args);

    DirectoryInfo? folder;

    public void Dispose() => folder?.Delete(recursive: true);

    string PathOf(string name) => Path.Combine((folder ??= Directory.CreateTempSubdirectory("provenance-verify-")).FullName, name);

    async Task<string> WriteAsync(string name, byte[] bytes, string? signature)
    {
        var path = PathOf(name);
        await File.WriteAllBytesAsync(path, bytes);
        if (signature is not null) await File.WriteAllTextAsync(path + ".sig", signature + "\n");
        return path;
    }

    /// <summary>A complete, self-consistent report of a real document, signed from end to end by a key the forger made up.</summary>
    async Task<string> ForgedReportAsync(Guid id)
    {
        var ledger = await LedgerKeyAsync();
        using var forger = LedgerSigner.Generate(ledger.Name);
        var bytes = JsonReport.Render(await PinnedReportAsync(id, forger));
        return await WriteAsync("forged.json", bytes, forger.SignDetached(bytes).ToString());
    }

    [Fact]
    public async Task A_forgers_self_signed_report_passes_no_verification()
    {
        var corpus = await SeedAndCheckpointAsync();
        var forged = await ForgedReportAsync(corpus.Documents[Letter]);
        var ledger = (await LedgerKeyAsync()).VerifierKey;
        var (exit, text) = await RunAsync("verify-report", forged);
        exit.ShouldBe(2, text);
        text.ShouldContain("No trusted key");
        text.ShouldContain("--key-url");
        text.ShouldNotContain("verified.");

        (exit, text) = await RunAsync("verify-report", forged, "--key", ledger);
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL key:");
        text.ShouldContain("forged.json: NOT verified.");

        (exit, text) = await RunAsync("verify-report", forged, "--key-url", Api);
        exit.ShouldBe(1, text);

        // Consistent with the key it names, which proves nothing about who made it.
        (exit, text) = await RunAsync("verify-report", forged, "--trust-embedded-key");
        exit.ShouldBe(3, text);
        text.ShouldContain("UNTRUSTED KEY");
        text.ShouldNotContain("forged.json: verified.");

        (exit, text) = await RunAsync("verify-signature", forged, "--key", ledger);
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL signature:");
    }

    [Fact]
    public async Task verify_report_passes_with_a_key_given_as_text_file_or_url_and_only_then()
    {
        var corpus = await SeedAndCheckpointAsync();
        var (body, _, signature) = await GetReportAsync(corpus.Documents[Article]);
        var key = (await LedgerKeyAsync()).VerifierKey;
        var report = await WriteAsync("article.json", body, signature);
        var keyFile = PathOf("ledger.key");
        await File.WriteAllTextAsync(keyFile, key + "\n");

        foreach (var trusted in new[] { new[] { "--key", key }, ["--key-file", keyFile], ["--key-url", Api], ["--key-url", Api + "/api/ledger/key"] })
        {
            var (exit, text) = await RunAsync(["verify-report", report, .. trusted]);
            exit.ShouldBe(0, text);
            text.ShouldContain("article.json: verified.");
        }

        (await RunAsync("verify-report", report)).Exit.ShouldBe(2);
        var (untrusted, said) = await RunAsync("verify-report", report, "--trust-embedded-key");
        untrusted.ShouldBe(3, said);
        said.ShouldContain("article.json: UNTRUSTED KEY");
        (await RunAsync("verify-report", report, "--key", "not-a-key")).Exit.ShouldBe(2);
        (await RunAsync("verify-report", report, "--key-file", PathOf("missing.key"))).Exit.ShouldBe(2);
        (await RunAsync("verify-report", report, "--key-url", "http://provenance.test/api/documents")).Exit.ShouldBe(2);
        (await RunAsync("verify-report", report, "--key", key, "--key-file", keyFile)).Exit.ShouldBe(2);
        (await RunAsync("verify-report", report, "--key", key, "--trust-embedded-key")).Exit.ShouldBe(2);
        (await RunAsync("verify-report", PathOf("missing.json"), "--key", key)).Exit.ShouldBe(2);
        (await RunAsync("verify-report")).Exit.ShouldBe(2);
        (await RunAsync("verify-report", report, "--key", key, "--no-such-option")).Exit.ShouldBe(2);
    }

    [Theory]
    [InlineData("json")] [InlineData("prov-json")] [InlineData("turtle")] [InlineData("jsonld")] [InlineData("premis")] [InlineData("csv")] [InlineData("pdf")]
    public async Task verify_signature_checks_the_detached_signature_of_every_export_format(string format)
    {
        var corpus = await SeedAndCheckpointAsync();
        var (body, _, signature) = await GetReportAsync(corpus.Documents[Letter], format);
        var key = (await LedgerKeyAsync()).VerifierKey;
        var extension = ReportFormats.All.Single(f => f.Name == format).Extension;
        var export = await WriteAsync($"letter.{extension}", body, signature);
        var (exit, text) = await RunAsync("verify-signature", export, "--key", key);
        exit.ShouldBe(0, text);
        text.ShouldContain($"letter.{extension}: signature verified.");
        (await RunAsync("verify-signature", export, "--key-url", Api)).Exit.ShouldBe(0);

        File.Move(export + ".sig", PathOf("elsewhere.sig"));
        (await RunAsync("verify-signature", export, "--sig", PathOf("elsewhere.sig"), "--key", key)).Exit.ShouldBe(0);
        (exit, text) = await RunAsync("verify-signature", export, "--key", key);
        exit.ShouldBe(2, text);
        text.ShouldContain(".sig");
        File.Move(PathOf("elsewhere.sig"), export + ".sig");

        (exit, text) = await RunAsync("verify-signature", export);
        exit.ShouldBe(2, text);
        text.ShouldContain("No trusted key");

        var tampered = (byte[])body.Clone();
        tampered[tampered.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(export, tampered);
        (exit, text) = await RunAsync("verify-signature", export, "--key", key);
        exit.ShouldBe(1, text);
        text.ShouldContain("NOT verified");
    }

    [Fact]
    public async Task verify_signature_checks_a_collection_report_against_its_sidecar_signature()
    {
        Fixture.Clock.Advance(TimeSpan.FromHours(1));
        var from = Fixture.Clock.GetUtcNow();
        await IngestAsync("Collected.\n", title: "In a collection report");
        await IngestAsync("Collected too.\n", title: "Also in a collection report");
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var to = Fixture.Clock.GetUtcNow();
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        await SignCheckpointAsync();
        string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'"));
        var key = (await LedgerKeyAsync()).VerifierKey;
        foreach (var format in new[] { "json", "csv" })
        {
            var query = $"from={Iso(from)}&to={Iso(to)}&format={format}";
            var report = await As(Roles.Auditor, s => s.Get.Url($"/api/reports/provenance?{query}"));
            report.Context.Response.StatusCode.ShouldBe(200);
            var sidecar = await As(Roles.Auditor, s => s.Get.Url($"/api/reports/provenance.sig?{query}"));
            var export = await WriteAsync($"period.{format}", Encoding.UTF8.GetBytes(await report.ReadAsTextAsync()), (await sidecar.ReadAsTextAsync()).Trim());

            var (exit, text) = await RunAsync("verify-signature", export, "--key", key);
            exit.ShouldBe(0, text);
            if (format == "json")
            {
                // JSON Lines of two documents are not one report: verify-report says which command checks them.
                (exit, text) = await RunAsync("verify-report", export, "--key", key);
                exit.ShouldBe(2, text);
                text.ShouldContain("provenance verify-signature");
            }
        }
    }

    [Theory, InlineData("pdf"), InlineData("premis"), InlineData("prov-json")]
    public async Task verify_report_on_another_export_points_to_verify_signature(string format)
    {
        var corpus = await SeedAndCheckpointAsync();
        var (body, _, signature) = await GetReportAsync(corpus.Documents[Letter], format);
        var export = await WriteAsync("letter.export", body, signature);
        var (exit, text) = await RunAsync("verify-report", export, "--key", (await LedgerKeyAsync()).VerifierKey);
        exit.ShouldBe(2, text);
        text.ShouldContain("not a provenance-report/1 JSON report");
        text.ShouldContain("provenance verify-signature");
    }
}
