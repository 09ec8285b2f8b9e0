using System.Text.Json;
using Provenance.Ledger;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Reports;

public sealed class Verifying_reports_offline_with_the_CLI(AppFixture fixture, ITestOutputHelper output) : ReportsContext(fixture)
{
    Task<(int Exit, string Output)> RunAsync(params string[] args) => new CliRunner(Host, output).RunAsync(args);

    [Fact]
    public async Task verify_report_accepts_the_exported_report_and_rejects_it_with_one_byte_changed()
    {
        var corpus = await SeedAndCheckpointAsync();
        var (body, _, signature) = await GetReportAsync(corpus.Documents[Letter]);
        var key = (await LedgerKeyAsync()).VerifierKey;
        var folder = Directory.CreateTempSubdirectory("provenance-cli-");
        try
        {
            var report = Path.Combine(folder.FullName, "letter.json");
            await File.WriteAllBytesAsync(report, body);
            await File.WriteAllTextAsync(report + ".sig", signature + "\n");
            (await RunAsync("verify-report", report, "--key", key)).Exit.ShouldBe(0);

            var tampered = (byte[])body.Clone();
            var at = tampered.AsSpan().IndexOf("\"verdict\": \"verified\""u8);
            at.ShouldBeGreaterThan(0);
            tampered[at + "\"verdict\": \"".Length] = (byte)'V';
            await File.WriteAllBytesAsync(report, tampered);
            (await RunAsync("verify-report", report, "--key", key)).Exit.ShouldBe(1);

            // The untouched bytes under another trusted key fail too.
            await File.WriteAllBytesAsync(report, body);
            (await RunAsync("verify-report", report, "--key", PinnedSigner.Verifier.VerifierKey)).Exit.ShouldBe(1);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task verify_proof_checks_one_leaf_against_the_checkpoint_signed_by_a_trusted_key_and_fails_closed_without_one()
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
        var checkpoint = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(checkpoint, integrity.GetProperty("checkpoint").GetString());
            var key = await LedgerKeyAsync();
            string[] Proving(string leafHash) => ["verify-proof", "--leaf-hash", leafHash, "--proof", proof, "--checkpoint", checkpoint];
            var proving = Proving(leaf.GetProperty("leafHash").GetString()!);
            (await RunAsync([.. proving, "--key", key.VerifierKey])).Exit.ShouldBe(0);
            (await RunAsync([.. proving, "--key-url", CliRunner.Api])).Exit.ShouldBe(0);
            var other = integrity.GetProperty("events")[0].GetProperty("leafHash").GetString()!;
            (await RunAsync([.. Proving(other), "--key", key.VerifierKey])).Exit.ShouldBe(1);
            (await RunAsync([.. Proving("not base64!"), "--key", key.VerifierKey])).Exit.ShouldBe(1);

            // Fails closed: no key is exit 2, and a checkpoint is never checked with a key of someone else's choosing.
            var (exit, text) = await RunAsync(proving);
            exit.ShouldBe(2, text);
            text.ShouldContain("No trusted key");
            using var forger = LedgerSigner.Generate(key.Name);
            (exit, text) = await RunAsync([.. proving, "--key", forger.Verifier.VerifierKey]);
            exit.ShouldBe(1, text);
            text.ShouldContain("FAIL checkpoint");
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    [Fact]
    public async Task verify_proof_accepts_a_tlog_proof_file_alone_from_the_report_or_the_proof_endpoint()
    {
        var corpus = await SeedAndCheckpointAsync();
        var report = JsonDocument.Parse((await GetReportAsync(corpus.Documents[Article])).Body).RootElement;
        var integrity = report.GetProperty("integrity");
        var leaf = integrity.GetProperty("events")[1];
        var fromReport = leaf.GetProperty("tlogProof").GetString()!;
        var lines = fromReport.Split('\n');
        lines[0].ShouldBe("c2sp.org/tlog-proof@v1");
        lines[1].ShouldStartWith("extra ");
        lines[2].ShouldBe($"index {leaf.GetProperty("leafIndex").GetInt64()}");
        fromReport.ShouldEndWith("\n\n" + integrity.GetProperty("checkpoint").GetString());
        // The extra data is the entry: it hashes to the leaf.
        MerkleHash.LeafHash(Convert.FromBase64String(lines[1]["extra ".Length..])).ShouldBe(leaf.GetProperty("leafHash").GetBytesFromBase64());

        var sequence = leaf.GetProperty("sequence").GetInt64();
        var treeSize = integrity.GetProperty("treeSize").GetInt64();
        var fromEndpoint = await Host.Scenario(s =>
        {
            s.Get.Url($"/api/ledger/proofs/inclusion?sequence={sequence}&treeSize={treeSize}&format=tlog-proof");
            s.WithRequestHeader("Authorization", $"Bearer {KeyFor(Provenance.Api.Access.Roles.Reader)}");
        });
        fromEndpoint.Context.Response.ContentType.ShouldNotBeNull().ShouldStartWith("text/plain");
        (await fromEndpoint.ReadAsTextAsync()).ShouldBe(fromReport);

        var file = Path.GetTempFileName();
        try
        {
            var key = await LedgerKeyAsync();
            await File.WriteAllTextAsync(file, fromReport);
            var (exit, text) = await RunAsync("verify-proof", file, "--key", key.VerifierKey);
            exit.ShouldBe(0, text);
            text.ShouldContain($"event {sequence}");

            using var forger = LedgerSigner.Generate(key.Name);
            (await RunAsync("verify-proof", file, "--key", forger.Verifier.VerifierKey)).Exit.ShouldBe(1);
            (await RunAsync("verify-proof", file)).Exit.ShouldBe(2);
            (await RunAsync("verify-proof", file, "--checkpoint", file, "--key", key.VerifierKey)).Exit.ShouldBe(2);

            // One byte of the entry changed: its leaf is no longer the one the path leads from.
            var entry = Convert.FromBase64String(lines[1]["extra ".Length..]);
            entry[^1] ^= 1;
            await File.WriteAllTextAsync(file, fromReport.Replace(lines[1], "extra " + Convert.ToBase64String(entry)));
            (exit, text) = await RunAsync("verify-proof", file, "--key", key.VerifierKey);
            exit.ShouldBe(1, text);
            text.ShouldContain("FAIL inclusion");
            await File.WriteAllTextAsync(file, "c2sp.org/tlog-proof@v1\nindex 01\n\n");
            (await RunAsync("verify-proof", file, "--key", key.VerifierKey)).Exit.ShouldBe(1);
        }
        finally
        {
            File.Delete(file);
        }

        foreach (var query in new[] { $"sequence={sequence}&format=xml", $"sequence={sequence}&treeSize={treeSize - 1}&format=tlog-proof" })
        {
            var bad = await Host.Scenario(s =>
            {
                s.Get.Url($"/api/ledger/proofs/inclusion?{query}");
                s.WithRequestHeader("Authorization", $"Bearer {KeyFor(Provenance.Api.Access.Roles.Reader)}");
                s.StatusCodeShouldBe(422);
            });
            bad.Context.Response.ContentType.ShouldNotBeNull().ShouldStartWith("application/problem+json");
        }
    }
}
