using System.Text.Json;
using Provenance.Ledger;
using Shouldly;

namespace Provenance.Tests.Tenancy;

/// <summary>
/// Issue #20: the system key creates archives on named servers, each a database of its own with its own ledger (origin
/// <c>&lt;tenant&gt;.&lt;host&gt;/ledger</c>, key, checkpoints, public log under <c>/t/{tenant}/log/</c>) and its own keys; it lists and
/// disables them, and does nothing else.
/// </summary>
public sealed class Creating_archives(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task The_system_key_creates_an_archive_on_the_second_server_whose_key_ledger_and_public_log_are_its_own()
    {
        await using var installation = await TwoArchives.StartAsync(Fixture, "provenance_archives");
        var id = TwoArchives.NewId("b");
        var created = await installation.CreateAsync(id, "second", "Desk B");
        var adminKey = created.GetProperty("adminKey").GetString()!;
        adminKey.ShouldStartWith($"pvk_{id}.");
        created.GetProperty("origin").GetString().ShouldBe($"{id}.provenance.local/ledger");
        created.GetProperty("logPath").GetString().ShouldBe($"/t/{id}/log/");
        var database = created.GetProperty("database").GetString()!;
        (await installation.ScalarAsync<long>(installation.SecondServer, "postgres", $"select count(*) from pg_database where datname = '{database}'"))
            .ShouldBe(1, "the archive's database is on the second server");

        // Listed, with the installation's own archive first; the key is shown only at creation.
        var listed = await installation.JsonAsync(TwoArchives.SystemKey, s => s.Get.Url("/api/tenants"));
        listed.EnumerateArray().Select(t => t.GetProperty("id").GetString()).ShouldBe(["default", id]);
        listed.GetRawText().ShouldNotContain(adminKey);

        // The archive's key works in it: a document, in its database only, with a leaf in its own ledger.
        var document = await installation.JsonAsync(adminKey, s => s.Post.Json(new { title = "Only in B", language = "en", content = "B.\n" })
            .ToUrl("/api/documents"), 201);
        await installation.WaitForLedgerAsync("second", database);
        (await installation.ScalarAsync<long>(installation.SecondServer, database, "select count(*) from {schema}.mt_streams")).ShouldBe(1);
        (await installation.JsonAsync(AppFixture.AdminKey, s => s.Get.Url("/api/documents"))).GetRawText().ShouldNotContain("Only in B");
        // Its feed's CloudEvents name it as their source, so an integrator of several archives tells them apart.
        var feed = await installation.SendAsync(adminKey, s => s.Get.Url("/api/feed"));
        feed.Body.ShouldContain($"\"source\":\"/provenance/t/{id}\"");
        (await installation.SendAsync(AppFixture.AdminKey, s => s.Get.Url($"/api/documents/{document.GetProperty("id").GetGuid()}"))).Status.ShouldBe(404);

        // Its checkpoint is signed with its own origin and key, and served under /t/{id}/log/; /log/ stays the default archive's.
        await installation.JsonAsync(adminKey, s => s.Post.Url("/api/ledger/checkpoints"), 201);
        var (status, note) = await installation.SendAsync(null, s => s.Get.Url($"/t/{id}/log/checkpoint"));
        status.ShouldBe(200, note);
        var key = (await installation.JsonAsync(adminKey, s => s.Get.Url("/api/ledger/key"))).GetProperty("verifierKey").GetString()!;
        key.ShouldStartWith($"{id}.provenance.local/ledger+");
        Checkpoint.Verify(note, NoteVerifier.Parse(key), $"{id}.provenance.local/ledger").IsValid.ShouldBeTrue();
        var defaultKey = (await installation.JsonAsync(AppFixture.AdminKey, s => s.Get.Url("/api/ledger/key"))).GetProperty("verifierKey").GetString()!;
        defaultKey.ShouldStartWith("provenance.local/ledger+");
        (await installation.SendAsync(null, s => s.Get.Url("/log/checkpoint"))).Body.ShouldNotContain(id);
        (await installation.SendAsync(null, s => s.Get.Url("/t/no-such-archive/log/checkpoint"))).Status.ShouldBe(404);

        // Keys it creates are its own and name it.
        var reader = await installation.JsonAsync(adminKey, s => s.Post.Json(new { name = "b.reader", roles = new[] { "reader" } }).ToUrl("/api/keys"), 201);
        reader.GetProperty("key").GetString().ShouldStartWith($"pvk_{id}.");
        (await installation.JsonAsync(AppFixture.AdminKey, s => s.Get.Url("/api/keys"))).GetRawText().ShouldNotContain("b.reader");

        // Disabled: its keys and public log stop; its data stays in its database.
        var disabled = await installation.JsonAsync(TwoArchives.SystemKey, s => s.Post.Url($"/api/tenants/{id}/disable"));
        disabled.GetProperty("disabled").GetBoolean().ShouldBeTrue();
        (await installation.SendAsync(adminKey, s => s.Get.Url("/api/documents"))).Status.ShouldBe(401);
        (await installation.SendAsync(null, s => s.Get.Url($"/t/{id}/log/checkpoint"))).Status.ShouldBe(404);
        (await installation.ScalarAsync<long>(installation.SecondServer, database, "select count(*) from {schema}.mt_streams")).ShouldBe(1);
    }

    /// <summary>
    /// The Merkle subscription is one instance for every archive database; what it keeps between pages (the tree's tail, frontier and
    /// stream heads) must be each archive's own, or one archive's leaves would chain from the other's (both trees have the same sizes here).
    /// </summary>
    [Fact]
    public async Task Two_archives_growing_side_by_side_each_keep_a_ledger_that_verifies_and_checkpoints_of_their_own()
    {
        await using var installation = await TwoArchives.StartAsync(Fixture, "provenance_side_by_side");
        var a = await installation.CreateAsync(TwoArchives.NewId("a"), "default", "Desk A");
        var b = await installation.CreateAsync(TwoArchives.NewId("b"), "second", "Desk B");
        var keys = new[] { a.GetProperty("adminKey").GetString()!, b.GetProperty("adminKey").GetString()! };
        for (var round = 0; round < 4; round++)
        {
            foreach (var key in keys)
            {
                await installation.JsonAsync(key, s => s.Post.Json(new { title = $"Round {round}", language = "en", content = $"Text {round}.\n" })
                    .ToUrl("/api/documents"), 201);
            }
        }
        await installation.WaitForLedgerAsync("default", a.GetProperty("database").GetString()!);
        await installation.WaitForLedgerAsync("second", b.GetProperty("database").GetString()!);
        var roots = new List<string>();
        foreach (var key in keys)
        {
            var checkpoint = await installation.JsonAsync(key, s => s.Post.Url("/api/ledger/checkpoints"), 201);
            checkpoint.GetProperty("treeSize").GetInt64().ShouldBe(4);
            roots.Add(checkpoint.GetProperty("rootHash").GetString()!);
            var verified = await installation.JsonAsync(key, s => s.Post.Url("/api/ledger/verify"));
            verified.GetProperty("intact").GetBoolean().ShouldBeTrue(verified.GetRawText());
        }
        roots.Distinct().Count().ShouldBe(2, "two archives with different events have different trees");
    }

    [Fact]
    public async Task Bad_archive_requests_are_problems_and_create_nothing_and_the_system_key_opens_no_archive()
    {
        await using var installation = await TwoArchives.StartAsync(Fixture, "provenance_archives_bad");
        async Task Problem(object body, int status, string field)
        {
            var (code, text) = await installation.SendAsync(TwoArchives.SystemKey, s => s.Post.Json(body).ToUrl("/api/tenants"));
            code.ShouldBe(status, text);
            if (field.Length > 0) JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(text);
        }
        await Problem(new { id = "Upper", displayName = "X", server = "default" }, 422, "id");
        await Problem(new { id = "a.b", displayName = "X", server = "default" }, 422, "id");
        await Problem(new { id = "default", displayName = "X", server = "default" }, 422, "id");
        await Problem(new { id = TwoArchives.NewId("c"), displayName = "X", server = "elsewhere" }, 422, "server");
        await Problem(new { id = TwoArchives.NewId("c"), displayName = "", server = "default" }, 422, "displayName");
        await Problem(new { id = TwoArchives.NewId("c"), displayName = "Bad\u0007name", server = "default" }, 422, "displayName");
        var id = TwoArchives.NewId("c");
        await installation.CreateAsync(id, "default", "Desk C");
        await Problem(new { id, displayName = "Again", server = "default" }, 409, "");
        (await installation.JsonAsync(TwoArchives.SystemKey, s => s.Get.Url("/api/tenants"))).GetArrayLength().ShouldBe(2);

        // An archive's admin cannot reach the installation's archives; the system key reaches nothing inside one.
        (await installation.SendAsync(AppFixture.AdminKey, s => s.Get.Url("/api/tenants"))).Status.ShouldBe(403);
        (await installation.SendAsync(TwoArchives.SystemKey, s => s.Get.Url("/api/documents"))).Status.ShouldBe(403);
        (await installation.SendAsync(TwoArchives.SystemKey, s => s.Post.Json(new { title = "T", language = "en", content = "x\n" })
            .ToUrl("/api/documents"))).Status.ShouldBe(403);
        (await installation.SendAsync(TwoArchives.SystemKey, s => s.Post.Url($"/api/tenants/default/disable"))).Status.ShouldBe(409);
        // A key naming an archive that does not exist, or another archive's prefix on a real key, opens nothing.
        (await installation.SendAsync($"pvk_nowhere.{AppFixture.AdminKey}", s => s.Get.Url("/api/documents"))).Status.ShouldBe(401);
        (await installation.SendAsync($"pvk_{id}.{AppFixture.AdminKey[4..]}", s => s.Get.Url("/api/documents"))).Status.ShouldBe(401);
    }
}
