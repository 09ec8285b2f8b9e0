using System.CommandLine;

namespace Provenance.Cli;

/// <summary><c>provenance export ID --format F --out FILE --api URL --key KEY</c>: writes the report and its signature beside it (FILE.sig).</summary>
static class ExportCommand
{
    public static Command Create(Func<string, string, HttpClient> connect)
    {
        var id = new Argument<Guid>("id") { Description = "The document id." };
        var format = new Option<string>("--format") { Description = "json, prov-json, turtle, jsonld, premis, csv or pdf.", DefaultValueFactory = _ => "json" };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the report; its signature goes to the same name + .sig.", Required = true };
        var api = Options.Api();
        var key = Options.Key();
        var command = new Command("export", "Download a signed provenance report (auditor key).") { id, format, output, api, key };
        command.SetAction((result, ct) => RunAsync(connect, result.GetValue(id), result.GetValue(format)!, result.GetValue(output)!, result.GetValue(api)!, result.GetValue(key)!, ct));
        return command;
    }

    static async Task<int> RunAsync(Func<string, string, HttpClient> connect, Guid id, string format, FileInfo output, string api, string key, CancellationToken ct)
    {
        using var http = connect(api, key);
        using var response = await http.GetAsync($"api/documents/{id}/provenance?format={Uri.EscapeDataString(format)}", ct);
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine(await ApiClient.FailureAsync(response));
            return 1;
        }
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        await File.WriteAllBytesAsync(output.FullName, bytes, ct);
        var signature = response.Headers.TryGetValues("Provenance-Signature", out var values) ? values.First() : null;
        if (signature is not null) await File.WriteAllTextAsync(output.FullName + ".sig", signature + "\n", ct);
        Console.WriteLine($"Wrote {output.FullName} ({bytes.Length} bytes, {response.Content.Headers.ContentType})" +
                          (signature is null ? "; the response carried no signature." : $" and {output.Name}.sig."));
        return 0;
    }
}

static class Options
{
    public static Option<string> Api() => new("--api")
    {
        Description = "The API's base URL.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PROVENANCE_API") ?? "http://localhost:5080",
    };

    public static Option<string> Key() => new("--key")
    {
        Description = "An API key (or PROVENANCE_API_KEY).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PROVENANCE_API_KEY") ?? "",
    };
}
