using Microsoft.Extensions.DependencyInjection;
using Provenance.Api.Ledger;
using System.Text.Json;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Ledger;
using Shouldly;

namespace Provenance.Tests.Ledger;

public sealed class Checkpoints_and_proofs(AppFixture fixture) : LedgerContext(fixture)
{
    [Fact]
    public async Task A_signed_checkpoint_verifies_with_an_independent_implementation_of_the_note_format()
    {
        await IngestAsync(title: "Checkpointed");
        var signed = await SignCheckpointAsync();

        var key = await GetJsonAsync(Roles.Reader, "/api/ledger/key");
        var verifierKey = key.GetProperty("verifierKey").GetString()!;
        var text = await Host.Scenario(s => s.Get.Url("/api/ledger/checkpoint"));
        text.Context.Response.ContentType.ShouldNotBeNull().ShouldStartWith("text/plain");
        var note = await text.ReadAsTextAsync();

        var (origin, treeSize, root) = IndependentVerifier.VerifyCheckpointNote(note, verifierKey);
        origin.ShouldBe(key.GetProperty("origin").GetString());
        treeSize.ShouldBeGreaterThanOrEqualTo(signed.GetProperty("treeSize").GetInt64());
        Checkpoint.Verify(note, NoteVerifier.Parse(verifierKey), origin).IsValid.ShouldBeTrue();

        var json = await Host.Scenario(s => s.Get.Url("/api/ledger/checkpoint").Accepts("application/json"));
        var resource = JsonDocument.Parse(await json.ReadAsTextAsync()).RootElement;
        resource.GetProperty("note").GetString().ShouldBe(note);
        resource.GetProperty("treeSize").GetInt64().ShouldBe(treeSize);
        Bytes(resource.GetProperty("rootHash")).ShouldBe(root);
    }

    [Fact]
    public async Task Only_auditors_and_admins_sign_checkpoints_on_demand()
    {
        var result = await As(Roles.Contributor, s => s.Post.Url("/api/ledger/checkpoints"));
        await ShouldBeProblemAsync(result, 403, "forbidden");
        (await As(Roles.Admin, s => s.Post.Url("/api/ledger/checkpoints"))).Context.Response.StatusCode.ShouldBeOneOf(201, 404);
    }

    [Fact]
    public async Task Every_event_of_a_document_is_chained_hashed_and_proven_included_in_the_checkpoint()
    {
        var doc = await IngestAsync(content: "Proof text one.\n", title: "Proven");
        await EditAsync(doc.Id, 1, "Proof text two.\n");
        await TranslateAsync(doc.Id, "fr", "Texte de preuve.\n");
        await SignCheckpointAsync();

        var proof = await GetJsonAsync(Roles.Reader, $"/api/documents/{doc.Id}/proof");
        var checkpoint = proof.GetProperty("checkpoint");
        var treeSize = checkpoint.GetProperty("treeSize").GetInt64();
        var root = Bytes(checkpoint.GetProperty("rootHash"));
        IndependentVerifier.VerifyCheckpointNote(checkpoint.GetProperty("note").GetString()!, checkpoint.GetProperty("verifierKey").GetString()!)
            .Root.ShouldBe(root);

        var events = proof.GetProperty("events").EnumerateArray().ToList();
        events.Count.ShouldBe(3);
        var previous = new byte[32];
        foreach (var e in events)
        {
            var sequence = e.GetProperty("sequence").GetInt64();
            var leafIndex = e.GetProperty("leafIndex").GetInt64();
            var leafHash = Bytes(e.GetProperty("leafHash"));
            var path = e.GetProperty("auditPath").EnumerateArray().Select(Bytes).ToList();

            // The leaf is the documented encoding of the row as stored, chained to the stream's previous leaf.
            Bytes(e.GetProperty("chainPrev")).ShouldBe(previous);
            (await LeafHashFromStoredRowAsync(sequence, previous)).ShouldBe(leafHash);
            previous = leafHash;

            new InclusionProof(leafIndex, treeSize, path).Verify(leafHash, root).IsValid.ShouldBeTrue();
            IndependentVerifier.VerifyInclusion(leafIndex, treeSize, leafHash, path, root).ShouldBeTrue();

            var single = await GetJsonAsync(Roles.Reader, $"/api/ledger/proofs/inclusion?sequence={sequence}&treeSize={treeSize}");
            single.GetProperty("leafIndex").GetInt64().ShouldBe(leafIndex);
            single.GetProperty("auditPath").EnumerateArray().Select(Bytes).ShouldBe(path);
        }
    }

    [Fact]
    public async Task Inclusion_proofs_read_from_the_leafs_hash_tile_and_cached_upper_nodes_equal_proofs_from_the_stored_nodes_at_every_tile_edge()
    {
        // Enough leaves for two full level-0 tiles and a partial third, whatever other tests appended before.
        var ledger = Host.Services.GetRequiredService<LedgerDatabase>();
        long size;
        do
        {
            var batch = Enumerable.Range(0, 300).Select(i => new { title = $"Tile edge {i}", language = "en", content = $"Leaf text {i} {Guid.NewGuid()}.\n" }).ToArray();
            (await As(Roles.Contributor, s => s.Post.Json(new { documents = batch }).ToUrl("/api/documents/batch"))).Context.Response.StatusCode.ShouldBe(201);
            await WaitForLedgerAsync();
            (size, _) = await ledger.TreeStateAsync(CancellationToken.None);
        } while (size <= 520);
        size.ShouldBeGreaterThan(520);

        var leaves = await ledger.LeafPageAsync(0, (int)size, CancellationToken.None);
        var checkedProofs = 0;
        foreach (var leaf in leaves.Where(l => l.LeafIndex % 256 is 0 or 1 or 127 or 128 or 254 or 255 || l.LeafIndex >= size - 3))
        {
            foreach (var treeSize in new[] { leaf.LeafIndex + 1, leaf.LeafIndex + 2, (leaf.LeafIndex / 256 + 1) * 256, (leaf.LeafIndex / 256 + 1) * 256 + 1, size }
                         .Where(n => n > leaf.LeafIndex && n <= size).Distinct())
            {
                var root = await ProofPlan.ForRoot(treeSize).ExecuteAsync(ledger);
                var expected = await ProofPlan.ForInclusion(leaf.LeafIndex, treeSize).ExecuteAsync(ledger);
                var served = await GetJsonAsync(Roles.Reader, $"/api/ledger/proofs/inclusion?sequence={leaf.Sequence}&treeSize={treeSize}");
                var path = served.GetProperty("auditPath").EnumerateArray().Select(Bytes).ToList();
                path.ShouldBe(expected.AuditPath, $"leaf {leaf.LeafIndex} in a tree of {treeSize}");
                IndependentVerifier.VerifyInclusion(leaf.LeafIndex, treeSize, leaf.LeafHash, path, root).ShouldBeTrue($"leaf {leaf.LeafIndex} in a tree of {treeSize}");
                checkedProofs++;
            }
        }
        checkedProofs.ShouldBeGreaterThan(40);
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Get.Url($"/api/ledger/proofs/inclusion?sequence={leaves[^1].Sequence}&treeSize={leaves[^1].LeafIndex}")),
            422, "validation");
    }

    [Fact]
    public async Task A_consistency_proof_between_two_checkpoints_verifies()
    {
        await IngestAsync(title: "Before the first checkpoint");
        var first = await SignCheckpointAsync();
        await IngestAsync(title: "Between the checkpoints");
        var second = await SignCheckpointAsync();
        var (m, n) = (first.GetProperty("treeSize").GetInt64(), second.GetProperty("treeSize").GetInt64());
        n.ShouldBeGreaterThan(m);

        var proof = await GetJsonAsync(Roles.Reader, $"/api/ledger/proofs/consistency?from={m}&to={n}");
        var path = proof.GetProperty("path").EnumerateArray().Select(Bytes).ToList();
        var (r1, r2) = (Bytes(first.GetProperty("rootHash")), Bytes(second.GetProperty("rootHash")));
        new ConsistencyProof(m, n, path).Verify(r1, r2).IsValid.ShouldBeTrue();
        IndependentVerifier.VerifyConsistency(m, n, r1, r2, path).ShouldBeTrue();
        IndependentVerifier.VerifyConsistency(m, n, r1, r2, path.Skip(1).ToList()).ShouldBeFalse();
    }

    [Fact]
    public async Task Proof_requests_with_bad_parameters_are_problems()
    {
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Get.Url("/api/ledger/proofs/inclusion")), 422, "validation");
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Get.Url("/api/ledger/proofs/inclusion?sequence=999999999&treeSize=1")), 404, "not-found");
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Get.Url("/api/ledger/proofs/consistency?from=5&to=2")), 422, "validation");
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Get.Url($"/api/documents/{Guid.NewGuid()}/proof")), 404, "not-found");
        await ShouldBeProblemAsync(await As(Roles.Contributor, s => s.Post.Url("/api/ledger/verify")), 403, "forbidden");
    }

    [Fact]
    public async Task An_untouched_ledger_verifies_intact()
    {
        await IngestAsync(title: "Verified ledger");
        await SignCheckpointAsync();
        var report = await VerifyLedgerAsync();
        report.GetProperty("intact").GetBoolean().ShouldBeTrue(report.ToString());
        report.GetProperty("leavesChecked").GetInt64().ShouldBeGreaterThan(0);
        report.GetProperty("checkpointsChecked").GetInt64().ShouldBeGreaterThan(0);
        report.GetProperty("nodesChecked").GetInt64().ShouldBeGreaterThanOrEqualTo(report.GetProperty("leavesChecked").GetInt64());
    }

    async Task<byte[]> LeafHashFromStoredRowAsync(long sequence, byte[] previous)
    {
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select stream_id, version, type, timestamp, data::text from {Fixture.Schema}.mt_events where seq_id = {sequence}", connection);
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue();
        var payload = CanonicalJson.Canonicalize(reader.GetString(4));
        var actor = JsonDocument.Parse(payload).RootElement.GetProperty("actor").GetString()!;
        var (stream, version, type, timestamp) = (reader.GetGuid(0), reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3));
        await reader.DisposeAsync();
        // Leaf format 2 (README of Provenance.Ledger §2a): the payload digest over the sealed fields stored beside the event.
        await using var sealsCommand = new NpgsqlCommand($"select path, salt, commitment from {Fixture.Schema}.ledger_field_seals where seq_id = {sequence}", connection);
        await using var sealsReader = await sealsCommand.ExecuteReaderAsync();
        var seals = new List<FieldSeal>();
        while (await sealsReader.ReadAsync()) seals.Add(new FieldSeal(sealsReader.GetString(0), (byte[])sealsReader[1], (byte[])sealsReader[2]));
        return LeafEncoding.LeafHash(new LedgerEntry(sequence, stream, version, type, timestamp, actor,
            FieldCommitments.PayloadDigest(payload, seals), previous) { Format = LeafEncoding.FormatVersion2 });
    }
}
