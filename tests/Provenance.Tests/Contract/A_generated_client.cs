using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Provenance.Faults;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Contract;

/// <summary>
/// A client we did not write, generated from the document the API serves: openapi-typescript 7 types + openapi-fetch, type-checked by
/// tsc (strict), then run (Contract/client/journey.ts) against the real API as a process on a loopback port. The journey checks every
/// answer against the document (status, media type, promised headers), so a document that lies fails it, at compile time or at run time.
/// </summary>
public sealed class A_generated_client(AppFixture fixture, ITestOutputHelper output) : IntegrationContext(fixture)
{
    private static readonly TimeSpan ToolDeadline = TimeSpan.FromMinutes(4);
    private static string Generated => Path.Combine(ContractTools.ClientFolder, "generated", "provenance.ts");

    private static int Port() => int.TryParse(Environment.GetEnvironmentVariable("PROVENANCE_CONTRACT_API_PORT"), out var port) ? port : FreePort();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>openapi-typescript over <paramref name="document"/>, into generated/provenance.ts, then tsc --noEmit (strict, tsconfig.json).</summary>
    private async Task<(int Exit, string Output)> GenerateAndCompileAsync(string document)
    {
        var file = Path.Combine(Path.GetTempPath(), $"provenance-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, document);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Generated)!);
            var (exit, printed) = await ContractTools.RunAsync("openapi-typescript", [file, "--output", Generated], ToolDeadline);
            exit.ShouldBe(0, printed);
            return await ContractTools.RunAsync("tsc", ["-p", "."], ToolDeadline);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Generated_from_the_served_document_it_compiles_and_runs_the_main_journey_against_the_real_api()
    {
        var schema = $"{Fixture.Schema}_client";
        // The fixture put its admin key in this process's environment (Provenance__AdminKey), which the child inherits and which wins.
        const string adminKey = AppFixture.AdminKey;
        var port = Port();
        using var api = new ApiProcess(Fixture.ConnectionString, schema, adminKey, port);
        try
        {
            await DropAsync(schema);
            await api.StartAsync(TimeSpan.FromMinutes(2));
            using var http = new HttpClient { BaseAddress = api.BaseUri };
            var document = await http.GetStringAsync("/openapi/v1.json");

            var (compiled, errors) = await GenerateAndCompileAsync(document);
            compiled.ShouldBe(0, $"tsc found the journey does not fit the generated client:\n{errors}");

            var (exit, printed) = await ContractTools.RunAsync("tsx", ["journey.ts"], ToolDeadline, new Dictionary<string, string>
            {
                ["PROVENANCE_BASE_URL"] = api.BaseUri.ToString().TrimEnd('/'), ["PROVENANCE_ADMIN_KEY"] = adminKey,
            });
            output.WriteLine(printed);
            exit.ShouldBe(0, printed);
            printed.ShouldContain("stale edit: 412 urn:provenance:problem:stale-revision");
            printed.ShouldContain("journey complete");
        }
        finally
        {
            api.Kill();
            await DropAsync(schema);
        }
    }

    [Fact]
    public async Task A_document_that_hides_the_body_of_an_edit_does_not_compile()
    {
        var served = JsonNode.Parse(await (await Host.Scenario(s => s.Get.Url("/openapi/v1.json"))).ReadAsTextAsync())!;
        served["paths"]!["/api/documents/{id}/revisions"]!["post"]!.AsObject().Remove("requestBody").ShouldBeTrue();

        var (exit, printed) = await GenerateAndCompileAsync(served.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        output.WriteLine(printed);
        exit.ShouldNotBe(0);
        printed.ShouldContain("journey.ts");
        printed.ShouldContain("error TS");
    }

    private async Task DropAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop schema if exists {schema} cascade", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
