using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shouldly;

namespace Provenance.Tests.Ops;

/// <summary>
/// ops/run.sh, the README's first command, run by bash: it refuses a port another process holds before it starts anything, and
/// believes a ready answer only from the API it started. Every run has a deadline and is killed with its children past it.
/// </summary>
public sealed class Starting_the_ledger_with_run_sh : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("provenance-run-");
    private WebApplication? _impostor;

    private static string Root => typeof(Starting_the_ledger_with_run_sh).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false).Cast<System.Reflection.AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>Another process on a port of its own that answers /health/ready as a healthy Provenance would.</summary>
    private async Task<int> ImpostorAsync(string? instance = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _impostor = builder.Build();
        _impostor.MapGet("/health/ready", (HttpContext context) =>
        {
            if (instance is not null) context.Response.Headers["Provenance-Instance"] = instance;
            return Results.Json(new { status = "Healthy" });
        });
        await _impostor.StartAsync();
        return new Uri(_impostor.Urls.Single()).Port;
    }

    private static async Task<(int Exit, string Output)> BashAsync(string script, IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash", ["-c", script])
        {
            WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bash -c '{script}' ran past {Deadline}: {await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>run.sh with its state in a temporary folder and a PostgreSQL that does not exist, so nothing real is touched.</summary>
    private Dictionary<string, string> RunEnvironment(int port) => new()
    {
        ["PROVENANCE_PORT"] = port.ToString(),
        ["PROVENANCE_STATE_DIR"] = _state.FullName,
        ["PROVENANCE_CONNECTION_STRING"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=none",
        ["PROVENANCE_ADMIN_KEY"] = "",
    };

    [Fact]
    public async Task run_sh_refuses_a_port_another_process_answers_on_and_starts_nothing()
    {
        var port = await ImpostorAsync();
        var (exit, output) = await BashAsync("ops/run.sh", RunEnvironment(port));
        exit.ShouldNotBe(0, output);
        output.ShouldContain($"Port {port} is already in use");
        output.ShouldNotContain("is running");
        output.ShouldNotContain("Building");
        File.Exists(Path.Combine(_state.FullName, "admin-key")).ShouldBeFalse();
    }

    /// <summary>api_wait_ready against <paramref name="port"/> for a live process started with the token <c>our-token</c>.</summary>
    private static Task<(int Exit, string Output)> WaitForOurApiAsync(int port) => BashAsync(
        $"source ops/lib/api.sh; sleep 60 & pid=$!; api_wait_ready {port} $pid our-token 20; status=$?; kill $pid; exit $status",
        new Dictionary<string, string>());

    [Fact]
    public async Task Waiting_for_the_api_rejects_a_ready_answer_from_another_process()
    {
        var port = await ImpostorAsync(instance: "someone-else");
        var (exit, output) = await WaitForOurApiAsync(port);
        exit.ShouldBe(2, output);
        output.ShouldContain($"Another process answers on port {port}");
    }

    [Fact]
    public async Task Waiting_for_the_api_accepts_the_answer_of_its_own_process_only_while_it_lives()
    {
        var port = await ImpostorAsync(instance: "our-token");
        var (exit, output) = await WaitForOurApiAsync(port);
        exit.ShouldBe(0, output);

        (exit, output) = await BashAsync(
            $"source ops/lib/api.sh; true & pid=$!; wait $pid; api_wait_ready {port} $pid our-token 20",
            new Dictionary<string, string>());
        exit.ShouldBe(1, output);
        output.ShouldContain("exited during start-up");
    }

    [Fact]
    public async Task The_admin_key_is_shown_when_it_is_generated_and_later_runs_say_where_it_is_kept()
    {
        const string script = "source ops/lib/api.sh; api_admin_key \"$STATE\"; echo \"$ADMIN_KEY_NOTICE\"; echo \"key=$PROVENANCE_ADMIN_KEY\"";
        var environment = new Dictionary<string, string> { ["STATE"] = _state.FullName, ["PROVENANCE_ADMIN_KEY"] = "" };
        var keyFile = Path.Combine(_state.FullName, "admin-key");

        var (exit, first) = await BashAsync(script, environment);
        exit.ShouldBe(0, first);
        var key = (await File.ReadAllTextAsync(keyFile)).Trim();
        key.ShouldStartWith("pvk_admin_");
        first.ShouldContain($"key={key}");
        first.ShouldContain($"Admin key:  {key}");
        first.ShouldContain(keyFile);

        var (_, later) = await BashAsync(script, environment);
        later.ShouldContain($"key={key}");
        later.ShouldNotContain($"Admin key:  {key}");
        later.ShouldContain($"Admin key:  kept in {keyFile}");

        var (_, given) = await BashAsync(script, new Dictionary<string, string> { ["STATE"] = _state.FullName, ["PROVENANCE_ADMIN_KEY"] = "pvk_given_1234" });
        given.ShouldContain("key=pvk_given_1234");
        given.ShouldNotContain("Admin key:  pvk_given_1234");
        given.ShouldContain("PROVENANCE_ADMIN_KEY");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_impostor is not null) await _impostor.DisposeAsync();
        _state.Delete(recursive: true);
    }
}
