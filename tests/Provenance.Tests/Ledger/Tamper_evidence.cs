using System.Text.Json;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Ledger;

/// <summary>
/// A rogue DBA edits mt_events directly; verification names the sequence. Each test restores the rows in a finally,
/// because every test shares one database and later ones need an intact ledger.
/// </summary>
public sealed class Tamper_evidence(AppFixture fixture) : LedgerContext(fixture)
{
    async Task<(DocumentResource Doc, long First, long Second)> TwoCommittedEventsAsync(string title)
    {
        var doc = await IngestAsync(content: $"{title}\n", title: title);
        await EditAsync(doc.Id, 1, $"{title}, corrected.\n");
        await SignCheckpointAsync();
        var sequences = (await EventsOfAsync(doc.Id)).Select(e => e.Sequence).Order().ToList();
        sequences.Count.ShouldBe(2);
        (await VerifyLedgerAsync()).GetProperty("intact").GetBoolean().ShouldBeTrue("the ledger is intact before tampering");
        return (doc, sequences[0], sequences[1]);
    }

    static JsonElement FirstMismatch(JsonElement report)
    {
        report.GetProperty("intact").GetBoolean().ShouldBeFalse(report.ToString());
        report.GetProperty("mismatchCount").GetInt64().ShouldBeGreaterThan(0);
        return report.GetProperty("firstMismatch");
    }

    async Task BackUpAsync(string backup, long[] sequences) =>
        await SqlAsync($"drop table if exists {{schema}}.{backup}; create table {{schema}}.{backup} as " +
                       $"select * from {{schema}}.mt_events where seq_id in ({string.Join(",", sequences)})");

    [Fact]
    public async Task Changing_one_byte_of_a_payload_is_reported_at_its_sequence()
    {
        var (doc, _, edited) = await TwoCommittedEventsAsync("Payload tamper");
        await BackUpAsync("tamper_payload", [edited]);
        try
        {
            (await SqlAsync($"update {{schema}}.mt_events set data = jsonb_set(data, '{{reason}}', '\"A correctioN.\"') where seq_id = {edited}")).ShouldBe(1);
            var first = FirstMismatch(await VerifyLedgerAsync());
            first.GetProperty("sequence").GetInt64().ShouldBe(edited);
            first.GetProperty("streamId").GetGuid().ShouldBe(doc.Id);
            first.GetProperty("kind").GetString().ShouldBe("payload-changed");
        }
        finally
        {
            await SqlAsync($"update {{schema}}.mt_events e set data = b.data from {{schema}}.tamper_payload b where e.seq_id = b.seq_id; drop table {{schema}}.tamper_payload");
        }
        (await VerifyLedgerAsync()).GetProperty("intact").GetBoolean().ShouldBeTrue("restoring the row restores the evidence");
    }

    [Fact]
    public async Task Deleting_an_event_is_reported_as_missing_at_its_sequence()
    {
        var (doc, ingested, _) = await TwoCommittedEventsAsync("Deletion tamper");
        await BackUpAsync("tamper_delete", [ingested]);
        try
        {
            (await SqlAsync($"delete from {{schema}}.mt_events where seq_id = {ingested}")).ShouldBe(1);
            var first = FirstMismatch(await VerifyLedgerAsync());
            first.GetProperty("sequence").GetInt64().ShouldBe(ingested);
            first.GetProperty("streamId").GetGuid().ShouldBe(doc.Id);
            first.GetProperty("kind").GetString().ShouldBe("missing-event");
        }
        finally
        {
            await SqlAsync("insert into {schema}.mt_events select * from {schema}.tamper_delete; drop table {schema}.tamper_delete");
        }
        (await VerifyLedgerAsync()).GetProperty("intact").GetBoolean().ShouldBeTrue("restoring the row restores the evidence");
    }

    [Fact]
    public async Task Swapping_two_events_is_reported_as_reordered_at_the_first_of_them()
    {
        var (_, ingested, edited) = await TwoCommittedEventsAsync("Swap tamper");
        await BackUpAsync("tamper_swap", [ingested, edited]);
        try
        {
            (await SqlAsync($"update {{schema}}.mt_events e set data = b.data from {{schema}}.tamper_swap b " +
                            $"where e.seq_id in ({ingested}, {edited}) and b.seq_id in ({ingested}, {edited}) and b.seq_id <> e.seq_id")).ShouldBe(2);
            var report = await VerifyLedgerAsync();
            var first = FirstMismatch(report);
            first.GetProperty("sequence").GetInt64().ShouldBe(ingested);
            first.GetProperty("kind").GetString().ShouldBe("reordered");
            first.GetProperty("detail").GetString()!.ShouldContain(edited.ToString());
        }
        finally
        {
            await SqlAsync("update {schema}.mt_events e set data = b.data from {schema}.tamper_swap b where e.seq_id = b.seq_id; drop table {schema}.tamper_swap");
        }
        (await VerifyLedgerAsync()).GetProperty("intact").GetBoolean().ShouldBeTrue("restoring the rows restores the evidence");
    }
}
