using Alba;
using Provenance.Ledger;
using Provenance.Tests.Ledger;
using Shouldly;

namespace Provenance.Tests.Tenancy;

/// <summary>
/// Issue #20, step 1: an installation from before tenancy (one database, no master table, every row of Marten's tables in tenant
/// <c>*DEFAULT*</c>) becomes the <c>default</c> tenant in place. Its ledger is the same log afterwards: same tree, same key, its
/// checkpoints verify, and new events extend it.
/// </summary>
public sealed class Upgrading_to_tenancy(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task Upgrading_a_single_database_installation_keeps_its_ledger()
    {
        await using var database = await OwnDatabase.CreateAsync(Fixture, "provenance_upgrade");
        Guid[] documents;
        JsonCheckpoint before;
        string verifierKey;
        await using (var first = await database.StartAsync())
        {
            documents = [await IngestOnAsync(first, "One"), await IngestOnAsync(first, "Two"), await IngestOnAsync(first, "Three")];
            var edited = await first.SendAsync(s =>
            {
                s.Post.Json(new { content = "Two, corrected.\n", reason = "A correction." }).ToUrl($"/api/documents/{documents[1]}/revisions");
                s.WithRequestHeader("If-Match", "\"1\"");
            });
            edited.Status.ShouldBe(201, edited.Body);
            await first.WaitForLedgerAsync();
            before = JsonCheckpoint.From(await first.JsonAsync(s => s.Post.Url("/api/ledger/checkpoints"), 201));
            verifierKey = (await first.JsonAsync(s => s.Get.Url("/api/ledger/key"))).GetProperty("verifierKey").GetString()!;
            // What this version writes: the master table with the one tenant, and the tenant's id on the new rows of Marten's tables.
            (await database.ColumnAsync("select tenant_id || ' ' || disabled from {schema}.mt_tenant_databases"))
                .ShouldBe(["default false"]);
            (await database.ColumnAsync("select distinct tenant_id from {schema}.mt_events")).ShouldBe(["default"]);
            await first.StopAsync();
        }
        before.TreeSize.ShouldBe(await database.ScalarAsync<long>("select count(*) from {schema}.mt_events"));

        // The state an installation from before tenancy is in: no master table, every row of Marten's tables in its default tenant.
        await database.ExecuteAsync("""
            drop table {schema}.mt_tenant_databases;
            do $$
            declare t record;
            begin
                for t in select c.table_name from information_schema.columns c join information_schema.tables g
                        on g.table_schema = c.table_schema and g.table_name = c.table_name and g.table_type = 'BASE TABLE'
                    where c.table_schema = '{schema}' and c.column_name = 'tenant_id' and c.table_name like 'mt\_%'
                loop
                    execute format('update %I.%I set tenant_id = %L', '{schema}', t.table_name, '*DEFAULT*');
                end loop;
            end $$;
            """);
        (await database.ColumnAsync("select distinct tenant_id from {schema}.mt_events")).ShouldBe(["*DEFAULT*"]);

        await using var second = await database.StartAsync();
        (await database.ColumnAsync("select tenant_id from {schema}.mt_tenant_databases")).ShouldBe(["default"]);
        // Marten's append refuses an event for a stream of another tenant: the old streams became the default tenant's.
        (await database.ColumnAsync("select distinct tenant_id from {schema}.mt_streams")).ShouldBe(["default"]);
        var published = JsonCheckpoint.From(await second.JsonAsync(s => s.Get.Url("/api/ledger/checkpoint").Accepts("application/json")));
        published.ShouldBe(before);
        (await second.JsonAsync(s => s.Get.Url("/api/ledger/key"))).GetProperty("verifierKey").GetString().ShouldBe(verifierKey);
        IndependentVerifier.VerifyCheckpointNote(published.Note, verifierKey).TreeSize.ShouldBe(before.TreeSize);
        var report = await second.JsonAsync(s => s.Post.Url("/api/ledger/verify"));
        report.GetProperty("intact").GetBoolean().ShouldBeTrue(report.ToString());
        report.GetProperty("treeSize").GetInt64().ShouldBe(before.TreeSize);
        Convert.FromBase64String(report.GetProperty("rootHash").GetString()!).ShouldBe(before.RootHash);
        report.GetProperty("checkpointsChecked").GetInt64().ShouldBeGreaterThanOrEqualTo(1);
        foreach (var id in documents) (await second.SendAsync(s => s.Get.Url($"/api/documents/{id}"))).Status.ShouldBe(200);

        // New appends extend the same log: the old checkpoint's tree is a prefix of the new one.
        await IngestOnAsync(second, "Four");
        var edit = await second.SendAsync(s =>
        {
            s.Post.Json(new { content = "One, corrected.\n", reason = "A correction." }).ToUrl($"/api/documents/{documents[0]}/revisions");
            s.WithRequestHeader("If-Match", "\"1\"");
        });
        edit.Status.ShouldBe(201, edit.Body);
        await second.WaitForLedgerAsync();
        var after = JsonCheckpoint.From(await second.JsonAsync(s => s.Post.Url("/api/ledger/checkpoints"), 201));
        after.TreeSize.ShouldBe(await database.ScalarAsync<long>("select count(*) from {schema}.mt_events"));
        after.TreeSize.ShouldBeGreaterThan(before.TreeSize);
        var proof = await second.JsonAsync(s => s.Get.Url($"/api/ledger/proofs/consistency?from={before.TreeSize}&to={after.TreeSize}"));
        var path = proof.GetProperty("path").EnumerateArray().Select(p => Convert.FromBase64String(p.GetString()!)).ToList();
        IndependentVerifier.VerifyConsistency(before.TreeSize, after.TreeSize, before.RootHash, after.RootHash, path).ShouldBeTrue();
        new ConsistencyProof(before.TreeSize, after.TreeSize, path).Verify(before.RootHash, after.RootHash).IsValid.ShouldBeTrue();
        var again = await second.JsonAsync(s => s.Post.Url("/api/ledger/verify"));
        again.GetProperty("intact").GetBoolean().ShouldBeTrue(again.ToString());
        again.GetProperty("pendingEvents").GetInt64().ShouldBe(0);
        await second.StopAsync();
    }

    static async Task<Guid> IngestOnAsync(IAlbaHost host, string title)
    {
        var created = await host.JsonAsync(s => s.Post.Json(new { title, language = "en", content = $"{title}.\n" }).ToUrl("/api/documents"), 201);
        return created.GetProperty("id").GetGuid();
    }

    sealed record JsonCheckpoint(long TreeSize, string RootHash64, string Note)
    {
        public byte[] RootHash => Convert.FromBase64String(RootHash64);

        public static JsonCheckpoint From(System.Text.Json.JsonElement checkpoint) => new(checkpoint.GetProperty("treeSize").GetInt64(),
            checkpoint.GetProperty("rootHash").GetString()!, checkpoint.GetProperty("note").GetString()!);
    }
}
