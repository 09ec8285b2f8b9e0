using System.Net;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Faults;

public sealed class Concurrent_editors(FaultsFixture fixture, ITestOutputHelper output) : FaultTest(fixture, output)
{
    [Fact]
    public async Task Twenty_editors_of_one_base_revision_get_one_201_and_nineteen_412()
    {
        var rounds = FaultsFixture.Full ? 10 : 2;
        using var client = Fixture.Client("contributor", 20);
        for (var round = 1; round <= rounds; round++)
        {
            var (id, revision) = await IngestAsync(client, $"Contested document {round}");
            var before = await Fixture.EventCountAsync();
            var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(e => EditAsync(client, id, revision, $"Editor {e} wins round {round}")));
            var statuses = responses.Select(r => (int)r.StatusCode).ToList();
            var winner = responses.SingleOrDefault(r => r.StatusCode == HttpStatusCode.Created);
            var winningText = winner is null ? null : await winner.Content.ReadAsStringAsync();
            foreach (var r in responses) r.Dispose();

            Say($"round {round}: 20 concurrent edits of {id} from revision {revision}: "
                + string.Join(", ", statuses.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Count()} × {g.Key}")));
            statuses.Count(s => s == 201).ShouldBe(1);
            statuses.Count(s => s == 412).ShouldBe(19);
            (await Fixture.RecordedRevisionAsync(id)).ShouldBe(revision + 1);
            (await Fixture.EventCountAsync()).ShouldBe(before + 1);
            winningText.ShouldNotBeNull();
            (await Fixture.ProjectionDisagreementsAsync()).ShouldBeEmpty();
            Say($"round {round}: exactly one revision {revision + 1} recorded, one event appended, view agrees with events");
        }
    }
}
