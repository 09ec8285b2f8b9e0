using System.Text.Json;
using Alba;
using Marten;
using Marten.Events;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shouldly;
using Wolverine;

namespace Provenance.Tests.Tenancy;

/// <summary>
/// A database of its own on the fixture's server, for tests that start, stop and start again a Provenance of their own (the fixture's
/// host is shared and must not be restarted). Dropped when disposed.
/// </summary>
public sealed class OwnDatabase : IAsyncDisposable
{
    readonly AppFixture _fixture;
    public string Name { get; }
    public string ConnectionString { get; }
    public string Schema => _fixture.Schema;
    /// <summary>The server's (the fixture's) connection string, to create and drop databases with.</summary>
    public string ServerConnectionString => _fixture.ConnectionString;

    OwnDatabase(AppFixture fixture, string name)
    {
        _fixture = fixture;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task<OwnDatabase> CreateAsync(AppFixture fixture, string prefix)
    {
        var database = new OwnDatabase(fixture, $"{prefix}_{Guid.NewGuid().ToString("N")[..8]}");
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"create database {database.Name}", connection);
        await create.ExecuteNonQueryAsync();
        return database;
    }

    /// <summary>
    /// Provenance on this database (the fixture's schema and admin key, the real clock, Solo daemon), with <paramref name="environment"/>
    /// as further settings for the start (environment variables, restored afterwards).
    /// </summary>
    public async Task<IAlbaHost> StartAsync(Action<IServiceCollection>? configure = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var settings = new Dictionary<string, string> { ["Provenance__ConnectionString"] = ConnectionString };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) settings[name] = value;
        var saved = settings.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        foreach (var (name, value) in settings) Environment.SetEnvironmentVariable(name, value);
        try
        {
            Task<IAlbaHost> Start() => AlbaHost.For<Program>(x => x.ConfigureServices(services =>
            {
                services.RunWolverineInSoloMode();
                configure?.Invoke(services);
            }));
            try
            {
                return await Start();
            }
            catch (Marten.Exceptions.MartenSchemaException)
            {
                // On a brand-new database two start-up migrations can race to create the same event-store object (42P07); the second
                // start finds it in place.
                return await Start();
            }
        }
        finally
        {
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
        }
    }

    public Task<T?> ScalarAsync<T>(string sql) => ScalarAsync<T>(ConnectionString, Schema, sql);

    /// <summary>A scalar from the database of <paramref name="connectionString"/>, <c>{schema}</c> in <paramref name="sql"/> being <paramref name="schema"/>.</summary>
    public static async Task<T?> ScalarAsync<T>(string connectionString, string schema, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", schema), connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public async Task<IEnumerable<string>> ColumnAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", Schema), connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(reader.IsDBNull(0) ? "<null>" : reader.GetValue(0).ToString()!);
        return values;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", Schema), connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_fixture.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop database if exists {Name} with (force)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

/// <summary>Requests to a host of a test's own, with the fixture's admin key unless another key (or none: null) is given.</summary>
public static class OwnHost
{
    public static Task<(int Status, string Body)> SendAsync(this IAlbaHost host, Action<Scenario> configure)
        => host.SendAsync(AppFixture.AdminKey, configure);

    public static async Task<(int Status, string Body)> SendAsync(this IAlbaHost host, string? key, Action<Scenario> configure)
    {
        var result = await host.Scenario(s =>
        {
            if (key is not null) s.WithRequestHeader("Authorization", $"Bearer {key}");
            s.IgnoreStatusCode();
            configure(s);
        });
        return (result.Context.Response.StatusCode, await result.ReadAsTextAsync());
    }

    public static Task<JsonElement> JsonAsync(this IAlbaHost host, Action<Scenario> configure, int status = 200)
        => host.JsonAsync(AppFixture.AdminKey, configure, status);

    public static async Task<JsonElement> JsonAsync(this IAlbaHost host, string key, Action<Scenario> configure, int status = 200)
    {
        var (code, body) = await host.SendAsync(key, configure);
        code.ShouldBe(status, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static Task WaitForLedgerAsync(this IAlbaHost host)
        => host.Services.GetRequiredService<IDocumentStore>().WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(60));
}
