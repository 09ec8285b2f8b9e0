using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Http;

/// <summary>
/// The pool does not reset connections when they are returned (no <c>DISCARD ALL</c>, so prepared statements and plans survive):
/// that is only safe while nothing leaves session state behind. No idle pooled connection may hold an advisory lock or an open
/// transaction, whatever the API, Marten's daemon and Wolverine's durability agent have been doing. Other test classes run in
/// parallel, so a transaction of theirs is legitimately "idle in transaction" between two of its statements; one returned to
/// the pool stays so, which is what the three-second age tells apart. Likewise a transaction of theirs may hold a
/// transaction-scoped advisory lock between two statements; a lock that outlives its transaction is held by a connection that is
/// plain <c>idle</c>, which is what the lock count looks at (a session lock returned to the pool is exactly that).
/// </summary>
public sealed class Pooled_connections_carry_no_session_state(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task The_pool_keeps_prepared_statements_and_no_idle_connection_holds_a_lock_or_a_transaction()
    {
        var data = Host.Services.GetRequiredService<NpgsqlDataSource>();
        new NpgsqlConnectionStringBuilder(data.ConnectionString).NoResetOnClose.ShouldBeTrue();

        var doc = await IngestAsync();
        for (var revision = 1; revision <= 5; revision++) await EditAsync(doc.Id, revision, $"Revision {revision + 1}.\n");
        await As(Roles.Auditor, s => s.Post.Url("/api/ledger/checkpoints"));

        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        for (var sample = 0; sample < 12; sample++)
        {
            await using var command = new NpgsqlCommand("""
                select count(*) filter (where l.pid is not null and a.state = 'idle'), count(*) filter (where a.state like 'idle in transaction%' and a.state_change < now() - interval '3 seconds')
                from pg_stat_activity a
                left join pg_locks l on l.pid = a.pid and l.locktype = 'advisory' and l.granted
                where a.datname = current_database() and a.pid <> pg_backend_pid()
                  and a.state like 'idle%' and a.application_name not ilike '%wolverine%'
                """, connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            reader.GetInt64(0).ShouldBe(0, "an idle pooled connection holds an advisory lock");
            reader.GetInt64(1).ShouldBe(0, "a pooled connection was returned inside a transaction");
            await reader.CloseAsync();
            await Task.Delay(500);
        }
    }
}
