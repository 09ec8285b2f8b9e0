using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Provenance.Api.Access;
using Provenance.Api.Ledger;
using Provenance.Ledger;
using Shouldly;
using Xunit.Abstractions;
using Provenance.Api.Tenancy;

namespace Provenance.Tests.Reports;

/// <summary>
/// A report must hold every event of its document among the checkpoint's leaves: the checkpoint commits to the document map, the
/// report carries the document's map proof, and verify-report names by version and sequence any event the report leaves out.
/// </summary>
public sealed class Reports_prove_their_completeness(AppFixture fixture, ITestOutputHelper output) : ReportsContext(fixture)
{
    Task<(int Exit, string Output)> RunAsync(params string[] args) => new CliRunner(Host, output).RunAsync(args);

    async Task<Guid> DocumentWithEventsAsync(int events)
    {
        var document = await IngestAsync("Version one.\n", "en", "Completeness");
        for (var revision = 1; revision < events; revision++) await EditAsync(document.Id, revision, $"Version {revision + 1}.\n");
        return document.Id;
    }

    static Checkpoint CheckpointOf(JsonElement resource) => Checkpoint.ParseNoteBody(SignedNote.Parse(resource.GetProperty("note").GetString()!).Text);

    static CompletenessProof CompletenessOf(JsonElement proof) =>
        JsonSerializer.Deserialize<CompletenessProof>(proof.GetProperty("completeness").GetRawText(), LedgerJson.Options)!;

    [Fact]
    public async Task Each_checkpoint_commits_to_the_document_map_and_the_proof_endpoint_proves_the_documents_count_and_newest_event()
    {
        var id = await DocumentWithEventsAsync(3);
        await SignCheckpointAsync();
        var proof = await GetJsonAsync(Roles.Reader, $"/api/documents/{id}/proof");
        var checkpoint = CheckpointOf(proof.GetProperty("checkpoint"));
        DocumentMap.TryGetRoot(checkpoint, out var mapRoot).ShouldBeTrue(checkpoint.ToNoteBody());

        var completeness = CompletenessOf(proof);
        completeness.MapRoot.ShouldBe(mapRoot);
        completeness.TreeSize.ShouldBe(checkpoint.TreeSize);
        completeness.ToMapProof().Verify(mapRoot).IsValid.ShouldBeTrue();
        var value = MapValue.Decode(completeness.Value);
        var events = proof.GetProperty("events").EnumerateArray().ToList();
        value.DocumentId.ShouldBe(id);
        value.Count.ShouldBe(3);
        value.LastSequence.ShouldBe(events[^1].GetProperty("sequence").GetInt64());
        value.LastLeafIndex.ShouldBe(events[^1].GetProperty("leafIndex").GetInt64());
        value.LastLeafHash.ShouldBe(Bytes(events[^1].GetProperty("leafHash")));
    }

    [Fact]
    public async Task Older_checkpoints_keep_their_map_and_a_document_newer_than_the_checkpoint_is_proved_absent()
    {
        var id = await DocumentWithEventsAsync(2);
        var first = await SignCheckpointAsync();
        await EditAsync(id, 2, "Version 3.\n");
        await EditAsync(id, 3, "Version 4.\n");
        var later = await IngestAsync("Later.\n", "en", "Newer than the checkpoint");
        await WaitForLedgerAsync();

        // Not yet signed: the latest checkpoint proves the later document has no event in it, and the proof lists one pending event.
        var pending = await GetJsonAsync(Roles.Reader, $"/api/documents/{later.Id}/proof");
        var absent = CompletenessOf(pending);
        absent.Value.ShouldBeNull();
        var firstCheckpoint = CheckpointOf(first);
        DocumentMap.TryGetRoot(firstCheckpoint, out var firstRoot).ShouldBeTrue();
        absent.ToMapProof().Verify(firstRoot).IsValid.ShouldBeTrue();
        var listed = pending.GetProperty("events").EnumerateArray().Select(e => new ListedEvent(e.GetProperty("sequence").GetInt64(),
            e.GetProperty("version").GetInt64(), e.GetProperty("leafIndex").GetInt64(), Bytes(e.GetProperty("leafHash")), Bytes(e.GetProperty("chainPrev")),
            e.GetProperty("inCheckpoint").GetBoolean(), HasData: true)).ToList();
        Completeness.Check(later.Id, firstCheckpoint, absent, listed).IsValid.ShouldBeTrue();
        // Placed in the checkpoint, the same event contradicts the map.
        Completeness.Check(later.Id, firstCheckpoint, absent, [listed[0] with { InCheckpoint = true, LeafIndex = 0 }]).IsValid.ShouldBeFalse();

        var second = await SignCheckpointAsync();
        var map = Host.Services.GetRequiredService<DocumentMapStore>();
        var atFirst = (await map.ProveAsync(id, first.GetProperty("treeSize").GetInt64(), CancellationToken.None))!;
        var atSecond = (await map.ProveAsync(id, second.GetProperty("treeSize").GetInt64(), CancellationToken.None))!;
        MapValue.Decode(atFirst.Value).Count.ShouldBe(2);
        MapValue.Decode(atSecond.Value).Count.ShouldBe(4);
        atFirst.ToMapProof().Verify(firstRoot).IsValid.ShouldBeTrue();
        DocumentMap.TryGetRoot(CheckpointOf(second), out var secondRoot).ShouldBeTrue();
        atSecond.ToMapProof().Verify(secondRoot).IsValid.ShouldBeTrue();
        atFirst.ToMapProof().Verify(secondRoot).IsValid.ShouldBeFalse();
    }

    /// <summary>The report with event <paramref name="version"/> taken out of <c>events</c> (and of <c>integrity.events</c>), signed again by the ledger's own key.</summary>
    async Task<(byte[] Report, string Signature, long Sequence)> WithoutAsync(byte[] report, long version, bool alsoItsProof)
    {
        var json = JsonNode.Parse(report)!;
        var events = json["events"]!.AsArray();
        var removed = events.Single(e => e!["version"]!.GetValue<long>() == version)!;
        var sequence = removed["sequence"]!.GetValue<long>();
        events.Remove(removed);
        if (alsoItsProof)
        {
            var proofs = json["integrity"]!["events"]!.AsArray();
            proofs.Remove(proofs.Single(p => p!["sequence"]!.GetValue<long>() == sequence));
        }
        var bytes = Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var signer = await Host.Services.GetRequiredService<LedgerKeyring>().SignerAsync(CancellationToken.None);
        return (bytes, signer.SignDetached(bytes).ToString(), sequence);
    }

    /// <summary>verify-report's output with the console's line wrapping undone.</summary>
    async Task<(int Exit, string Output)> VerifyAsync(byte[] report, string signature, params string[] options)
    {
        var (exit, text) = await VerifyWrappedAsync(report, signature, options);
        return (exit, System.Text.RegularExpressions.Regex.Replace(text, @"[ \t]*\r?\n", " "));
    }

    async Task<(int Exit, string Output)> VerifyWrappedAsync(byte[] report, string signature, string[] options)
    {
        var folder = Directory.CreateTempSubdirectory("provenance-completeness-");
        try
        {
            var file = Path.Combine(folder.FullName, "report.json");
            await File.WriteAllBytesAsync(file, report);
            await File.WriteAllTextAsync(file + ".sig", signature + "\n");
            return await RunAsync(["verify-report", file, "--key", (await LedgerKeyAsync()).VerifierKey, .. options]);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("newest", false)]
    [InlineData("newest", true)]
    [InlineData("oldest", false)]
    [InlineData("oldest", true)]
    [InlineData("middle", false)]
    [InlineData("middle", true)]
    public async Task verify_report_fails_a_report_that_leaves_out_an_event_and_names_it(string which, bool alsoItsProof)
    {
        var id = await DocumentWithEventsAsync(5);
        await SignCheckpointAsync();
        var (body, _, signature) = await GetReportAsync(id);
        var (exit, text) = await VerifyAsync(body, signature);
        exit.ShouldBe(0, text);
        text.ShouldContain("PASS completeness: All 5 events of the document");

        var version = which switch { "newest" => 5, "oldest" => 1, _ => 3 };
        var (tampered, resigned, sequence) = await WithoutAsync(body, version, alsoItsProof);
        (exit, text) = await VerifyAsync(tampered, resigned);
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL completeness: The document has 5 events among the first");
        text.ShouldContain("the report leaves out 1:");
        var sequences = JsonDocument.Parse(body).RootElement.GetProperty("events").EnumerateArray()
            .ToDictionary(e => e.GetProperty("version").GetInt64(), e => e.GetProperty("sequence").GetInt64());
        // The sequence is named whenever the report or the map holds it; with the proof gone too, an older event is placed between its neighbours.
        var named = (which, alsoItsProof) switch
        {
            ("oldest", true) => $"version 1 (sequence unknown, before {sequences[2]}, leaf hash ",
            ("middle", true) => $"version 3 (sequence unknown, between {sequences[2]} and {sequences[4]}, leaf hash ",
            _ => $"version {version} (sequence {sequence}",
        };
        text.ShouldContain(named);
        if (!alsoItsProof || which != "newest") return;
        // The newest event with its proof left out leaves a self-consistent report: only the completeness check sees the gap.
        (exit, text) = await VerifyAsync(tampered, resigned, "--skip-completeness");
        exit.ShouldBe(0, text);
    }

    [Fact]
    public async Task A_report_without_a_completeness_proof_fails_unless_completeness_is_skipped()
    {
        var id = await DocumentWithEventsAsync(2);
        await SignCheckpointAsync();
        var (body, _, _) = await GetReportAsync(id);
        var json = JsonNode.Parse(body)!;
        json["integrity"]!.AsObject().Remove("completeness");
        var bytes = Encoding.UTF8.GetBytes(json.ToJsonString());
        var signer = await Host.Services.GetRequiredService<LedgerKeyring>().SignerAsync(CancellationToken.None);
        var (exit, text) = await VerifyAsync(bytes, signer.SignDetached(bytes).ToString());
        exit.ShouldBe(1, text);
        text.ShouldContain("FAIL completeness: The report carries no completeness proof");
        (await VerifyAsync(bytes, signer.SignDetached(bytes).ToString(), "--skip-completeness")).Exit.ShouldBe(0);
    }

    [Fact]
    public async Task A_document_of_10000_events_proves_its_completeness_offline()
    {
        var id = (await IngestAsync("Line one.\n", "en", "Ten thousand events")).Id;
        await using (var session = Store.LightweightSession(Tenants.Default))
        {
            for (var i = 0; i < 9_999; i++)
            {
                session.Events.Append(id, new Provenance.Api.Documents.DocumentVerified(id, 1, null, null, "expert-review", "verified",
                    [$"https://example.org/evidence/{i}"], null, "auditor.bench", null));
            }
            await session.SaveChangesAsync();
        }
        await SignCheckpointAsync();
        var (body, _, signature) = await GetReportAsync(id);
        var integrity = JsonDocument.Parse(body).RootElement.GetProperty("integrity");
        var completeness = integrity.GetProperty("completeness").GetRawText();
        var key = await LedgerKeyAsync();

        var verification = ReportVerifier.Verify(body, signature, key);
        verification.Passed.ShouldBeTrue();
        verification.Checks.Single(c => c.Name == "completeness").Detail.ShouldContain("All 10000 events");

        // The completeness check alone, on what the verifier reads from the report: the map proof and each event's chain link.
        var report = JsonDocument.Parse(body).RootElement;
        var versions = report.GetProperty("events").EnumerateArray().ToDictionary(e => e.GetProperty("sequence").GetInt64(), e => e.GetProperty("version").GetInt64());
        var listed = integrity.GetProperty("events").EnumerateArray().Select(e => new ListedEvent(e.GetProperty("sequence").GetInt64(),
            versions[e.GetProperty("sequence").GetInt64()], e.GetProperty("leafIndex").GetInt64(), Bytes(e.GetProperty("leafHash")),
            Bytes(e.GetProperty("chainPrev")), e.GetProperty("inCheckpoint").GetBoolean(), HasData: true)).ToList();
        var checkpoint = Checkpoint.ParseNoteBody(SignedNote.Parse(integrity.GetProperty("checkpoint").GetString()!).Text);
        var proof = JsonSerializer.Deserialize<CompletenessProof>(completeness, LedgerJson.Options)!;
        var times = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            var clock = Stopwatch.StartNew();
            Completeness.Check(id, checkpoint, proof, listed).IsValid.ShouldBeTrue();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        var whole = Stopwatch.StartNew();
        ReportVerifier.Verify(body, signature, key).Passed.ShouldBeTrue();
        output.WriteLine($"10,000-event report: {body.Length:N0} bytes; its completeness proof {Encoding.UTF8.GetByteCount(completeness):N0} bytes of JSON " +
                         $"({proof.Siblings.Count} map siblings), using the chain link (chainPrev) every event's proof carries anyway; " +
                         $"completeness check {times.Order().ElementAt(3):0.00} ms (median of 7), the whole verify-report {whole.Elapsed.TotalMilliseconds:0} ms");
    }
}
