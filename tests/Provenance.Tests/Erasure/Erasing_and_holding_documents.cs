using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Ledger;
using Provenance.Tests.Ledger;
using Shouldly;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Provenance.Tests.Erasure;

/// <summary>
/// Issue 18: erasure that keeps every proof valid. A title and a content revision carrying a unique marker are erased; the whole
/// database, dumped, holds the marker nowhere, while the ledger verifies, proofs verify independently and a report verifies offline.
/// </summary>
public sealed class Erasing_and_holding_documents(AppFixture fixture, ITestOutputHelper output) : LedgerContext(fixture)
{
    const string PgDump = "/usr/lib/postgresql/15/bin/pg_dump";

    static object Basis(string code = "gdpr-art17") => new { code, text = "Request of the data subject, 2026-11-30" };

    Task<Alba.IScenarioResult> RedactAsync(Guid id, object body, string role = Roles.Steward)
        => As(role, s => s.Post.Json(body).ToUrl($"/api/documents/{id}/redactions"));

    async Task<string> DumpAsync()
    {
        var b = new Npgsql.NpgsqlConnectionStringBuilder(Fixture.ConnectionString);
        var start = new ProcessStartInfo(PgDump, ["-h", b.Host!, "-p", b.Port.ToString(), "-U", b.Username ?? "postgres", "-d", b.Database!])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        if (b.Password is { } password) start.Environment["PGPASSWORD"] = password;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, await stderr);
        return await stdout;
    }

    /// <summary>The marker as text, as hex (how COPY writes bytea: content, idempotent bodies, entry bundles) and as base64.</summary>
    static string[] Forms(string marker) =>
        [marker, Convert.ToHexStringLower(Encoding.UTF8.GetBytes(marker)), Convert.ToBase64String(Encoding.UTF8.GetBytes(marker))[..12]];

    /// <summary>The tables (schema.table) whose COPY block in the dump holds any form of the marker.</summary>
    static List<string> TablesHolding(string dump, string marker)
    {
        var found = new List<string>();
        string? table = null;
        foreach (var line in dump.Split('\n'))
        {
            if (line.StartsWith("COPY ", StringComparison.Ordinal)) table = line.Split(' ')[1];
            else if (line == "\\.") table = null;
            if (Forms(marker).Any(f => line.Contains(f, StringComparison.Ordinal))) found.Add(table ?? "(schema or other statement)");
        }
        return found.Distinct().ToList();
    }

    [Fact]
    public async Task Erasing_a_title_and_a_revision_leaves_the_marker_nowhere_in_the_database_and_every_proof_valid()
    {
        var marker = $"MRK{Guid.NewGuid():N}";
        var ingest = await As(Roles.Contributor, s =>
        {
            s.Post.Json(new { title = $"Witness statement of {marker}", language = "en", content = "Public opening.\n" }).ToUrl("/api/documents");
            s.WithRequestHeader("Idempotency-Key", $"ingest-{Guid.NewGuid():N}");
        });
        ingest.Context.Response.StatusCode.ShouldBe(201);
        var id = (await ingest.ReadAsJsonAsync<DocumentResource>())!.Id;
        await EditAsync(id, 1, $"The witness {marker} lives at 3 Rue X.\n", reason: "Statement added.");
        await EditAsync(id, 2, "Public closing.\n", reason: "Statement withdrawn from the text.");
        await TranslateAsync(id, "fr", "Ouverture publique.\n", sourceRevision: 1);
        var before = await SignCheckpointAsync();
        var dumpBefore = await DumpAsync();
        TablesHolding(dumpBefore, marker).ShouldNotBeEmpty("the marker must be findable before erasure, or its absence proves nothing");
        output.WriteLine($"Tables holding the marker before erasure: {string.Join(", ", TablesHolding(dumpBefore, marker))}");

        var redaction = await RedactAsync(id, new
        {
            revisions = new[] { 2 }, fields = new[] { new { version = 1, field = "title" } }, reason = "Erasure request (GDPR art. 17).",
            legalBasis = Basis(), reference = "DPO-2026-117",
        });
        redaction.Context.Response.StatusCode.ShouldBe(201, await redaction.ReadAsTextAsync());
        var placeholder = JsonDocument.Parse(await redaction.ReadAsTextAsync()).RootElement.GetProperty("placeholder").GetString()!;
        placeholder.ShouldMatch(@"^\[redacted on \d{4}-\d{2}-\d{2} under gdpr-art17\]$");
        var after = await SignCheckpointAsync();

        // The whole database, dumped: the marker is in no table, in no encoding.
        var dump = await DumpAsync();
        TablesHolding(dump, marker).ShouldBeEmpty();
        var tables = dump.Split('\n').Where(l => l.StartsWith("COPY ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ToList();
        output.WriteLine($"Checked {tables.Count} tables: {string.Join(", ", tables)}");

        // The ledger is intact and says which event had fields erased.
        var verification = await VerifyLedgerAsync();
        verification.GetProperty("intact").GetBoolean().ShouldBeTrue(verification.ToString());
        verification.GetProperty("redacted").EnumerateArray().ShouldContain(r => r.GetProperty("streamId").GetGuid() == id && r.GetProperty("version").GetInt64() == 1);

        // Every inclusion proof, and the consistency of the checkpoints either side of the erasure, verify independently.
        var proof = await GetJsonAsync(Roles.Reader, $"/api/documents/{id}/proof");
        var root = Bytes(proof.GetProperty("checkpoint").GetProperty("rootHash"));
        var size = proof.GetProperty("checkpoint").GetProperty("treeSize").GetInt64();
        foreach (var e in proof.GetProperty("events").EnumerateArray())
        {
            IndependentVerifier.VerifyInclusion(e.GetProperty("leafIndex").GetInt64(), size, Bytes(e.GetProperty("leafHash")),
                e.GetProperty("auditPath").EnumerateArray().Select(Bytes).ToList(), root).ShouldBeTrue();
        }
        var (m, n) = (before.GetProperty("treeSize").GetInt64(), after.GetProperty("treeSize").GetInt64());
        var consistency = await GetJsonAsync(Roles.Reader, $"/api/ledger/proofs/consistency?from={m}&to={n}");
        IndependentVerifier.VerifyConsistency(m, n, Bytes(before.GetProperty("rootHash")), Bytes(after.GetProperty("rootHash")),
            consistency.GetProperty("path").EnumerateArray().Select(Bytes).ToList()).ShouldBeTrue();

        // Reads: the erased revision answers 410 with date and basis; the others, and the translation, are untouched.
        var gone = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{id}/content?revision=2"));
        await ShouldBeProblemAsync(gone, 410, "redacted");
        var problem = JsonDocument.Parse(await gone.ReadAsTextAsync()).RootElement;
        problem.GetProperty("legalBasis").GetProperty("code").GetString().ShouldBe("gdpr-art17");
        problem.GetProperty("redactedAt").GetDateTimeOffset().ShouldBeGreaterThan(DateTimeOffset.MinValue);
        problem.GetProperty("detail").GetString()!.ShouldContain("gdpr-art17");
        (await (await As(Roles.Reader, s => s.Get.Url($"/api/documents/{id}/content?revision=1"))).ReadAsTextAsync()).ShouldBe("Public opening.\n");
        (await (await As(Roles.Reader, s => s.Get.Url($"/api/documents/{id}/content?revision=3"))).ReadAsTextAsync()).ShouldBe("Public closing.\n");
        (await (await As(Roles.Reader, s => s.Get.Url($"/api/documents/{id}/content?language=fr"))).ReadAsTextAsync()).ShouldBe("Ouverture publique.\n");
        var timemap = await (await As(Roles.Reader, s => s.Get.Url($"/api/documents/{id}/timemap"))).ReadAsTextAsync();
        timemap.ShouldContain("content?revision=2");
        (await As(Roles.Reader, s =>
        {
            s.Get.Url($"/api/documents/{id}/content");
            s.WithRequestHeader("Accept-Datetime", DateTimeOffset.UtcNow.AddYears(1).ToString("r"));
        })).Context.Response.StatusCode.ShouldBe(200, "the memento of today is revision 3, not erased");

        // The placeholder stands in the view, the history and the lineage.
        var document = await GetJsonAsync(Roles.Reader, $"/api/documents/{id}");
        document.GetProperty("title").GetString().ShouldBe(placeholder);
        var history = (await GetJsonAsync(Roles.Reader, $"/api/documents/{id}/history")).ToString();
        history.ShouldContain("document_redacted");
        history.ShouldContain("DPO-2026-117");
        var page = await (await As(Roles.Reader, s => s.Get.Url($"/documents/{id}"))).ReadAsTextAsync();
        page.ShouldContain(placeholder);
        page.ShouldNotContain(marker);

        // The exported report verifies offline against the ledger's key, and shows the erasure.
        var report = await As(Roles.Auditor, s => s.Get.Url($"/api/documents/{id}/provenance"));
        var bytes = Encoding.UTF8.GetBytes(await report.ReadAsTextAsync());
        var key = NoteVerifier.Parse((await GetJsonAsync(Roles.Reader, "/api/ledger/key")).GetProperty("verifierKey").GetString()!);
        var result = ReportVerifier.Verify(bytes, report.Context.Response.Headers["Provenance-Signature"].ToString(), key);
        result.Passed.ShouldBeTrue(string.Join("\n", result.Checks.Select(c => $"{c.Name}: {c.Detail}")));
        result.Events.Single(e => e.Version == 1).Redaction!.ShouldContain("title");
        Encoding.UTF8.GetString(bytes).ShouldContain(placeholder);
    }

    [Fact]
    public async Task Redacting_the_same_thing_twice_answers_the_first_redaction_and_records_nothing()
    {
        var doc = await IngestAsync(title: "Twice erased");
        await EditAsync(doc.Id, 1, "Second text.\n", reason: "Names a private person.");
        await WaitForLedgerAsync();
        var body = new { fields = new[] { new { version = 2, field = "reason" } }, reason = "Court order 12/2026.", legalBasis = Basis("court-order") };
        var first = await RedactAsync(doc.Id, body);
        first.Context.Response.StatusCode.ShouldBe(201, await first.ReadAsTextAsync());
        first.Context.Response.Headers.Location.ToString().ShouldStartWith($"/api/documents/{doc.Id}/redactions/");
        var events = await EventCountAsync();

        var again = await RedactAsync(doc.Id, body);
        again.Context.Response.StatusCode.ShouldBe(200);
        JsonDocument.Parse(await again.ReadAsTextAsync()).RootElement.GetProperty("id").GetGuid()
            .ShouldBe(JsonDocument.Parse(await first.ReadAsTextAsync()).RootElement.GetProperty("id").GetGuid());
        (await EventCountAsync()).ShouldBe(events);
        (await GetJsonAsync(Roles.Auditor, $"/api/documents/{doc.Id}/redactions")).GetArrayLength().ShouldBe(1);
        await WaitForLedgerAsync();
        (await VerifyLedgerAsync()).GetProperty("intact").GetBoolean().ShouldBeTrue();
        var feed = await (await As(Roles.Integrator, s => s.Get.Url($"/api/feed?limit=500&document={doc.Id}"))).ReadAsTextAsync();
        feed.ShouldContain("org.provenance.document.redacted.v1");
        feed.ShouldNotContain("Names a private person.");
    }

    [Fact]
    public async Task A_hold_blocks_redaction_and_withdrawal_until_it_is_released()
    {
        var doc = await IngestAsync(title: "Under hold");
        await WaitForLedgerAsync();
        var placed = await As(Roles.Auditor, s => s.Post.Json(new { reason = "Litigation 2026-44 pending." }).ToUrl($"/api/documents/{doc.Id}/holds"));
        placed.Context.Response.StatusCode.ShouldBe(201, await placed.ReadAsTextAsync());
        var holdId = JsonDocument.Parse(await placed.ReadAsTextAsync()).RootElement.GetProperty("id").GetGuid();
        var events = await EventCountAsync();

        var redaction = await RedactAsync(doc.Id, new { fields = new[] { new { version = 1, field = "title" } }, reason = "Erasure.", legalBasis = Basis() });
        await ShouldBeProblemAsync(redaction, 409, "legal-hold");
        var problem = JsonDocument.Parse(await redaction.ReadAsTextAsync()).RootElement;
        problem.GetProperty("holdId").GetGuid().ShouldBe(holdId);
        problem.GetProperty("detail").GetString()!.ShouldContain(holdId.ToString());
        var withdrawal = await As(Roles.Steward, s => s.Post.Json(new { reason = "Takedown.", legalBasis = Basis("copyright") })
            .ToUrl($"/api/documents/{doc.Id}/withdrawals"));
        await ShouldBeProblemAsync(withdrawal, 409, "legal-hold");
        (await EventCountAsync()).ShouldBe(events);
        (await GetJsonAsync(Roles.Reader, $"/api/documents/{doc.Id}")).GetProperty("title").GetString().ShouldBe("Under hold");

        var released = await As(Roles.Auditor, s => s.Post.Json(new { }).ToUrl($"/api/documents/{doc.Id}/holds/{holdId}/release"));
        released.Context.Response.StatusCode.ShouldBe(200, await released.ReadAsTextAsync());
        JsonDocument.Parse(await released.ReadAsTextAsync()).RootElement.GetProperty("active").GetBoolean().ShouldBeFalse();
        await ShouldBeProblemAsync(await As(Roles.Auditor, s => s.Post.Json(new { }).ToUrl($"/api/documents/{doc.Id}/holds/{holdId}/release")), 409, "conflict");
        await WaitForLedgerAsync();
        (await RedactAsync(doc.Id, new { fields = new[] { new { version = 1, field = "title" } }, reason = "Erasure.", legalBasis = Basis() }))
            .Context.Response.StatusCode.ShouldBe(201);
        await WaitForLedgerAsync();
        var feed = await (await As(Roles.Integrator, s => s.Get.Url($"/api/feed?limit=500&document={doc.Id}"))).ReadAsTextAsync();
        feed.ShouldContain("org.provenance.document.held.v1", Case.Sensitive, feed);
        feed.ShouldContain("org.provenance.document.hold_released.v1");
    }

    [Fact]
    public async Task A_withdrawn_document_answers_451_to_readers_but_not_to_auditors_or_stewards()
    {
        var doc = await IngestAsync(title: "To be withdrawn", content: "Contested text.\n");
        var withdrawn = await As(Roles.Steward, s => s.Post.Json(new { reason = "Copyright claim.", legalBasis = Basis("copyright"), reference = "DMCA-88" })
            .ToUrl($"/api/documents/{doc.Id}/withdrawals"));
        withdrawn.Context.Response.StatusCode.ShouldBe(201, await withdrawn.ReadAsTextAsync());

        foreach (var url in new[] { $"/api/documents/{doc.Id}", $"/api/documents/{doc.Id}/content", $"/api/documents/{doc.Id}/history", $"/api/documents/{doc.Id}/lineage" })
        {
            var refused = await As(Roles.Reader, s => s.Get.Url(url));
            await ShouldBeProblemAsync(refused, 451, "withdrawn");
            var problem = JsonDocument.Parse(await refused.ReadAsTextAsync()).RootElement;
            problem.GetProperty("legalBasis").GetProperty("code").GetString().ShouldBe("copyright");
            problem.GetProperty("withdrawnAt").GetDateTimeOffset().ShouldBeGreaterThan(DateTimeOffset.MinValue);
            problem.GetProperty("detail").GetString()!.ShouldContain("copyright");
            (await As(Roles.Auditor, s => s.Get.Url(url))).Context.Response.StatusCode.ShouldBe(200);
            (await As(Roles.Steward, s => s.Get.Url(url))).Context.Response.StatusCode.ShouldBe(200);
        }
        // The archivists' pages answer the same way.
        var page = await As(Roles.Reader, s => s.Get.Url($"/documents/{doc.Id}"));
        page.Context.Response.StatusCode.ShouldBe(451);
        (await page.ReadAsTextAsync()).ShouldContain("copyright");
        (await As(Roles.Steward, s => s.Get.Url($"/documents/{doc.Id}"))).Context.Response.StatusCode.ShouldBe(200);
        await ShouldBeProblemAsync(await As(Roles.Steward, s => s.Post.Json(new { reason = "Again.", legalBasis = Basis("copyright") })
            .ToUrl($"/api/documents/{doc.Id}/withdrawals")), 409, "conflict");

        (await As(Roles.Steward, s => s.Delete.Url($"/api/documents/{doc.Id}/withdrawals/current"))).Context.Response.StatusCode.ShouldBe(204);
        (await As(Roles.Reader, s => s.Get.Url($"/api/documents/{doc.Id}"))).Context.Response.StatusCode.ShouldBe(200);
        await ShouldBeProblemAsync(await As(Roles.Steward, s => s.Delete.Url($"/api/documents/{doc.Id}/withdrawals/current")), 404, "not-found");
    }

    public static TheoryData<string, string> BadRedactions => new()
    {
        { """{"reason":"x","legalBasis":{"code":"gdpr-art17"}}""", "revisions" },
        { """{"fields":[{"version":1,"field":"mediaType"}],"reason":"x","legalBasis":{"code":"gdpr-art17"}}""", "fields[0].field" },
        { """{"fields":[{"version":1,"field":"title"}],"reason":"x"}""", "legalBasis" },
        { """{"fields":[{"version":1,"field":"title"}],"reason":"x","legalBasis":{"code":"GDPR Art 17"}}""", "legalBasis.code" },
        { """{"fields":[{"version":1,"field":"title"}],"legalBasis":{"code":"gdpr-art17"}}""", "reason" },
        { """{"revisions":[9],"reason":"x","legalBasis":{"code":"gdpr-art17"}}""", "revisions[0]" },
        { """{"fields":[{"version":1,"field":"translator"}],"reason":"x","legalBasis":{"code":"gdpr-art17"}}""", "fields[0]" },
        { """{"translations":[{"language":"de","sourceRevision":1}],"reason":"x","legalBasis":{"code":"gdpr-art17"}}""", "translations[0]" },
    };

    [Theory, MemberData(nameof(BadRedactions))]
    public async Task A_redaction_that_names_nothing_erasable_is_refused_and_changes_nothing(string body, string field)
    {
        var doc = await IngestAsync(title: "Kept intact");
        var events = await EventCountAsync();
        var result = await As(Roles.Steward, s => s.Post.Text(body).ContentType("application/json").ToUrl($"/api/documents/{doc.Id}/redactions"));
        await ShouldBeProblemAsync(result, 422, "validation");
        JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("errors").TryGetProperty(field, out _)
            .ShouldBeTrue(await result.ReadAsTextAsync());
        (await EventCountAsync()).ShouldBe(events);
        (await GetJsonAsync(Roles.Reader, $"/api/documents/{doc.Id}")).GetProperty("title").GetString().ShouldBe("Kept intact");
    }

    [Fact]
    public async Task Content_another_document_holds_stays_in_the_store_and_only_this_documents_access_ends()
    {
        var shared = $"Shared text {Guid.NewGuid():N}.\n";
        var a = await IngestAsync(shared, title: "Holder A");
        var b = await IngestAsync(shared, title: "Holder B");
        (await RedactAsync(a.Id, new { revisions = new[] { 1 }, reason = "Takedown.", legalBasis = Basis("copyright") })).Context.Response.StatusCode.ShouldBe(201);
        await ShouldBeProblemAsync(await As(Roles.Reader, s => s.Get.Url($"/api/documents/{a.Id}/content")), 410, "redacted");
        (await (await As(Roles.Reader, s => s.Get.Url($"/api/documents/{b.Id}/content"))).ReadAsTextAsync()).ShouldBe(shared);

        (await RedactAsync(b.Id, new { revisions = new[] { 1 }, reason = "Takedown.", legalBasis = Basis("copyright") })).Context.Response.StatusCode.ShouldBe(201);
        (await ScalarAsync<long>($"select count(*) from {{schema}}.content_blobs where digest = '{a.ContentDigest}'")).ShouldBe(0);
    }
}

/// <summary>
/// A ledger grown before leaf format 2 holds format-1 leaves, which commit to the payload itself. Erasing a field of one keeps its leaf
/// hash; the offline verifier proves the leaf included and says plainly that its content can no longer be recomputed.
/// </summary>
public sealed class Erasing_a_format_1_event(AppFixture fixture) : LedgerContext(fixture)
{
    static readonly LedgerSigner Signer = LedgerSigner.FromSeed("provenance.test/ledger", Enumerable.Repeat((byte)9, 32).ToArray());

    static byte[] FormatOneEntry(Provenance.Api.EventStore.StoredEvent e, byte[] previous)
    {
        var canonical = CanonicalJson.Canonicalize(e.Data);
        var actor = JsonDocument.Parse(canonical).RootElement.GetProperty("actor").GetString()!;
        return LeafEncoding.Encode(new LedgerEntry(e.Sequence, e.StreamId, e.Version, e.Type, LeafEncoding.TruncateToMicroseconds(e.Timestamp), actor,
            canonical, previous));
    }

    [Fact]
    public async Task Its_report_verifies_with_the_leaf_proved_included_and_the_content_reported_as_not_recomputable()
    {
        var reports = Host.Services.GetRequiredService<Provenance.Api.Reports.ProvenanceReports>();
        var doc = await IngestAsync(title: $"Format one {Guid.NewGuid():N}");
        var original = (await reports.EventsOfAsync(doc.Id, CancellationToken.None)).Single();
        await WaitForLedgerAsync();
        (await As(Roles.Steward, s => s.Post.Json(new { fields = new[] { new { version = 1, field = "title" } }, reason = "Erasure.",
            legalBasis = new { code = "gdpr-art17" } }).ToUrl($"/api/documents/{doc.Id}/redactions"))).Context.Response.StatusCode.ShouldBe(201);
        var stored = (await reports.EventsOfAsync(doc.Id, CancellationToken.None)).Select(e => e with { Seals = null }).ToList();
        stored.Count.ShouldBe(2);

        // The leaves a format-1 ledger committed: event 1 before its title was erased, the redaction as it is.
        var first = MerkleHash.LeafHash(FormatOneEntry(original, new byte[32]));
        var second = MerkleHash.LeafHash(FormatOneEntry(stored[1], first));
        var leaves = new List<byte[]> { first, second };
        var root = MerkleTree.ComputeRoot(leaves);
        var note = Signer.SignCheckpoint(new Checkpoint(Signer.Name, 2, root));
        var proofs = stored.Select((e, i) => new Provenance.Api.Ledger.DocumentEventProof(e.Sequence, e.Version, i, leaves[i], i == 0 ? new byte[32] : first,
            true, MerkleTree.InclusionPath(i, leaves))).ToList();
        var checkpoint = new Provenance.Api.Ledger.CheckpointResource(Signer.Name, 2, root, note, Signer.Verifier.VerifierKey, DateTimeOffset.UtcNow);
        var report = Provenance.Api.Reports.ProvenanceReports.Build(stored, new Provenance.Api.Ledger.DocumentProofResource(doc.Id, checkpoint, proofs, 0), DateTimeOffset.UtcNow, reports.Names);
        var bytes = Provenance.Api.Reports.ReportFormats.All.Single(f => f.Name == "json").Render(report);

        // A format-1 ledger predates the document map, so its reports carry no completeness proof (verify-report --skip-completeness).
        var result = ReportVerifier.Verify(bytes, Signer.SignDetached(bytes).ToString(), Signer.Verifier, checkCompleteness: false);
        result.Passed.ShouldBeTrue(string.Join("\n", result.Checks.Select(c => $"{c.Name}: {c.Detail}")));
        var erased = result.Events.Single(e => e.Version == 1);
        erased.Redaction.ShouldBe(ReportVerifier.FormatOneRedacted);
        erased.Included.ShouldBe(true);
        result.Checks.Single(c => c.Name == "events").Detail.ShouldContain("1 of 2 events: leaf hash recomputed");
        result.Checks.Single(c => c.Name == "events").Detail.ShouldContain("redacted: leaf hash retained, content not recomputable");

        // Without the committed redaction naming it, the same changed payload is a mismatch, never passed off as a redaction.
        var forged = Encoding.UTF8.GetString(bytes).Replace("document_redacted", "document_renamed", StringComparison.Ordinal);
        var forgedBytes = Encoding.UTF8.GetBytes(forged);
        ReportVerifier.Verify(forgedBytes, Signer.SignDetached(forgedBytes).ToString(), Signer.Verifier).Passed.ShouldBeFalse();
    }
}
