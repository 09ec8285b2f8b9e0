using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Provenance.Api.Access;
using Provenance.Tests.Reports;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Packages;

public sealed class Exporting_OCFL_objects(AppFixture fixture, ITestOutputHelper output) : PackagesContext(fixture)
{
    Task<(int Exit, string Output)> CliAsync(params string[] args) => new CliRunner(Host, output).RunAsync(args);

    static string ReaderFolder => Path.Combine(ReportsFolder, "..", "Packages", "ocfl");

    /// <summary>The object as @ocfl/ocfl-fs reads it (node read.js), or null when node or the package is missing.</summary>
    async Task<JsonElement?> ReadWithOcflFsAsync(string root, string id)
    {
        if (!Directory.Exists(Path.Combine(ReaderFolder, "node_modules", "@ocfl", "ocfl-fs")))
        {
            output.WriteLine("@ocfl/ocfl-fs is not installed (cd tests/Provenance.Tests/Packages/ocfl && npm ci): read with it skipped.");
            return null;
        }
        var start = new ProcessStartInfo("node", [Path.Combine(ReaderFolder, "read.js"), root, id]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        node.ExitCode.ShouldBe(0, await stderr);
        return JsonDocument.Parse(await stdout).RootElement.Clone();
    }

    [Fact]
    public async Task Each_revision_is_a_version_that_OCFL_rules_accept_and_ocfl_fs_reads_byte_for_byte_and_a_rerun_only_adds_versions()
    {
        var id = await DocumentWithAHistoryAsync();
        var root = Path.Combine(Scratch.FullName, "ocfl");
        var auditor = KeyFor(Roles.Auditor);
        var (exit, text) = await CliAsync("export-ocfl", "--to", root, "--document", id.ToString(), "--api", CliRunner.Api, "--key", auditor);
        exit.ShouldBe(0, text);
        text.ShouldContain("4 new version(s)");
        Ocfl11.ValidateRoot(root).ShouldBeEmpty();

        var read = await ReadWithOcflFsAsync(root, $"urn:uuid:{id}");
        if (read is { } o)
        {
            o.GetProperty("head").GetString().ShouldBe("v4");
            string File(string version, string path) => Encoding.UTF8.GetString(Convert.FromBase64String(o.GetProperty("versions").GetProperty(version).GetProperty("files").GetProperty(path).GetString()!));
            File("v1", "content.txt").ShouldBe(Encoding.UTF8.GetString(await ContentAsync(id, 1)));
            o.GetProperty("versions").GetProperty("v1").GetProperty("files").EnumerateObject().ShouldNotContain(f => f.Name.StartsWith("translations/"));
            // The fr-CA translation of revision 1 was recorded after it: it appears in the next version, with revision 2.
            File("v2", "content.txt").ShouldBe(Encoding.UTF8.GetString(await ContentAsync(id, 2)));
            File("v2", "translations/fr-CA.txt").ShouldBe("Premier texte.\n");
            File("v3", "content.txt").ShouldBe(Encoding.UTF8.GetString(await ContentAsync(id, 3)));
            File("v3", "translations/fr-CA.txt").ShouldBe(Encoding.UTF8.GetString(await ContentAsync(id, 2, "fr-CA")));
            File("v3", "translations/de.txt").ShouldBe(Encoding.UTF8.GetString(await ContentAsync(id, 2, "de")));
            File("v3", "provenance/tlog-proofs/event-0006.tlog-proof").ShouldStartWith("c2sp.org/tlog-proof@v1\n");
            var v2 = o.GetProperty("versions").GetProperty("v2");
            v2.GetProperty("message").GetString().ShouldBe("A correction.");
            v2.GetProperty("user").GetProperty("name").GetString().ShouldBe("test.contributor");
            o.GetProperty("versions").GetProperty("v4").GetProperty("message").GetString()!.ShouldContain("after revision 3");
            File("v4", "provenance/report.json").ShouldContain($"\"id\": \"{id}\"");
        }

        var key = (await LedgerKeyAsync()).VerifierKey;
        (exit, text) = await CliAsync("verify-ocfl", root, "--key", key);
        exit.ShouldBe(0, text);

        var objectRoot = Directory.GetParent(Directory.EnumerateFiles(root, "0=ocfl_object_1.1", SearchOption.AllDirectories).Single())!.FullName;
        var v1Inventory = await System.IO.File.ReadAllBytesAsync(Path.Combine(objectRoot, "v1", "inventory.json"));
        await EditAsync(id, 3, "First text, corrected a third time.\nSecond line.\n");
        await SignCheckpointAsync();
        (exit, text) = await CliAsync("export-ocfl", "--to", root, "--document", id.ToString(), "--api", CliRunner.Api, "--key", auditor);
        exit.ShouldBe(0, text);
        text.ShouldContain("1 new version(s)");
        Ocfl11.ValidateRoot(root).ShouldBeEmpty();
        (await System.IO.File.ReadAllBytesAsync(Path.Combine(objectRoot, "v1", "inventory.json"))).ShouldBe(v1Inventory);
        (await CliAsync("export-ocfl", "--to", root, "--document", id.ToString(), "--api", CliRunner.Api, "--key", auditor)).Output.ShouldContain("0 new version(s)");
        (await CliAsync("verify-ocfl", root, "--key", key)).Exit.ShouldBe(0);
        if (await ReadWithOcflFsAsync(root, $"urn:uuid:{id}") is { } again)
        {
            again.GetProperty("head").GetString().ShouldBe("v5");
            Encoding.UTF8.GetString(Convert.FromBase64String(again.GetProperty("versions").GetProperty("v5").GetProperty("files").GetProperty("content.txt").GetString()!))
                .ShouldBe(Encoding.UTF8.GetString(await ContentAsync(id, 4)));
        }
    }

    [Fact]
    public async Task A_changed_content_byte_or_inventory_digest_fails_verify_ocfl_naming_it()
    {
        var id = await DocumentWithAHistoryAsync();
        var root = Path.Combine(Scratch.FullName, "ocfl");
        (await CliAsync("export-ocfl", "--to", root, "--document", id.ToString(), "--api", CliRunner.Api, "--key", KeyFor(Roles.Auditor))).Exit.ShouldBe(0);
        var key = (await LedgerKeyAsync()).VerifierKey;
        var objectRoot = Directory.GetParent(Directory.EnumerateFiles(root, "0=ocfl_object_1.1", SearchOption.AllDirectories).Single())!.FullName;

        var content = Path.Combine(objectRoot, "v1", "content", "content.txt");
        var original = await File.ReadAllBytesAsync(content);
        var changed = (byte[])original.Clone();
        changed[0] ^= 0x20;
        await File.WriteAllBytesAsync(content, changed);
        var (exit, text) = await CliAsync("verify-ocfl", root, "--key", key);
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL v1/content/content.txt: sha512 is");
        Ocfl11.ValidateRoot(root).ShouldContain(e => e.Contains("v1/content/content.txt does not match its digest"));
        await File.WriteAllBytesAsync(content, original);

        var inventory = Path.Combine(objectRoot, "inventory.json");
        var json = await File.ReadAllTextAsync(inventory);
        var digest = JsonDocument.Parse(json).RootElement.GetProperty("manifest").EnumerateObject().First(p => p.Value[0].GetString() == "v1/content/content.txt").Name;
        await File.WriteAllTextAsync(inventory, json.Replace(digest, new string('0', 128)));
        (exit, text) = await CliAsync("verify-ocfl", root, "--key", key);
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL inventory.json: sha512 is");
        text.ShouldContain("FAIL v1/content/content.txt: sha512 is");
        await File.WriteAllTextAsync(inventory, json);
        (exit, text) = await CliAsync("verify-ocfl", root, "--key", PinnedSigner.Verifier.VerifierKey);
        exit.ShouldBe(1, text);
    }
}
