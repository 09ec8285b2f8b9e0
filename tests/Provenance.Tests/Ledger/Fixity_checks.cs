using System.Text.Json;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Provenance.Api.Access;
using Provenance.Api.Ledger;
using Shouldly;
using Provenance.Api.Tenancy;

namespace Provenance.Tests.Ledger;

public sealed class Fixity_checks(AppFixture fixture) : LedgerContext(fixture)
{
    async Task<JsonElement> RunFixityAsync()
    {
        var result = await As(Roles.Auditor, s => s.Post.Url("/api/ledger/fixity"));
        var body = await result.ReadAsTextAsync();
        result.Context.Response.StatusCode.ShouldBe(200, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    async Task<string> FixityHealthAsync()
    {
        var result = await Host.Scenario(s => { s.Get.Url("/health/ready"); s.IgnoreStatusCode(); });
        return JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("checks").GetProperty("fixity").GetProperty("status").GetString()!;
    }

    [Fact]
    public async Task A_fixity_run_racing_other_appends_to_its_documents_still_records_every_check()
    {
        // A scheduled run once stopped the host: its append met an edit's on the same stream and the concurrency failure escaped.
        var doc = await IngestAsync(content: $"Raced fixity {Guid.NewGuid()}\n", title: "Raced fixity");
        var store = Host.Services.GetRequiredService<IDocumentStore>();
        var checker = Host.Services.GetRequiredService<FixityChecker>();
        using var stop = new CancellationTokenSource();
        var racers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var session = store.LightweightSession(Tenants.Default);
                session.Events.Append(doc.Id, new FixityChecked(doc.Id, doc.ContentDigest, FixityOutcomes.Pass, null, "test.racer"));
                try
                {
                    await session.SaveChangesAsync();
                }
                catch (JasperFx.Events.EventStreamUnexpectedMaxEventIdException)
                {
                    // A racer may lose; the fixity run may not.
                }
                // Writers as busy as editors get: an append every millisecond or two on the one document.
                await Task.Delay(Random.Shared.Next(1, 3));
            }
        })).ToList();
        try
        {
            for (var run = 0; run < 30; run++)
            {
                await checker.RecordAsync([new FixityChecked(doc.Id, doc.ContentDigest, FixityOutcomes.Pass, null, "test.auditor")], CancellationToken.None);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(racers);
        }
        var mine = (await EventsOfAsync(doc.Id)).Select(e => e.Data).OfType<FixityChecked>().Count(f => f.Actor == "test.auditor");
        mine.ShouldBe(30);
    }

    [Fact]
    public async Task A_corrupted_blob_records_a_failed_fixity_check_and_degrades_readiness_until_a_check_passes()
    {
        var doc = await IngestAsync(content: $"Fixity bytes {Guid.NewGuid()}\n", title: "Fixity");
        var digest = doc.ContentDigest;
        try
        {
            (await SqlAsync($"update {{schema}}.content_blobs set bytes = set_byte(bytes, 0, get_byte(bytes, 0) # 1) where digest = '{digest}'")).ShouldBe(1);
            var report = await RunFixityAsync();
            report.GetProperty("failures").EnumerateArray()
                .ShouldContain(f => f.GetProperty("documentId").GetGuid() == doc.Id && f.GetProperty("contentDigest").GetString() == digest);

            var recorded = (await EventsOfAsync(doc.Id)).Select(e => e.Data).OfType<FixityChecked>().ToList();
            recorded.Count.ShouldBe(1);
            recorded[0].Outcome.ShouldBe("fail");
            recorded[0].ContentDigest.ShouldBe(digest);
            recorded[0].Actor.ShouldBe("test.auditor");
            (await FixityHealthAsync()).ShouldBe("Degraded");
            // Evidence, not repair: the stored bytes stay corrupted.
            (await ScalarAsync<int>($"select get_byte(bytes, 0) from {{schema}}.content_blobs where digest = '{digest}'"))
                .ShouldNotBe((int)"Fixity bytes"[0]);
        }
        finally
        {
            await SqlAsync($"update {{schema}}.content_blobs set bytes = set_byte(bytes, 0, get_byte(bytes, 0) # 1) where digest = '{digest}'");
        }

        await RunFixityAsync();
        var outcomes = (await EventsOfAsync(doc.Id)).Select(e => e.Data).OfType<FixityChecked>().Select(f => f.Outcome).ToList();
        outcomes.ShouldBe(["fail", "pass"]);
        (await FixityHealthAsync()).ShouldBe("Healthy");
    }

    [Fact]
    public async Task Only_auditors_and_admins_run_fixity_checks()
    {
        await ShouldBeProblemAsync(await As(Roles.Contributor, s => s.Post.Url("/api/ledger/fixity")), 403, "forbidden");
    }
}
