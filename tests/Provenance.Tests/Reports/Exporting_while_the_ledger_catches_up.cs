using Marten;
using Marten.Services;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Tests.Ledger;
using Shouldly;
using Provenance.Api.Tenancy;

namespace Provenance.Tests.Reports;

public sealed class Exporting_while_the_ledger_catches_up(AppFixture fixture) : LedgerContext(fixture)
{
    [Fact]
    public async Task A_report_never_lists_an_event_the_tree_has_not_reached_it_answers_503_until_it_has()
    {
        var document = await IngestAsync("Before the gap.\n", title: "Catching up");
        await SignCheckpointAsync();

        // An open transaction holds a lower sequence number, so the daemon (and the Merkle tree) cannot pass it.
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var held = Guid.CreateVersion7();
        var options = SessionOptions.ForTransaction(transaction);
        options.TenantId = Tenants.Default;
        await using (var session = Store.LightweightSession(options))
        {
            session.Events.StartStream<DocumentView>(held, new DocumentIngested(held, "Held", "en", MediaTypes.PlainText,
                ContentDigest.Of("held"u8), 4, null, null, null, null, "test", "test.contributor", null));
            await session.SaveChangesAsync();
        }
        await EditAsync(document.Id, 1, "After the gap.\n");

        var behind = await As(Roles.Auditor, s => s.Get.Url($"/api/documents/{document.Id}/provenance"));
        await ShouldBeProblemAsync(behind, 503, "ledger-behind");
        behind.Context.Response.Headers.RetryAfter.ToString().ShouldBe("1");

        await transaction.CommitAsync();
        await SignCheckpointAsync();
        var caughtUp = await As(Roles.Auditor, s => s.Get.Url($"/api/documents/{document.Id}/provenance"));
        caughtUp.Context.Response.StatusCode.ShouldBe(200, await caughtUp.ReadAsTextAsync());
        using var report = System.Text.Json.JsonDocument.Parse(await caughtUp.ReadAsTextAsync());
        report.RootElement.GetProperty("events").GetArrayLength().ShouldBe(2);
        report.RootElement.GetProperty("integrity").GetProperty("events").EnumerateArray()
            .ShouldAllBe(e => e.GetProperty("inCheckpoint").GetBoolean());
    }
}
