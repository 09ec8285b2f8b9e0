using System.Text.Json;
using Provenance.Cli;
using Shouldly;

namespace Provenance.Tests.Reports;

public sealed class Verifying_reports_offline_with_the_CLI(AppFixture fixture) : ReportsContext(fixture)
{
    [Fact]
    public async Task verify_report_accepts_the_exported_report_and_rejects_it_with_one_byte_changed()
    {
        var corpus = await SeedAndCheckpointAsync();
        var (body, _, signature) = await GetReportAsync(corpus.Documents[Letter]);
        var key = (await LedgerKeyAsync()).VerifierKey;
        var folder = Directory.CreateTempSubdirectory("provenance-cli-");
        try
        {
            var report = new FileInfo(Path.Combine(folder.FullName, "letter.json"));
            await File.WriteAllBytesAsync(report.FullName, body);
            await File.WriteAllTextAsync(report.FullName + ".sig", signature + "\n");
            VerifyReportCommand.Run(report, null, key, null).ShouldBe(0);

            var tampered = (byte[])body.Clone();
            var at = tampered.AsSpan().IndexOf("\"verdict\": \"verified\""u8);
            at.ShouldBeGreaterThan(0);
            tampered[at + "\"verdict\": \"".Length] = (byte)'V';
            await File.WriteAllBytesAsync(report.FullName, tampered);
            VerifyReportCommand.Run(report, null, key, null).ShouldBe(1);

            // The untouched bytes under another trusted key fail too.
            await File.WriteAllBytesAsync(report.FullName, body);
            VerifyReportCommand.Run(report, null, PinnedSigner.Verifier.VerifierKey, null).ShouldBe(1);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task verify_proof_checks_one_leaf_against_the_signed_checkpoint()
    {
        var corpus = await SeedAndCheckpointAsync();
        var report = JsonDocument.Parse((await GetReportAsync(corpus.Documents[Article])).Body).RootElement;
        var integrity = report.GetProperty("integrity");
        var leaf = integrity.GetProperty("events")[1];
        var proof = JsonSerializer.Serialize(new
        {
            leafIndex = leaf.GetProperty("leafIndex").GetInt64(),
            treeSize = integrity.GetProperty("treeSize").GetInt64(),
            auditPath = leaf.GetProperty("auditPath"),
        });
        var checkpoint = new FileInfo(Path.GetTempFileName());
        try
        {
            await File.WriteAllTextAsync(checkpoint.FullName, integrity.GetProperty("checkpoint").GetString());
            var key = integrity.GetProperty("verifierKey").GetString()!;
            VerifyProofCommand.Run(leaf.GetProperty("leafHash").GetString()!, proof, checkpoint, key).ShouldBe(0);
            VerifyProofCommand.Run(integrity.GetProperty("events")[0].GetProperty("leafHash").GetString()!, proof, checkpoint, key).ShouldBe(1);
        }
        finally
        {
            checkpoint.Delete();
        }
    }
}
