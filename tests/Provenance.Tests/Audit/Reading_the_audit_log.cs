using Alba;
using JasperFx.Events.Daemon;
using Marten.Events;
using Microsoft.Extensions.DependencyInjection;
using Provenance.Api.Access;
using Provenance.Api.Audit;
using Provenance.Api.Documents;
using Provenance.Tests.Documents;
using Shouldly;
using Provenance.Api.Tenancy;

namespace Provenance.Tests.Audit;

public sealed class Reading_the_audit_log(AppFixture fixture) : ArchiveContext(fixture)
{
    /// <summary>Three events by an actor of its own (so other tests' rows never match), the last with an awkward reason.</summary>
    private async Task<(string Actor, Guid Id, DateTimeOffset T)> StoryAsync()
    {
        var actor = $"archivist.{Guid.NewGuid():N}";
        var key = await Fixture.CreateKeyAsync(actor, Roles.Contributor);
        var t = Now;
        var ingest = await Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {key}");
            s.Post.Json(new { title = "Audit story", language = "fr", content = "Première version.\n", reason = "Capture" }).ToUrl("/api/documents");
            s.StatusCodeShouldBe(201);
        });
        var id = (await ingest.ReadAsJsonAsync<DocumentResource>())!.Id;
        Advance(5);
        await Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {key}");
            s.WithRequestHeader("If-Match", "\"1\"");
            s.Post.Json(new { content = "Deuxième version.\n", reason = "Fix, \"quoted\"\nand a second line" }).ToUrl($"/api/documents/{id}/revisions");
            s.StatusCodeShouldBe(201);
        });
        Advance(5);
        await Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {key}");
            s.Post.Json(new { language = "hy", content = "Ստեփանակերտ\n", translator = "Ա. Թարգմանիչ", method = "human" }).ToUrl($"/api/documents/{id}/translations");
            s.StatusCodeShouldBe(201);
        });
        await Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        return (actor, id, t);
    }

    [Fact]
    public async Task The_audit_log_filters_by_actor_type_document_and_time_and_pages_by_sequence()
    {
        var (actor, id, t) = await StoryAsync();

        var all = await OkJsonAsync<AuditPage>(await GetAsync($"/api/audit?actor={actor}", Roles.Auditor));
        all.Items.Select(i => i.Type).ShouldBe(["document_ingested", "document_edited", "document_translated"]);
        all.Items.Select(i => i.Sequence).ShouldBeInOrder();
        all.Items.ShouldAllBe(i => i.DocumentId == id && i.Actor == actor);
        all.Items[0].Timestamp.ShouldBe(t);
        all.Items[2].Language.ShouldBe("hy");

        var page1 = await OkJsonAsync<AuditPage>(await GetAsync($"/api/audit?actor={actor}&limit=2", Roles.Auditor));
        page1.Items.Count.ShouldBe(2);
        var page2 = await OkJsonAsync<AuditPage>(await GetAsync($"/api/audit?actor={actor}&limit=2&after={page1.NextCursor}", Roles.Auditor));
        page2.Items.ShouldHaveSingleItem().Type.ShouldBe("document_translated");
        page2.NextCursor.ShouldBeNull();

        var edits = await OkJsonAsync<AuditPage>(await GetAsync($"/api/audit?actor={actor}&type=document_edited", Roles.Auditor));
        edits.Items.ShouldHaveSingleItem().Revision.ShouldBe(2);

        var byDocument = await OkJsonAsync<AuditPage>(await GetAsync($"/api/audit?document={id}", Roles.Admin));
        byDocument.Items.Select(i => i.Sequence).ShouldBe(all.Items.Select(i => i.Sequence));

        var from = Uri.EscapeDataString(t.AddMinutes(5).ToString("O"));
        var to = Uri.EscapeDataString(t.AddMinutes(10).ToString("O"));
        var window = await OkJsonAsync<AuditPage>(await GetAsync($"/api/audit?actor={actor}&from={from}&to={to}", Roles.Auditor));
        window.Items.ShouldHaveSingleItem().Type.ShouldBe("document_edited");
    }

    [Fact]
    public async Task The_audit_log_as_csv_has_the_same_rows_quoted_per_rfc_4180()
    {
        var (actor, id, _) = await StoryAsync();
        var json = await OkJsonAsync<AuditPage>(await GetAsync($"/api/audit?actor={actor}", Roles.Auditor));

        var result = await GetAsync($"/api/audit?actor={actor}", Roles.Auditor, accept: "text/csv");
        result.Context.Response.StatusCode.ShouldBe(200);
        result.Context.Response.ContentType.ShouldNotBeNull().ShouldStartWith("text/csv");
        var text = await result.ReadAsTextAsync();
        text.ShouldContain("\"Fix, \"\"quoted\"\"\nand a second line\"");
        var rows = Rfc4180.Parse(text);
        rows[0].ShouldBe(AuditItem.CsvHeader);
        rows.Count.ShouldBe(4);
        rows.Skip(1).Select(r => long.Parse(r[0])).ShouldBe(json.Items.Select(i => i.Sequence));
        rows.Skip(1).Select(r => r[2]).ShouldBe(["document_ingested", "document_edited", "document_translated"]);
        rows[2][8].ShouldBe("Fix, \"quoted\"\nand a second line");
        rows[3][6].ShouldBe("hy");
        rows.Skip(1).ShouldAllBe(r => r[3] == id.ToString() && r[7] == actor);
        DateTimeOffset.Parse(rows[1][1]).ShouldBe(json.Items[0].Timestamp);
    }

    [Fact]
    public async Task Only_auditors_read_the_audit_log()
    {
        await ShouldBeProblemAsync(await GetAsync("/api/audit", Roles.Reader), 403, "forbidden");
        await ShouldBeProblemAsync(await GetAsync("/api/audit", Roles.Contributor), 403, "forbidden");
        (await GetAsync("/api/audit?limit=1", Roles.Auditor)).Context.Response.StatusCode.ShouldBe(200);
        await ShouldBeProblemAsync(await GetAsync("/api/audit?from=soon", Roles.Auditor), 422, "validation");
        await ShouldBeProblemAsync(await GetAsync("/api/audit?document=nope", Roles.Auditor), 422, "validation");
    }

    [Fact]
    public async Task Rebuilding_the_audit_projection_gives_the_same_log()
    {
        var (actor, _, _) = await StoryAsync();
        var before = await (await GetAsync($"/api/audit?actor={actor}", Roles.Auditor, accept: "text/csv")).ReadAsTextAsync();

        var daemon = await Host.Services.GetRequiredService<IProjectionCoordinator>().DaemonForDatabase(Tenants.Default);
        await daemon.RebuildProjectionAsync<AuditLogProjection>(CancellationToken.None);
        // The rebuild leaves the shard stopped in the running daemon; start it again so later appends keep flowing.
        await daemon.StartAgentAsync("Provenance.Api.Audit.AuditLogProjection:All", CancellationToken.None);
        await Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));

        var after = await (await GetAsync($"/api/audit?actor={actor}", Roles.Auditor, accept: "text/csv")).ReadAsTextAsync();
        after.ShouldBe(before);
        Rfc4180.Parse(after).Count.ShouldBe(4);
    }
}
