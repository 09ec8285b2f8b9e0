using Alba;
using Npgsql;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Documents;

/// <summary>
/// Every command that takes <c>If-Match</c> is checked against the version it appends at, at commit: of two writers that both
/// loaded revision 1, exactly one is recorded and the other is told the document moved on, whichever use cases they are. The race
/// is made certain, not left to timing: the test holds the stream's row lock until both writers have loaded the document and are
/// waiting to commit.
/// </summary>
public sealed class Racing_writers(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public Task A_translation_and_an_edit_based_on_the_same_revision_race_and_exactly_one_wins()
        => AnEditRacesAsync(Roles.Contributor, "translations",
            new { language = "fr", content = "Avant la course.\n", translator = "A. Traductrice", method = "human" });

    [Fact]
    public Task A_verification_and_an_edit_based_on_the_same_revision_race_and_exactly_one_wins()
        => AnEditRacesAsync(Roles.Verifier, "verifications",
            new { method = "source-comparison", verdict = "verified", evidence = new[] { "https://example.org/source" } });

    /// <summary>An edit and another command, both with <c>If-Match: "1"</c>, racing on a new document.</summary>
    private async Task AnEditRacesAsync(string role, string collection, object body)
    {
        var doc = await IngestAsync(content: "Before the race.\n");
        var statuses = await RaceAsync(doc.Id,
            s =>
            {
                s.Post.Json(new { content = "Edited in the race.\n", reason = "Race." }).ToUrl($"/api/documents/{doc.Id}/revisions");
                s.WithRequestHeader("If-Match", "\"1\"");
            },
            s =>
            {
                s.Post.Json(body).ToUrl($"/api/documents/{doc.Id}/{collection}");
                s.WithRequestHeader("If-Match", "\"1\"");
            },
            secondRole: role);

        statuses.ShouldBe([201, 412]);
        (await EventsOfAsync(doc.Id)).Count.ShouldBe(2, "the ingestion and the winner, nothing of the loser");
    }

    private async Task<int[]> RaceAsync(Guid stream, Action<Scenario> first, Action<Scenario> second, string secondRole = Roles.Contributor)
    {
        await using var blocker = new NpgsqlConnection(Fixture.ConnectionString);
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand($"select 1 from {Fixture.Schema}.mt_streams where id = $1 for update", blocker, transaction))
        {
            lockRow.Parameters.Add(new NpgsqlParameter { Value = stream });
            (await lockRow.ExecuteScalarAsync()).ShouldBe(1);
        }

        var a = As(Roles.Contributor, first);
        var b = As(secondRole, second);
        await using var watcher = new NpgsqlConnection(Fixture.ConnectionString);
        await watcher.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var waiting = new NpgsqlCommand(
                "select count(*) from pg_locks l where not l.granted and l.pid <> pg_backend_pid() and l.locktype in ('transactionid', 'tuple')", watcher);
            if ((long)(await waiting.ExecuteScalarAsync())! >= 2) break;
            if (a.IsCompleted || b.IsCompleted || DateTime.UtcNow > deadline)
            {
                await transaction.RollbackAsync();
                var done = await Task.WhenAll(a, b);
                throw new Xunit.Sdk.XunitException("Both writers should be waiting at commit; got " + string.Join(", ", done.Select(r => r.Context.Response.StatusCode)));
            }
            await Task.Delay(20);
        }
        await transaction.CommitAsync();
        return (await Task.WhenAll(a, b)).Select(r => r.Context.Response.StatusCode).Order().ToArray();
    }
}
