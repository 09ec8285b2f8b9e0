using System.Text.Json;
using Alba;
using Npgsql;
using Shouldly;

namespace Provenance.Tests.Tenancy;

/// <summary>
/// A Provenance of a test's own (its default archive in an <see cref="OwnDatabase"/>) with the system key and two servers: <c>default</c>
/// (the fixture's server) and <c>second</c> (<c>PROVENANCE_TEST_SECOND_SERVER</c>, the second PostgreSQL that ops/test.sh starts; the
/// fixture's server again when unset). Archives it creates are dropped with it.
/// </summary>
public sealed class TwoArchives : IAsyncDisposable
{
    public const string SystemKey = AppFixture.SystemKey;
    readonly OwnDatabase _database;
    readonly List<(string Server, string Database)> _created = [];
    public IAlbaHost Host { get; }
    public string SecondServer { get; }

    TwoArchives(OwnDatabase database, IAlbaHost host, string secondServer)
    {
        _database = database;
        Host = host;
        SecondServer = secondServer;
    }

    public string Schema => _database.Schema;

    /// <summary>A new tenant id, unique to this run (databases of earlier runs never collide with it).</summary>
    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    public static string SecondServerOf(AppFixture fixture)
        => Environment.GetEnvironmentVariable("PROVENANCE_TEST_SECOND_SERVER")
           ?? new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Database = "postgres" }.ConnectionString;

    public static async Task<TwoArchives> StartAsync(AppFixture fixture, string prefix)
    {
        var database = await OwnDatabase.CreateAsync(fixture, prefix);
        var second = SecondServerOf(fixture);
        var host = await database.StartAsync(environment: new Dictionary<string, string>
        {
            ["Provenance__SystemKey"] = SystemKey,
            ["Provenance__Tenancy__Servers__second"] = second,
        });
        return new TwoArchives(database, host, second);
    }

    /// <summary>Creates archive <paramref name="id"/> on <paramref name="server"/>; returns the 201's body (with its <c>adminKey</c>).</summary>
    public async Task<JsonElement> CreateAsync(string id, string server, string displayName)
    {
        var (status, body) = await SendAsync(SystemKey, s => s.Post.Json(new { id, displayName, server }).ToUrl("/api/tenants"));
        status.ShouldBe(201, body);
        var created = JsonDocument.Parse(body).RootElement.Clone();
        _created.Add((server == "second" ? SecondServer : _database.ServerConnectionString, created.GetProperty("database").GetString()!));
        return created;
    }

    public Task<(int Status, string Body)> SendAsync(string? key, Action<Scenario> configure) => Host.SendAsync(key, configure);

    public Task<JsonElement> JsonAsync(string key, Action<Scenario> configure, int status = 200) => Host.JsonAsync(key, configure, status);

    /// <summary>A scalar from archive database <paramref name="database"/> on <paramref name="server"/> (<c>{schema}</c> is the API's schema).</summary>
    public Task<T?> ScalarAsync<T>(string server, string database, string sql)
        => OwnDatabase.ScalarAsync<T>(new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString, Schema, sql);

    public string ServerNamed(string name) => name == "second" ? SecondServer : _database.ServerConnectionString;

    /// <summary>Waits until the archive's ledger has a leaf for every event in its database.</summary>
    public async Task WaitForLedgerAsync(string server, string database, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var events = await ScalarAsync<long>(ServerNamed(server), database, "select count(*) from {schema}.mt_events");
            var leaves = await ScalarAsync<long>(ServerNamed(server), database, "select count(*) from {schema}.ledger_leaves");
            if (events > 0 && leaves == events) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The ledger of {database} has {leaves} leaves for {events} events.");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        await Host.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        foreach (var (server, database) in _created)
        {
            await using var connection = new NpgsqlConnection(server);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop database if exists \"{database}\" with (force)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        await _database.DisposeAsync();
    }
}
