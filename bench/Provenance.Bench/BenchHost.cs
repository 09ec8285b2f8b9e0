using System.Net;
using System.Net.Http.Json;
using Marten;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Hosting;

namespace Provenance.Bench;

/// <summary>
/// The real API (the app's own service registration and pipeline) on one loopback port, and a bare minimal-API app on
/// another, both in this process. The bare app is the HTTP baseline: one raw INSERT per request, nothing else.
/// </summary>
public sealed class BenchHost : IAsyncDisposable
{
    public const string Schema = "bench";
    public const string RawSchema = "bench_raw";
    public const string AdminKey = "pvk_bench_admin_key_0123456789abcdef";

    public required WebApplication Api { get; init; }
    public required WebApplication Raw { get; init; }
    public required Uri ApiUri { get; init; }
    public required Uri RawUri { get; init; }
    public required NpgsqlDataSource RawData { get; init; }
    public required string ContributorKey { get; init; }
    public required string ConnectionString { get; init; }
    public IDocumentStore Store => Api.Services.GetRequiredService<IDocumentStore>();

    public static async Task<BenchHost> StartAsync(string connectionString, int apiPort, int rawPort)
    {
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var reset = new NpgsqlCommand(
                $"drop schema if exists {Schema} cascade; drop schema if exists {RawSchema} cascade; create schema {RawSchema};"
                + $"create table {RawSchema}.events (seq bigserial primary key, stream uuid not null, version int not null, data jsonb not null,"
                + $" unique (stream, version)); create table {RawSchema}.blobs (id bigserial primary key, bytes bytea not null);", connection);
            await reset.ExecuteNonQueryAsync();
        }

        Environment.SetEnvironmentVariable("Provenance__ConnectionString", connectionString);
        Environment.SetEnvironmentVariable("Provenance__Schema", Schema);
        Environment.SetEnvironmentVariable("PROVENANCE_ADMIN_KEY", AdminKey);
        // feed-lag's webhook receiver listens on a loopback port.
        Environment.SetEnvironmentVariable("Provenance__Webhooks__AllowedHosts__0", "127.0.0.1");
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls($"http://127.0.0.1:{apiPort}");
        builder.AddProvenance();
        var api = builder.Build();
        api.UseProvenance();
        await api.StartAsync();

        var rawBuilder = WebApplication.CreateSlimBuilder();
        rawBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        rawBuilder.WebHost.UseUrls($"http://127.0.0.1:{rawPort}");
        var rawData = new NpgsqlDataSourceBuilder(connectionString).Build();
        var raw = rawBuilder.Build();
        raw.MapPost("/raw/{id:guid}", RawAppendAsync);
        raw.MapPost("/raw-upload", RawUploadAsync);
        await raw.StartAsync();

        var apiUri = new Uri($"http://127.0.0.1:{apiPort}");
        using var admin = Client(apiUri, 1);
        admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        var created = await admin.PostAsJsonAsync("/api/keys", new { name = "bench.contributor", roles = new[] { Roles.Contributor } });
        created.EnsureSuccessStatusCode();
        var key = (await created.Content.ReadFromJsonAsync<CreatedApiKey>())!.Key;

        return new BenchHost { Api = api, Raw = raw, ApiUri = apiUri, RawUri = new Uri($"http://127.0.0.1:{rawPort}"), RawData = rawData, ContributorKey = key,
            ConnectionString = connectionString };

        // The upload baseline: the body read into one buffer and inserted as bytea (one copy, no hashing, no checks).
        async Task<IResult> RawUploadAsync(HttpRequest request)
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            await using var command = rawData.CreateCommand($"insert into {RawSchema}.blobs (bytes) values ($1)");
            command.Parameters.Add(new NpgsqlParameter { Value = new ArraySegment<byte>(buffer.GetBuffer(), 0, (int)buffer.Length) });
            await command.ExecuteNonQueryAsync();
            return Results.StatusCode(201);
        }

        async Task<IResult> RawAppendAsync(Guid id, HttpRequest request)
        {
            using var body = new StreamReader(request.Body);
            var json = await body.ReadToEndAsync();
            var version = int.Parse(request.Headers.IfMatch.ToString().Trim('"')) + 1;
            await using var command = rawData.CreateCommand($"insert into {RawSchema}.events (stream, version, data) values ($1, $2, $3::jsonb)");
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            command.Parameters.Add(new NpgsqlParameter { Value = version });
            command.Parameters.Add(new NpgsqlParameter { Value = json });
            await command.ExecuteNonQueryAsync();
            request.HttpContext.Response.Headers.ETag = $"\"{version}\"";
            return Results.StatusCode(201);
        }
    }

    public static HttpClient Client(Uri baseAddress, int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public async ValueTask DisposeAsync()
    {
        await Raw.StopAsync();
        await Api.StopAsync();
        await Raw.DisposeAsync();
        await Api.DisposeAsync();
        await RawData.DisposeAsync();
    }
}
