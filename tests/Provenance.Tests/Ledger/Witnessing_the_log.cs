using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using Provenance.Faults;
using Provenance.Ledger;
using Shouldly;
using Xunit.Abstractions;

namespace Provenance.Tests.Ledger;

/// <summary>
/// Two <c>provenance witness serve</c> processes, a local RFC 3161 authority and the ledger as a process, in a schema of their own.
/// The ledger asks both witnesses to cosign every checkpoint (quorum: both) and the authority to date it.
/// </summary>
public sealed class WitnessedLedger : IAsyncLifetime
{
    public const string Origin = "witness-test.local/ledger";
    public string ConnectionString { get; } = Environment.GetEnvironmentVariable("PROVENANCE_TEST_CONNECTION_STRING")
        ?? throw new InvalidOperationException("Set PROVENANCE_TEST_CONNECTION_STRING (ops/test.sh does): these tests start processes and use pg_dump.");
    public string Schema { get; } = $"witness_{Guid.NewGuid():N}"[..20];
    public string AdminKey { get; } = $"pvk_admin_witness_{Guid.NewGuid():N}";
    public DirectoryInfo Folder { get; } = Directory.CreateTempSubdirectory("provenance-witness-");
    public LedgerSigner Log { get; } = LedgerSigner.Generate(Origin);
    public CosignatureSigner[] WitnessKeys { get; } = [CosignatureSigner.Generate("w1.witness.test/w"), CosignatureSigner.Generate("w2.witness.test/w")];
    public WitnessProcess[] Witnesses { get; private set; } = [];
    public TestTimestampAuthority Authority { get; private set; } = null!;
    public ApiProcess Api { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string CaFile => Path.Combine(Folder.FullName, "ca.pem");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public WitnessProcess NewWitness(int i, int port) =>
        new(WitnessKeys[i].ExportSignerKey(), Path.Combine(Folder.FullName, $"w{i + 1}-state"), port, $"{Origin}={Log.Verifier.VerifierKey}");

    /// <summary>The ledger's settings: its key, the witnesses (all required), the authority, and short intervals for a test.</summary>
    public Dictionary<string, string> Settings(params WitnessProcess[] witnesses)
    {
        var settings = new Dictionary<string, string>
        {
            // The in-process fixture of other tests sets Provenance__* in this process's environment, which a child inherits.
            ["Provenance__AdminKey"] = AdminKey,
            ["Provenance__Ledger__Origin"] = Origin,
            ["Provenance__Ledger__SignerKey"] = Log.ExportSignerKey(),
            ["Provenance__Ledger__CheckpointPollInterval"] = "00:00:00.200",
            ["Provenance__Ledger__WitnessPollInterval"] = "00:00:00.100",
            ["Provenance__Ledger__WitnessRetryInterval"] = "00:00:00.200",
            ["Provenance__Ledger__WitnessQuorumTimeout"] = "00:00:01",
            ["Provenance__Ledger__TimestampAuthorities__0__Url"] = Authority.Url,
            ["Provenance__Ledger__TimestampAuthorities__0__TrustAnchorFile"] = CaFile,
        };
        foreach (var (w, i) in witnesses.Select((w, i) => (w, i)))
        {
            settings[$"Provenance__Ledger__Witnesses__{i}__Url"] = w.Url;
            settings[$"Provenance__Ledger__Witnesses__{i}__VerifierKey"] = WitnessKeys[Array.IndexOf(Witnesses, w)].Verifier.VerifierKey;
        }
        return settings;
    }

    public async Task InitializeAsync()
    {
        Authority = new TestTimestampAuthority(FreePort());
        await Authority.StartAsync();
        await File.WriteAllTextAsync(CaFile, Authority.CaPem);
        Witnesses = [NewWitness(0, FreePort()), NewWitness(1, FreePort())];
        foreach (var w in Witnesses) await w.StartAsync();
        Api = new ApiProcess(ConnectionString, Schema, AdminKey, FreePort(), Settings(Witnesses));
        await Api.StartAsync(TimeSpan.FromMinutes(2));
        Http = Client(Api);
    }

    public HttpClient Client(ApiProcess api)
    {
        var http = new HttpClient { BaseAddress = api.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        return http;
    }

    /// <summary>A new document, then a checkpoint that covers it; returns the checkpoint's size.</summary>
    public static async Task<long> AppendAndCheckpointAsync(HttpClient http, string title) => (await AppendDocumentAndCheckpointAsync(http, title)).Size;

    public static async Task<(string Id, long Size)> AppendDocumentAndCheckpointAsync(HttpClient http, string title)
    {
        using var created = await http.PostAsJsonAsync("/api/documents", new { title, language = "en", content = title + "\n", reason = "witness test" });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        long size = 0;
        await Until(async () =>
        {
            using var leaves = await http.GetAsync($"/api/documents/{id}/proof");
            if (leaves.StatusCode == HttpStatusCode.NotFound) return false;
            using var signed = await http.PostAsync("/api/ledger/checkpoints", null);
            if (signed.StatusCode != HttpStatusCode.Created) return false;
            size = (await signed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("treeSize").GetInt64();
            using var proof = await http.GetAsync($"/api/documents/{id}/proof");
            return proof.IsSuccessStatusCode;
        }, $"document {title} in a checkpoint");
        return (id!, size);
    }

    public static async Task<JsonElement> CheckpointJsonAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/ledger/checkpoint");
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static async Task Until(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"Waited {seconds} s for {what}.");
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        Api?.Dispose();
        foreach (var w in Witnesses) w.Dispose();
        if (Authority is not null) await Authority.DisposeAsync();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop schema if exists {Schema} cascade", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WitnessedLedgerCollection : ICollectionFixture<WitnessedLedger>
{
    public const string Name = "witnessed ledger";
}

[Collection(WitnessedLedgerCollection.Name)]
public sealed class Witnessing_the_log(WitnessedLedger ledger, ITestOutputHelper output)
{
    string PolicyFile(int quorum, params CosignatureSigner[] witnesses)
    {
        var path = Path.Combine(ledger.Folder.FullName, $"policy-{Guid.NewGuid():N}.txt");
        var lines = witnesses.Select((w, i) => $"witness W{i} {w.Verifier.VerifierKey}").ToList();
        lines.Add($"group quorum {quorum} {string.Join(' ', witnesses.Select((_, i) => $"W{i}"))}");
        lines.Add("quorum quorum");
        File.WriteAllText(path, $"log {ledger.Log.Verifier.VerifierKey}\n" + string.Join('\n', lines) + "\n");
        return path;
    }

    async Task<string> TlogProofFileAsync(long treeSize)
    {
        var text = await ledger.Http.GetStringAsync($"/api/ledger/proofs/inclusion?sequence=1&treeSize={treeSize}&format=tlog-proof");
        var path = Path.Combine(ledger.Folder.FullName, $"proof-{treeSize}-{Guid.NewGuid():N}.tlog-proof");
        await File.WriteAllTextAsync(path, text);
        return path;
    }

    [Fact]
    public async Task Both_witnesses_cosign_a_checkpoint_which_the_ledger_then_publishes_dated_by_a_time_stamp_that_openssl_verifies()
    {
        var (id, size) = await WitnessedLedger.AppendDocumentAndCheckpointAsync(ledger.Http, "Cosigned");
        JsonElement checkpoint = default;
        await WitnessedLedger.Until(async () =>
        {
            checkpoint = await WitnessedLedger.CheckpointJsonAsync(ledger.Http);
            return checkpoint.GetProperty("treeSize").GetInt64() >= size && checkpoint.GetProperty("quorumReached").GetBoolean();
        }, "both cosignatures");
        checkpoint.GetProperty("witnessQuorum").GetInt32().ShouldBe(2);
        checkpoint.GetProperty("witnesses").EnumerateArray().Select(w => w.GetProperty("cosigned").GetBoolean()).ShouldBe([true, true]);
        var rtt = checkpoint.GetProperty("witnesses").EnumerateArray().Select(w => w.GetProperty("lastRoundTripMs").GetDouble()).ToList();
        output.WriteLine($"witness round trips seen by the ledger: {string.Join(", ", rtt.Select(r => $"{r:F1} ms"))}");

        // The public note carries the log's signature and both cosignatures; a policy of both passes, and one of a stranger fails.
        var note = await new HttpClient().GetStringAsync(new Uri(ledger.Api.BaseUri, "/log/checkpoint"));
        var policy = WitnessPolicy.Parse(await File.ReadAllTextAsync(PolicyFile(2, ledger.WitnessKeys)));
        policy.Evaluate(note).Cosigned.Select(c => c.Witness).ShouldBe(["W0", "W1"], ignoreOrder: true);

        var proof = await TlogProofFileAsync(checkpoint.GetProperty("treeSize").GetInt64());
        var (exit, said) = await WitnessCli.RunAsync("verify-proof", proof, "--key", ledger.Log.Verifier.VerifierKey, "--witness-policy", PolicyFile(2, ledger.WitnessKeys));
        exit.ShouldBe(0, said);
        said.ShouldContain("PASS witnesses");
        var stranger = CosignatureSigner.Generate("stranger.witness.test/w");
        (exit, said) = await WitnessCli.RunAsync("verify-proof", proof, "--key", ledger.Log.Verifier.VerifierKey,
            "--witness", ledger.WitnessKeys[0].Verifier.VerifierKey, "--witness", stranger.Verifier.VerifierKey);
        exit.ShouldBe(1, said);
        said.ShouldContain("FAIL witnesses");

        var state = Path.Combine(ledger.Folder.FullName, $"monitor-{Guid.NewGuid():N}");
        (exit, said) = await WitnessCli.RunAsync("monitor", "--log", new Uri(ledger.Api.BaseUri, "/log").ToString(), "--key", ledger.Log.Verifier.VerifierKey,
            "--state", state, "--witness-policy", PolicyFile(2, ledger.WitnessKeys));
        exit.ShouldBe(0, said);
        (exit, said) = await WitnessCli.RunAsync("monitor", "--log", new Uri(ledger.Api.BaseUri, "/log").ToString(), "--key", ledger.Log.Verifier.VerifierKey,
            "--state", state, "--witness-policy", PolicyFile(2, ledger.WitnessKeys[0], stranger));
        exit.ShouldBe(1, said);
        said.ShouldContain("no-quorum");

        // The signed JSON report carries the cosigned checkpoint: verify-report enforces the policy too.
        using var exported = await ledger.Http.GetAsync($"/api/documents/{id}/provenance?format=json");
        exported.EnsureSuccessStatusCode();
        var report = Path.Combine(ledger.Folder.FullName, $"report-{id}.json");
        await File.WriteAllBytesAsync(report, await exported.Content.ReadAsByteArrayAsync());
        await File.WriteAllTextAsync(report + ".sig", exported.Headers.GetValues("Provenance-Signature").Single());
        (exit, said) = await WitnessCli.RunAsync("verify-report", report, "--key", ledger.Log.Verifier.VerifierKey, "--witness-policy", PolicyFile(2, ledger.WitnessKeys));
        exit.ShouldBe(0, said);
        said.ShouldContain("PASS witnesses");
        (exit, said) = await WitnessCli.RunAsync("verify-report", report, "--key", ledger.Log.Verifier.VerifierKey,
            "--witness", ledger.WitnessKeys[1].Verifier.VerifierKey, "--witness", stranger.Verifier.VerifierKey, "--witness-quorum", "2");
        exit.ShouldBe(1, said);
        said.ShouldContain("FAIL witnesses");

        // The time-stamp: stored once it verified, served as a base64 DER TimeStampResp over the note as the log signed it.
        var treeSize = checkpoint.GetProperty("treeSize").GetInt64();
        JsonElement stamps = default;
        await WitnessedLedger.Until(async () =>
        {
            stamps = await ledger.Http.GetFromJsonAsync<JsonElement>($"/api/ledger/checkpoints/{treeSize}/timestamps");
            return stamps.GetProperty("items").GetArrayLength() == 1;
        }, "the time-stamp");
        var item = stamps.GetProperty("items")[0];
        item.GetProperty("authority").GetString().ShouldBe(ledger.Authority.Url);
        var reported = await ledger.Http.GetFromJsonAsync<JsonElement>($"/api/documents/{id}/provenance?format=json");
        reported.GetProperty("integrity").GetProperty("timestamps")[0].GetProperty("response").GetString().ShouldBe(item.GetProperty("response").GetString());
        var logNote = checkpoint.GetProperty("logNote").GetString()!;
        note.ShouldStartWith(logNote);
        var noteFile = Path.Combine(ledger.Folder.FullName, "note.txt");
        var replyFile = Path.Combine(ledger.Folder.FullName, "reply.tsr");
        await File.WriteAllBytesAsync(noteFile, new UTF8Encoding(false).GetBytes(logNote));
        await File.WriteAllBytesAsync(replyFile, Convert.FromBase64String(item.GetProperty("response").GetString()!));
        var (opensslExit, opensslSaid) = await RunAsync("openssl", "ts", "-verify", "-data", noteFile, "-in", replyFile, "-CAfile", ledger.CaFile);
        opensslSaid.ShouldContain("Verification: OK");
        opensslExit.ShouldBe(0, opensslSaid);
        await File.WriteAllTextAsync(noteFile, logNote + "tampered\n");
        (opensslExit, _) = await RunAsync("openssl", "ts", "-verify", "-data", noteFile, "-in", replyFile, "-CAfile", ledger.CaFile);
        opensslExit.ShouldNotBe(0);
        (await ledger.Http.GetAsync($"/api/ledger/checkpoints/{treeSize + 1000}/timestamps")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // Measured, not asserted: a witness round trip (the same checkpoint again, on a kept-alive connection) and the time-stamp
        // overhead per checkpoint (request, HTTP round trip to the local authority, full verification of the reply).
        using var keepAlive = new HttpClient();
        var resubmit = new AddCheckpointRequest(treeSize, [], logNote).Format();
        var witnessTimes = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            var clock = Stopwatch.StartNew();
            using var answer = await keepAlive.PostAsync(ledger.Witnesses[0].Url + "/add-checkpoint", new StringContent(resubmit));
            witnessTimes.Add(clock.Elapsed.TotalMilliseconds);
            answer.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        var anchors = RfcTimestamp.ReadCertificates(ledger.Authority.CaPem);
        var stampTimes = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            var clock = Stopwatch.StartNew();
            var (der, request) = RfcTimestamp.CreateRequest(Encoding.UTF8.GetBytes(logNote));
            using var content = new ByteArrayContent(der);
            using var answer = await keepAlive.PostAsync(ledger.Authority.Url, content);
            RfcTimestamp.VerifyReply(await answer.Content.ReadAsByteArrayAsync(), request, anchors).IsValid.ShouldBeTrue();
            stampTimes.Add(clock.Elapsed.TotalMilliseconds);
        }
        static double Median(List<double> times) => times.Skip(1).Order().ElementAt(10);
        output.WriteLine($"witness add-checkpoint round trip: median {Median(witnessTimes):F2} ms of 20 (after one warm-up)");
        output.WriteLine($"time-stamp overhead per checkpoint: median {Median(stampTimes):F2} ms of 20 (after one warm-up)");
    }

    [Fact]
    public async Task A_witness_down_delays_the_quorum_but_never_an_append_and_after_a_restart_it_keeps_its_state()
    {
        var before = await WitnessedLedger.AppendAndCheckpointAsync(ledger.Http, "Before the outage");
        await WitnessedLedger.Until(async () => (await WitnessedLedger.CheckpointJsonAsync(ledger.Http)).GetProperty("treeSize").GetInt64() >= before,
            "the checkpoint before the outage to be cosigned");

        ledger.Witnesses[1].Kill();
        var during = await WitnessedLedger.AppendAndCheckpointAsync(ledger.Http, "During the outage");
        during.ShouldBeGreaterThan(before);
        // The first witness cosigns, the quorum (both) is not reached: the published checkpoint stays the last witnessed one.
        await WitnessedLedger.Until(async () =>
        {
            using var health = await ledger.Http.GetAsync("/health/ready");
            var body = await health.Content.ReadFromJsonAsync<JsonElement>();
            return body.GetProperty("checks").GetProperty("witnesses").GetProperty("status").GetString() == "Degraded";
        }, "readiness to report the quorum missing");
        var published = await WitnessedLedger.CheckpointJsonAsync(ledger.Http);
        published.GetProperty("treeSize").GetInt64().ShouldBeLessThan(during);
        published.GetProperty("witnesses")[1].GetProperty("lastError").GetString()!.ShouldContain("unreachable");

        // Verifiers holding the newest checkpoint fail with a quorum of both, and pass with a quorum of one.
        await WitnessedLedger.Until(async () => (await File.ReadAllTextAsync(await TlogProofFileAsync(during))).Contains(ledger.WitnessKeys[0].Name),
            "the first witness's cosignature");
        var proof = await TlogProofFileAsync(during);
        var (exit, said) = await WitnessCli.RunAsync("verify-proof", proof, "--key", ledger.Log.Verifier.VerifierKey, "--witness-policy", PolicyFile(2, ledger.WitnessKeys));
        exit.ShouldBe(1, said);
        (exit, said) = await WitnessCli.RunAsync("verify-proof", proof, "--key", ledger.Log.Verifier.VerifierKey, "--witness-policy", PolicyFile(1, ledger.WitnessKeys));
        exit.ShouldBe(0, said);

        // Restarted on the same state folder, the witness still holds the size it cosigned before it was killed.
        var restarted = ledger.NewWitness(1, new Uri(ledger.Witnesses[1].Url).Port);
        ledger.Witnesses[1] = restarted;
        await restarted.StartAsync();
        var raw = await new HttpClient().PostAsync(restarted.Url + "/add-checkpoint", new StringContent(
            new AddCheckpointRequest(0, [], ledger.Log.SignCheckpoint(new Checkpoint(WitnessedLedger.Origin, 1, new byte[32]))).Format()));
        raw.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        raw.Content.Headers.ContentType!.MediaType.ShouldBe("text/x.tlog.size");
        long.Parse((await raw.Content.ReadAsStringAsync()).TrimEnd('\n')).ShouldBeGreaterThanOrEqualTo(before);

        await WitnessedLedger.Until(async () =>
        {
            var json = await WitnessedLedger.CheckpointJsonAsync(ledger.Http);
            return json.GetProperty("treeSize").GetInt64() >= during && json.GetProperty("quorumReached").GetBoolean();
        }, "the quorum once the witness is back");
        (exit, said) = await WitnessCli.RunAsync("verify-proof", await TlogProofFileAsync(during), "--key", ledger.Log.Verifier.VerifierKey,
            "--witness-policy", PolicyFile(2, ledger.WitnessKeys));
        exit.ShouldBe(0, said);
    }

    [Fact]
    public async Task A_fork_restored_from_a_backup_and_signed_with_the_same_key_is_refused_by_a_witness_that_saw_the_original()
    {
        await WitnessedLedger.AppendAndCheckpointAsync(ledger.Http, "Shared history");
        var fork = $"{ledger.Schema}_fork";
        var csb = new NpgsqlConnectionStringBuilder(ledger.ConnectionString);
        await using (var connection = new NpgsqlConnection(ledger.ConnectionString))
        {
            await connection.OpenAsync();
            await new NpgsqlCommand($"drop database if exists {fork}", connection).ExecuteNonQueryAsync();
            await new NpgsqlCommand($"create database {fork}", connection).ExecuteNonQueryAsync();
        }
        // The backup holds a cosigned checkpoint: without one, the fork would publish its newest (uncosigned) checkpoint by design.
        await WitnessedLedger.Until(async () => (await WitnessedLedger.CheckpointJsonAsync(ledger.Http)).GetProperty("quorumReached").GetBoolean(),
            "a cosigned checkpoint before the backup");
        var (dumped, dumpSaid) = await RunAsync("bash", "-c",
            $"set -o pipefail; {Tool("pg_dump")} -h {csb.Host} -p {csb.Port} -U {csb.Username} -n {ledger.Schema} {csb.Database} | " +
            $"{Tool("psql")} -q -v ON_ERROR_STOP=1 -h {csb.Host} -p {csb.Port} -U {csb.Username} -d {fork}");
        dumped.ShouldBe(0, dumpSaid);

        // The original grows by one event, and the first witness cosigns it.
        var original = await WitnessedLedger.AppendAndCheckpointAsync(ledger.Http, "Only in the original");
        await WitnessedLedger.Until(async () => (await WitnessedLedger.CheckpointJsonAsync(ledger.Http)).GetProperty("treeSize").GetInt64() >= original,
            "the original's checkpoint to be cosigned");

        // The restored copy grows differently, further, and is signed with the same key.
        var forkConnection = new NpgsqlConnectionStringBuilder(ledger.ConnectionString) { Database = fork }.ConnectionString;
        using var forked = new ApiProcess(forkConnection, ledger.Schema, ledger.AdminKey, WitnessedLedger.FreePort(), ledger.Settings(ledger.Witnesses[0]));
        try
        {
            await forked.StartAsync(TimeSpan.FromMinutes(2));
            using var http = ledger.Client(forked);
            await WitnessedLedger.AppendAndCheckpointAsync(http, "Only in the fork, one");
            var forkSize = await WitnessedLedger.AppendAndCheckpointAsync(http, "Only in the fork, two");
            forkSize.ShouldBeGreaterThan(original);

            JsonElement seen = default;
            await WitnessedLedger.Until(async () =>
            {
                seen = await WitnessedLedger.CheckpointJsonAsync(http);
                return seen.GetProperty("witnesses")[0].GetProperty("lastError").GetString() is { } error && error.StartsWith("422");
            }, "the witness to refuse the fork");
            output.WriteLine($"the fork's witness said: {seen.GetProperty("witnesses")[0].GetProperty("lastError").GetString()}");
            seen.GetProperty("treeSize").GetInt64().ShouldBeLessThan(forkSize);

            // The witness still holds the original's root at the original's size.
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(WitnessedLedger.Origin)));
            var held = Checkpoint.ParseNoteBody(SignedNote.Parse(await new HttpClient().GetStringAsync($"{ledger.Witnesses[0].Url}/{hash}/checkpoint")).Text);
            var originalNote = await ledger.Http.GetStringAsync($"/api/ledger/proofs/inclusion?sequence=1&treeSize={held.TreeSize}&format=tlog-proof");
            held.TreeSize.ShouldBeGreaterThanOrEqualTo(original);
            Checkpoint.ParseNoteBody(SignedNote.Parse(TlogProof.Parse(originalNote).Checkpoint).Text).RootHash.ShouldBe(held.RootHash);
        }
        finally
        {
            forked.Kill();
            await using var connection = new NpgsqlConnection(ledger.ConnectionString);
            await connection.OpenAsync();
            await new NpgsqlCommand($"drop database if exists {fork} with (force)", connection).ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task The_witness_process_answers_each_bad_submission_with_the_status_the_specification_names()
    {
        using var http = new HttpClient { BaseAddress = new Uri(ledger.Witnesses[0].Url) };
        async Task<HttpResponseMessage> Post(string body) => await http.PostAsync("/add-checkpoint", new StringContent(body));
        var stranger = LedgerSigner.Generate("stranger.test/log");
        (await Post(new AddCheckpointRequest(0, [], stranger.SignCheckpoint(new Checkpoint("stranger.test/log", 1, new byte[32]))).Format())).StatusCode
            .ShouldBe(HttpStatusCode.NotFound);
        var impostor = LedgerSigner.Generate(WitnessedLedger.Origin);
        (await Post(new AddCheckpointRequest(0, [], impostor.SignCheckpoint(new Checkpoint(WitnessedLedger.Origin, 1, new byte[32]))).Format())).StatusCode
            .ShouldBe(HttpStatusCode.Forbidden);
        (await Post("old 1\n")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await Post("old 0\n\n" + new string('x', AddCheckpointRequest.MaxBytes))).StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        (await http.GetAsync($"/{new string('0', 64)}/checkpoint")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        // Nothing of this moved the witness: the ledger's next checkpoint is still cosigned.
        var size = await WitnessedLedger.AppendAndCheckpointAsync(ledger.Http, "After bad submissions");
        await WitnessedLedger.Until(async () =>
        {
            var json = await WitnessedLedger.CheckpointJsonAsync(ledger.Http);
            return json.GetProperty("treeSize").GetInt64() >= size && json.GetProperty("quorumReached").GetBoolean();
        }, "the next checkpoint to be cosigned");
    }

    static string Tool(string name) => File.Exists($"/usr/lib/postgresql/15/bin/{name}") ? $"/usr/lib/postgresql/15/bin/{name}" : name;

    static async Task<(int Exit, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
