using Alba;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Hosting;
using Testcontainers.PostgreSql;
using Wolverine;

namespace Provenance.Tests;

/// <summary>
/// One real application on real PostgreSQL for the whole run. The connection string comes from
/// PROVENANCE_TEST_CONNECTION_STRING (ops/test.sh sets it); without it, Testcontainers starts a PostgreSQL container.
/// </summary>
public sealed class AppFixture : IAsyncLifetime
{
    public const string AdminKey = "pvk_test_admin_key_0123456789abcdef";
    /// <summary>PROVENANCE_SYSTEM_KEY: the system administrator, outside every archive (issue #20).</summary>
    public const string SystemKey = "system_test_key_0123456789abcdef_0123456789";
    public static readonly DateTimeOffset Start = new(2026, 1, 15, 9, 0, 0, TimeSpan.Zero);

    private PostgreSqlContainer? _container;
    public IAlbaHost Host { get; private set; } = null!;
    public FakeTimeProvider Clock { get; } = new(Start);
    public string ConnectionString { get; private set; } = "";
    /// <summary>A schema of its own per run (PROVENANCE_TEST_SCHEMA), so runs side by side do not collide.</summary>
    public string Schema { get; } = Environment.GetEnvironmentVariable("PROVENANCE_TEST_SCHEMA") ?? "provenance_tests";
    public IDocumentStore Store => Host.Services.GetRequiredService<IDocumentStore>();
    public Dictionary<string, string> Keys { get; } = [];

    public async Task InitializeAsync()
    {
        ConnectionString = Environment.GetEnvironmentVariable("PROVENANCE_TEST_CONNECTION_STRING") ?? await StartContainerAsync();
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop schema if exists {Schema} cascade", connection);
            await drop.ExecuteNonQueryAsync();
        }

        Environment.SetEnvironmentVariable("Provenance__ConnectionString", ConnectionString);
        Environment.SetEnvironmentVariable("Provenance__Schema", Schema);
        Environment.SetEnvironmentVariable("Provenance__AdminKey", AdminKey);
        Environment.SetEnvironmentVariable("Provenance__SystemKey", SystemKey);
        Environment.SetEnvironmentVariable("Provenance__MaxContentBytes", (1024 * 1024).ToString());
        Environment.SetEnvironmentVariable("Provenance__Webhooks__AllowedHosts__0", "127.0.0.1");
        // Long enough that a loaded 2-core machine does not time out a healthy receiver (a retry then waits on the fake clock).
        Environment.SetEnvironmentVariable("Provenance__Webhooks__Timeout", "00:00:03");
        Environment.SetEnvironmentVariable("Provenance__Webhooks__PollInterval", "00:00:00.050");
        Environment.SetEnvironmentVariable("Provenance__Webhooks__MaxConsecutiveFailures", "3");
        Environment.SetEnvironmentVariable("Provenance__Feed__HeartbeatInterval", "00:00:00.200");
        Host = await AlbaHost.For<Program>(x => x.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.RunWolverineInSoloMode();
        }));

        foreach (var role in Roles.All.Where(r => r != Roles.Admin))
        {
            Keys[role] = await CreateKeyAsync($"test.{role}", role);
        }
        Keys[Roles.Admin] = AdminKey;
        Keys[Roles.System] = SystemKey;
    }

    public async Task<string> CreateKeyAsync(string name, params string[] roles)
    {
        var result = await Host.Scenario(s =>
        {
            s.Post.Json(new { name, roles }).ToUrl("/api/keys");
            s.WithRequestHeader("Authorization", $"Bearer {AdminKey}");
            s.StatusCodeShouldBe(201);
        });
        return (await result.ReadAsJsonAsync<CreatedApiKey>())!.Key;
    }

    private async Task<string> StartContainerAsync()
    {
        _container = new PostgreSqlBuilder("postgres:15-alpine").Build();
        await _container.StartAsync();
        return _container.GetConnectionString();
    }

    public async Task DisposeAsync()
    {
        await Host.StopAsync();
        await Host.DisposeAsync();
        if (_container is not null) await _container.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class IntegrationCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "integration";
}
