using System.Text;
using System.Text.Json;
using Alba;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Ledger;
using Provenance.Tests.Reports;
using Provenance.Tests.Tenancy;
using Shouldly;
using Marten.Events;
using Wolverine;
using Xunit.Abstractions;

namespace Provenance.Tests.Packages;

public sealed class Restoring_from_bags(AppFixture fixture, ITestOutputHelper output) : PackagesContext(fixture)
{
    const string RestoredOrigin = "restored.test/ledger";

    static Task<(int Status, string Body)> GetAsync(IAlbaHost host, string url) => host.SendAsync(s => s.Get.Url(url));

    [Fact]
    public async Task A_restored_document_has_the_same_content_history_and_translations_and_its_imported_leaves_verify_against_the_original_checkpoint()
    {
        var id = await DocumentWithAHistoryAsync();
        var zip = await PackageAsync(id);
        var bag = Save("bag.zip", zip);
        var original = JsonDocument.Parse(Rfc8493.Unpack(zip).Files["provenance/report.json"]).RootElement;
        var tampered = await IngestAsync("Not to be restored.\n", title: "Tampered");
        await SignCheckpointAsync();
        var key = await LedgerKeyAsync();
        var originalHistory = JsonDocument.Parse((await GetJsonAsync(Roles.Reader, $"/api/documents/{id}/history")).GetRawText()).RootElement.GetProperty("items");

        // A second Provenance on a database of its own (another ledger, another key), started beside the fixture's.
        await using var database = await OwnDatabase.CreateAsync(Fixture, "provenance_restore");
        await using var second = await database.StartAsync(environment: new Dictionary<string, string> { ["Provenance__Ledger__Origin"] = RestoredOrigin });
        var cli = new CliRunner(second, output);
        var (exit, text) = await cli.RunAsync("restore", "--from", bag, "--api", CliRunner.Api, "--api-key", AppFixture.AdminKey, "--key", key.VerifierKey);
        exit.ShouldBe(0, text);
        text.ShouldContain($"Restored document {id} from {bag}: 7 events imported, 0 already there.");

        (exit, text) = await cli.RunAsync("restore", "--from", bag, "--api", CliRunner.Api, "--api-key", AppFixture.AdminKey, "--key", key.VerifierKey);
        exit.ShouldBe(0, text);
        text.ShouldContain("0 events imported, 7 already there.");

        var (status, body) = await GetAsync(second, $"/api/documents/{id}");
        status.ShouldBe(200, body);
        var view = JsonDocument.Parse(body).RootElement;
        var originalView = await GetJsonAsync(Roles.Reader, $"/api/documents/{id}");
        view.GetProperty("title").GetString().ShouldBe(originalView.GetProperty("title").GetString());
        view.GetProperty("revision").GetInt32().ShouldBe(3);
        static string[] Translations(JsonElement v) => v.GetProperty("translations").EnumerateArray()
            .Select(t => string.Join(" ", new[] { "language", "sourceRevision", "contentDigest", "translator", "method" }.Select(f => t.GetProperty(f).ToString())))
            .ToArray();
        Translations(view).ShouldBe(Translations(originalView));
        Translations(view).Length.ShouldBe(2);
        foreach (var (revision, language) in new (int, string?)[] { (1, null), (2, null), (3, null), (2, "fr-CA"), (2, "de"), (1, "fr-CA") })
        {
            var url = $"/api/documents/{id}/content?revision={revision}" + (language is null ? "" : $"&language={language}");
            var restored = await second.Scenario(s => { s.Get.Url(url); s.WithRequestHeader("Authorization", $"Bearer {AppFixture.AdminKey}"); });
            (await restored.ReadAsTextAsync()).ShouldBe(Encoding.UTF8.GetString(await ContentAsync(id, revision, language)));
        }

        (status, body) = await GetAsync(second, $"/api/documents/{id}/history");
        status.ShouldBe(200, body);
        var history = JsonDocument.Parse(body).RootElement.GetProperty("items").EnumerateArray().ToList();
        var before = originalHistory.EnumerateArray().ToList();
        history.Count.ShouldBe(before.Count);
        var leaves = original.GetProperty("integrity").GetProperty("events").EnumerateArray()
            .ToDictionary(e => e.GetProperty("sequence").GetInt64(), e => e);
        foreach (var (restored, was) in history.Zip(before))
        {
            foreach (var field in new[] { "version", "type", "revision", "language", "actor", "reason", "contentDigest", "verdict" })
            {
                restored.GetProperty(field).GetRawText().ShouldBe(was.GetProperty(field).GetRawText(), field);
            }
            var from = restored.GetProperty("importedFrom");
            from.GetProperty("sequence").GetInt64().ShouldBe(was.GetProperty("sequence").GetInt64());
            from.GetProperty("timestamp").GetDateTimeOffset().ShouldBe(was.GetProperty("timestamp").GetDateTimeOffset());
            from.GetProperty("origin").GetString().ShouldBe(key.Name);
            from.GetProperty("importedBy").GetString().ShouldNotBeNullOrEmpty();
            // The original tlog-proof of that leaf, checked with the original key: the leaf the restored event names is in the original log.
            var leaf = leaves[was.GetProperty("sequence").GetInt64()];
            var proof = TlogProof.Parse(leaf.GetProperty("tlogProof").GetString()!).Verify(key);
            proof.IsValid.ShouldBeTrue(proof.Reason);
            Convert.ToBase64String(proof.LeafHash!).ShouldBe(from.GetProperty("leafHash").GetString());
            from.GetProperty("treeSize").GetInt64().ShouldBe(proof.Checkpoint!.TreeSize);
        }

        // The restored ledger proves the imports in its own tree too: its report of the document verifies with its own key.
        await second.Services.GetRequiredService<Marten.IDocumentStore>().WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(60));
        var signed = await second.Scenario(s => { s.Post.Url("/api/ledger/checkpoints"); s.IgnoreStatusCode(); s.WithRequestHeader("Authorization", $"Bearer {AppFixture.AdminKey}"); });
        signed.Context.Response.StatusCode.ShouldBe(201, await signed.ReadAsTextAsync());
        (status, body) = await GetAsync(second, $"/api/documents/{id}/proof");
        status.ShouldBe(200, body);
        JsonDocument.Parse(body).RootElement.GetProperty("events").GetArrayLength().ShouldBe(7);

        // A package that does not verify imports nothing.
        var tamperedBag = await PackageAsync(tampered.Id);
        var (_, files, _) = Rfc8493.Unpack(tamperedBag);
        var folder = Directory.CreateDirectory(Path.Combine(Scratch.FullName, "tampered"));
        foreach (var (path, bytes) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder.FullName, path))!);
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, path), bytes);
        }
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "data", "revisions", "revision-0001.txt"), "Not to be restored!\n");
        (exit, text) = await cli.RunAsync("restore", "--from", folder.FullName, "--api", CliRunner.Api, "--api-key", AppFixture.AdminKey, "--key", key.VerifierKey);
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL data/revisions/revision-0001.txt");
        (await GetAsync(second, $"/api/documents/{tampered.Id}")).Status.ShouldBe(404);
    }

    [Fact]
    public async Task An_import_whose_data_does_not_hash_to_its_leaf_is_refused_and_only_admins_may_import()
    {
        var id = await DocumentWithAHistoryAsync();
        var report = JsonDocument.Parse((await GetReportAsync(id)).Body).RootElement;
        var first = report.GetProperty("events")[0];
        var leaf = report.GetProperty("integrity").GetProperty("events")[0];
        var target = Guid.NewGuid();
        var content = Convert.ToBase64String(await ContentAsync(id, 1));
        object Body(string title, Guid documentId) => new
        {
            eventType = "document_ingested",
            data = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(first.GetProperty("data").GetRawText())!
                .ToDictionary(p => p.Key, p => p.Key == "title" ? JsonSerializer.SerializeToElement(title) : p.Key == "documentId" ? JsonSerializer.SerializeToElement(documentId) : p.Value),
            importedFrom = new
            {
                origin = "elsewhere/ledger", treeSize = 10, sequence = first.GetProperty("sequence").GetInt64(), version = 1,
                leafHash = leaf.GetProperty("leafHash").GetString(), timestamp = first.GetProperty("timestamp").GetDateTimeOffset(),
            },
            contentBase64 = content,
        };
        var body = Body("A changed title", target);
        var refused = await As(Roles.Admin, s => s.Post.Json(body).ToUrl($"/api/documents/{target}/imports"));
        await ShouldBeProblemAsync(refused, 422, "validation");
        (await refused.ReadAsTextAsync()).ShouldContain("importedFrom.leafHash");
        var asAuditor = await As(Roles.Auditor, s => s.Post.Json(body).ToUrl($"/api/documents/{target}/imports"));
        asAuditor.Context.Response.StatusCode.ShouldBe(403);
        var (status, _) = await GetAsync(Host, $"/api/documents/{target}");
        status.ShouldBe(404);
    }
}
