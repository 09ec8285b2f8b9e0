using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Provenance.Api.Access;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Packages;

public sealed class Exporting_bags(AppFixture fixture, ITestOutputHelper output) : PackagesContext(fixture)
{
    Task<(int Exit, string Output)> CliAsync(params string[] args) => new Reports.CliRunner(Host, output).RunAsync(args);

    async Task<string> KeyAsync() => (await LedgerKeyAsync()).VerifierKey;

    [Fact]
    public async Task A_documents_bag_is_valid_BagIt_and_holds_every_revision_and_translation_byte_for_byte_beside_its_provenance()
    {
        var id = await DocumentWithAHistoryAsync();
        var zip = await PackageAsync(id);
        Rfc8493.Validate(zip).ShouldBeEmpty();

        var (root, files, _) = Rfc8493.Unpack(zip);
        root.ShouldBe($"provenance-{id}");
        files["data/revisions/revision-0001.txt"].ShouldBe(await ContentAsync(id, 1));
        files["data/revisions/revision-0002.txt"].ShouldBe(await ContentAsync(id, 2));
        files["data/revisions/revision-0003.txt"].ShouldBe(await ContentAsync(id, 3));
        files["data/translations/fr-CA/revision-0001.txt"].ShouldBe(Encoding.UTF8.GetBytes("Premier texte.\n"));
        files["data/translations/fr-CA/revision-0002.txt"].ShouldBe(await ContentAsync(id, 2, "fr-CA"));
        files["data/translations/de/revision-0002.txt"].ShouldBe(await ContentAsync(id, 2, "de"));
        files.Keys.Where(k => k.StartsWith("data/")).Count().ShouldBe(6);
        files.Keys.ShouldAllBe(k => !k.Contains("passwd") && !k.Contains(".."));

        var info = Encoding.UTF8.GetString(files["bag-info.txt"]);
        info.ShouldContain($"External-Identifier: {id}\n");
        info.ShouldContain("Source-Organization: ");
        info.ShouldContain("Bag-Software-Agent: Provenance");
        info.ShouldContain("Bag-Size: ");
        info.ShouldContain($"Bagging-Date: ");

        foreach (var tag in new[] { "manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt", "provenance.sig", "provenance/report.json",
                     "provenance/report.json.sig", "provenance/premis.xml", "provenance/prov.json", "provenance/checkpoint",
                     "provenance/tlog-proofs/event-0001.tlog-proof", "provenance/tlog-proofs/event-0007.tlog-proof" })
        {
            files.ShouldContainKey(tag);
        }
        Encoding.UTF8.GetString(files["tagmanifest-sha256.txt"]).ShouldNotContain("provenance.sig");

        var path = Save("bag.zip", zip);
        var (exit, text) = await CliAsync("verify-bag", path, "--key", await KeyAsync());
        exit.ShouldBe(0, text);
        text.ShouldContain("PASS provenance.sig");
        text.ShouldContain("PASS provenance/tlog-proofs/event-0007.tlog-proof");
    }

    [Fact]
    public async Task The_document_pages_export_menu_offers_the_bag_and_its_link_downloads_a_valid_one()
    {
        var id = await DocumentWithAHistoryAsync("Harbour ledger");
        var page = await As(Roles.Auditor, s => s.Get.Url($"/documents/{id}"));
        var html = await page.ReadAsTextAsync();
        var link = System.Text.RegularExpressions.Regex.Match(html, "<a href=\"(/api/documents/[0-9a-f-]+/package\\?format=bagit)\" download=\"([^\"]+)\"");
        link.Success.ShouldBeTrue("the export menu links the preservation package");
        link.Groups[2].Value.ShouldBe($"provenance-{id}.zip");

        var (zip, contentType, status) = await GetPackageAsync(link.Groups[1].Value);
        status.ShouldBe(200);
        contentType.ShouldBe("application/zip");
        Rfc8493.Validate(zip).ShouldBeEmpty();
    }

    [Fact]
    public async Task With_Accept_application_x_tar_the_same_bag_comes_as_a_tar_that_tar_readers_and_verify_bag_accept()
    {
        var id = await DocumentWithAHistoryAsync();
        var tar = await PackageAsync(id, accept: "application/x-tar");
        tar.AsSpan().StartsWith("PK"u8).ShouldBeFalse();
        Rfc8493.Validate(tar).ShouldBeEmpty();
        var (_, zipFiles, _) = Rfc8493.Unpack(await PackageAsync(id));
        var (_, tarFiles, _) = Rfc8493.Unpack(tar);
        tarFiles.Keys.Order().ShouldBe(zipFiles.Keys.Order());
        tarFiles["data/revisions/revision-0003.txt"].ShouldBe(zipFiles["data/revisions/revision-0003.txt"]);

        var path = Save("bag.tar", tar);
        (await CliAsync("verify-bag", path, "--key", await KeyAsync())).Exit.ShouldBe(0);
        // GNU tar lists it too, when installed.
        if (File.Exists("/usr/bin/tar"))
        {
            var list = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/tar", ["-tf", path]) { RedirectStandardOutput = true })!;
            var names = await list.StandardOutput.ReadToEndAsync();
            await list.WaitForExitAsync();
            list.ExitCode.ShouldBe(0);
            names.ShouldContain($"provenance-{id}/data/translations/fr-CA/revision-0002.txt");
        }
    }

    [Fact]
    public async Task One_changed_payload_byte_a_removed_manifest_line_or_another_key_fail_verify_bag_naming_the_file()
    {
        var id = await DocumentWithAHistoryAsync();
        var key = await KeyAsync();
        var folder = Path.Combine(Scratch.FullName, "bag");
        ZipFile.ExtractToDirectory(Save("bag.zip", await PackageAsync(id)), Scratch.FullName);
        Directory.Move(Path.Combine(Scratch.FullName, $"provenance-{id}"), folder);
        (await CliAsync("verify-bag", folder, "--key", key)).Exit.ShouldBe(0);

        var revision = Path.Combine(folder, "data", "revisions", "revision-0002.txt");
        var original = await File.ReadAllBytesAsync(revision);
        var changed = (byte[])original.Clone();
        changed[0] ^= 0x20;
        await File.WriteAllBytesAsync(revision, changed);
        var (exit, text) = await CliAsync("verify-bag", folder, "--key", key);
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL data/revisions/revision-0002.txt: sha256 is");
        text.ShouldContain("FAIL data/revisions/revision-0002.txt: sha512 is");
        await File.WriteAllBytesAsync(revision, original);

        var manifest = Path.Combine(folder, "manifest-sha256.txt");
        var lines = await File.ReadAllLinesAsync(manifest);
        await File.WriteAllLinesAsync(manifest, lines.Where(l => !l.EndsWith("data/translations/de/revision-0002.txt")));
        (exit, text) = await CliAsync("verify-bag", folder, "--key", key);
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL data/translations/de/revision-0002.txt: a payload file not listed in manifest-sha256.txt");
        text.ShouldContain("FAIL manifest-sha256.txt: sha256 is");
        await File.WriteAllLinesAsync(manifest, lines);
        (await CliAsync("verify-bag", folder, "--key", key)).Exit.ShouldBe(0);

        (exit, text) = await CliAsync("verify-bag", folder, "--key", PinnedSigner.Verifier.VerifierKey);
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL provenance.sig");
        (exit, text) = await CliAsync("verify-bag", folder);
        exit.ShouldBe(2, text);
        text.ShouldContain("No trusted key");
    }

    [Fact]
    public async Task A_package_that_climbs_out_of_its_folder_or_holds_a_link_is_refused_before_anything_is_checked()
    {
        var key = await KeyAsync();
        var slip = Path.Combine(Scratch.FullName, "slip.zip");
        using (var zip = ZipFile.Open(slip, ZipArchiveMode.Create))
        {
            using (var w = new StreamWriter(zip.CreateEntry("bag/bagit.txt").Open())) w.Write("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
            using (var w = new StreamWriter(zip.CreateEntry("bag/../../evil.txt").Open())) w.Write("x");
        }
        var (exit, text) = await CliAsync("verify-bag", slip, "--key", key);
        exit.ShouldBe(1, text);
        text.ShouldContain("bag/../../evil.txt");
        text.ShouldContain("refused");

        var linked = Path.Combine(Scratch.FullName, "linked.tar");
        await using (var file = File.Create(linked))
        await using (var tar = new TarWriter(file, TarEntryFormat.Pax))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "bag/data/passwd") { LinkName = "/etc/passwd" });
        }
        (exit, text) = await CliAsync("verify-bag", linked, "--key", key);
        exit.ShouldBe(1, text);
        text.ShouldContain("bag/data/passwd");

        var folder = Directory.CreateDirectory(Path.Combine(Scratch.FullName, "folder", "data"));
        File.CreateSymbolicLink(Path.Combine(folder.FullName, "passwd"), "/etc/passwd");
        (exit, text) = await CliAsync("verify-bag", folder.Parent!.FullName, "--key", key);
        exit.ShouldBe(1, text);
        text.ShouldContain("symbolic link");
    }

    [Fact]
    public async Task A_period_comes_as_one_bag_with_each_documents_files_in_a_folder_of_its_own()
    {
        var from = Fixture.Clock.GetUtcNow();
        var first = await DocumentWithAHistoryAsync();
        var second = (await IngestAsync("Another text.\n", title: "Another")).Id;
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var to = Fixture.Clock.GetUtcNow();
        await SignCheckpointAsync();
        string Rfc3339(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'"));
        var (zip, contentType, status) = await GetPackageAsync($"/api/reports/package?from={Rfc3339(from)}&to={Rfc3339(to)}");
        status.ShouldBe(200, Encoding.UTF8.GetString(zip));
        contentType.ShouldBe("application/zip");
        Rfc8493.Validate(zip).ShouldBeEmpty();
        var (_, files, _) = Rfc8493.Unpack(zip);
        files[$"data/{first}/revisions/revision-0003.txt"].ShouldBe(await ContentAsync(first, 3));
        files[$"data/{second}/revisions/revision-0001.txt"].ShouldBe(Encoding.UTF8.GetBytes("Another text.\n"));
        files.ShouldContainKey($"provenance/{second}/report.json");
        var info = Encoding.UTF8.GetString(files["bag-info.txt"]);
        info.ShouldContain($"External-Identifier: {first}\n");
        info.ShouldContain($"External-Identifier: {second}\n");
        (await CliAsync("verify-bag", Save("period.zip", zip), "--key", await KeyAsync())).Exit.ShouldBe(0);
    }

    [Fact]
    public async Task Unknown_formats_and_media_types_are_406_unknown_documents_404_and_readers_403()
    {
        var id = await DocumentWithAHistoryAsync();
        (await GetPackageAsync($"/api/documents/{id}/package?format=zip")).Status.ShouldBe(406);
        var (body, contentType, status) = await GetPackageAsync($"/api/documents/{id}/package", accept: "text/html");
        status.ShouldBe(406);
        contentType.ShouldStartWith(ProblemJson);
        Encoding.UTF8.GetString(body).ShouldContain("urn:provenance:problem:not-acceptable");
        (await GetPackageAsync($"/api/documents/{Guid.NewGuid()}/package")).Status.ShouldBe(404);
        (await GetPackageAsync($"/api/documents/{id}/package", role: Roles.Reader)).Status.ShouldBe(403);
        (await GetPackageAsync("/api/reports/package?from=yesterday")).Status.ShouldBe(422);
    }
}
