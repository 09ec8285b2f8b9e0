using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Xunit.Abstractions;

namespace Provenance.Faults;

/// <summary>
/// Its own PostgreSQL cluster, the real API as a child process, and one key per role. PROVENANCE_FAULTS=full makes every
/// fault test run longer and repeat (ops/faults.sh); the default is the short version CI runs.
/// </summary>
public sealed class FaultsFixture : IAsyncLifetime
{
    public const string AdminKey = "pvk_faults_admin_key_0123456789abcdef";
    public static readonly string[] Roles = ["reader", "contributor", "verifier", "integrator", "auditor", "steward", "admin"];
    public static bool Full => Environment.GetEnvironmentVariable("PROVENANCE_FAULTS") == "full";
    public string Schema { get; } = Environment.GetEnvironmentVariable("PROVENANCE_FAULTS_SCHEMA") ?? "faults";

    public FaultCluster Cluster { get; } = new();
    public ApiProcess Api { get; private set; } = null!;
    public Dictionary<string, string> Keys { get; } = [];

    public async Task InitializeAsync()
    {
        await Cluster.StartAsync();
        await using (var connection = new NpgsqlConnection(Cluster.ConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop schema if exists {Schema} cascade", connection);
            await drop.ExecuteNonQueryAsync();
        }
        var port = int.Parse(Environment.GetEnvironmentVariable("PROVENANCE_FAULTS_API_PORT") ?? "5095");
        Api = new ApiProcess(Cluster.ConnectionString, Schema, AdminKey, port);
        await Api.StartAsync(TimeSpan.FromSeconds(90));
        using var admin = Client("admin-bootstrap");
        foreach (var role in Roles.Where(r => r != "admin"))
        {
            var created = await admin.PostAsJsonAsync("/api/keys", new { name = $"faults.{role}", roles = new[] { role } });
            created.EnsureSuccessStatusCode();
            Keys[role] = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        }
        Keys["admin"] = AdminKey;
    }

    /// <summary>A client with the key of <paramref name="role"/> ("admin-bootstrap" before the keys exist; null for none).</summary>
    public HttpClient Client(string? role, int connections = 8)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections })
        {
            BaseAddress = Api.BaseUri,
            Timeout = TimeSpan.FromSeconds(20),
        };
        var key = role switch { null => null, "admin-bootstrap" => AdminKey, _ => Keys[role] };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Checks open a fresh connection each time: a pooled one may be dead after a PostgreSQL restart.</summary>
    private string CheckConnectionString => Cluster.ConnectionString + ";Pooling=false";

    public async Task<T> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var connection = new NpgsqlConnection(CheckConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", Schema), connection);
        foreach (var a in args) command.Parameters.Add(new NpgsqlParameter { Value = a });
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public Task<long> EventCountAsync() => ScalarAsync<long>("select count(*) from {schema}.mt_events");

    /// <summary>Documents whose projected revision differs from the number of revision events in their stream.</summary>
    public async Task<List<string>> ProjectionDisagreementsAsync()
    {
        await using var connection = new NpgsqlConnection(CheckConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"""
            with counted as (
              select stream_id, count(*) filter (where type in ('document_ingested', 'document_edited')) as revisions, max(version) as version
              from {Schema}.mt_events where type <> 'tombstone' group by stream_id)
            select coalesce(c.stream_id, v.id)::text, c.revisions, (v.data->>'revision')::int, c.version, (v.data->>'version')::bigint
            from counted c full join {Schema}.mt_doc_documentview v on v.id = c.stream_id
            where v.id is null or c.stream_id is null or c.revisions <> (v.data->>'revision')::int or c.version <> (v.data->>'version')::bigint
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var found = new List<string>();
        while (await reader.ReadAsync())
        {
            found.Add($"{reader.GetString(0)}: events say revision {reader.GetValue(1)} (version {reader.GetValue(3)}), view says {reader.GetValue(2)} (version {reader.GetValue(4)})");
        }
        return found;
    }

    /// <summary>The highest revision recorded in the event store for a document (0 if none).</summary>
    public Task<int> RecordedRevisionAsync(Guid id) => ScalarAsync<int>(
        "select count(*)::int from {schema}.mt_events where stream_id = $1 and type in ('document_ingested', 'document_edited')", id);

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        Cluster.StopIfStartedHere();
        await Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class FaultsCollection : ICollectionFixture<FaultsFixture>
{
    public const string Name = "faults";
}

/// <summary>Each fault test says what it did and what it checked, in the test output.</summary>
[Collection(FaultsCollection.Name), Trait("Category", "Faults")]
public abstract partial class FaultTest(FaultsFixture fixture, ITestOutputHelper output)
{
    protected FaultsFixture Fixture { get; } = fixture;
    protected void Say(string line)
    {
        output.WriteLine(line);
        Console.WriteLine("[faults] " + line);
    }

    protected static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    protected static async Task<(Guid Id, int Revision)> IngestAsync(HttpClient client, string content, CancellationToken ct = default)
    {
        using var response = await client.PostAsync("/api/documents",
            Json(JsonSerializer.Serialize(new { title = "Fault document", language = "en", content, reason = "faults" })), ct);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"ingest answered {(int)response.StatusCode}", null, response.StatusCode);
        return (Guid.Parse(response.Headers.Location!.OriginalString.Split('/').Last()), Revision(response));
    }

    protected static async Task<HttpResponseMessage> EditAsync(HttpClient client, Guid id, int baseRevision, string content, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/documents/{id}/revisions")
        {
            Content = Json(JsonSerializer.Serialize(new { content, reason = "faults edit" })),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{baseRevision}\"");
        return await client.SendAsync(request, ct);
    }

    protected static int Revision(HttpResponseMessage response) => int.Parse(response.Headers.ETag!.Tag.Trim('"').Split('.')[0]);
}
