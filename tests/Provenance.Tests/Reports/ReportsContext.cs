using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Provenance.Api.Access;
using Provenance.Api.Ledger;
using Provenance.Api.Reports;
using Provenance.Api.Seeds;
using Provenance.Ledger;
using Provenance.Tests.Ledger;
using Shouldly;

namespace Provenance.Tests.Reports;

/// <summary>Loads the sample corpus, waits for the ledger and signs a checkpoint; pins reports for golden files.</summary>
public abstract class ReportsContext(AppFixture fixture) : LedgerContext(fixture)
{
    public const string Article = "ctv-ndp-nagorno-karabakh";
    public const string Letter = "open-letter-artsakh";

    protected static string RepositoryRoot()
        => typeof(ReportsContext).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
               .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;

    protected static string ReportsFolder => Path.Combine(RepositoryRoot(), "tests", "Provenance.Tests", "Reports");

    protected async Task<SeededCorpus> SeedAndCheckpointAsync()
    {
        using var scope = Host.Services.CreateScope();
        var loaded = await scope.ServiceProvider.GetRequiredService<SeedLoader>().LoadAsync(Path.Combine(RepositoryRoot(), "seeds", "manifest.json"), CancellationToken.None);
        await SignCheckpointAsync();
        return loaded;
    }

    protected async Task<(byte[] Body, string ContentType, string Signature)> GetReportAsync(Guid id, string? format = null, string? accept = null,
        string role = Roles.Auditor)
    {
        var result = await As(role, s =>
        {
            s.Get.Url($"/api/documents/{id}/provenance" + (format is null ? "" : $"?format={format}"));
            if (accept is not null) s.WithRequestHeader("Accept", accept);
        });
        var response = result.Context.Response;
        using var buffer = new MemoryStream();
        await response.Body.CopyToAsync(buffer);
        response.StatusCode.ShouldBe(200, System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        return (buffer.ToArray(), response.ContentType!, response.Headers[ProvenanceReportEndpoint.SignatureHeader].ToString());
    }

    protected async Task<NoteVerifier> LedgerKeyAsync()
    {
        var key = await GetJsonAsync(Roles.Reader, "/api/ledger/key");
        return NoteVerifier.Parse(key.GetProperty("verifierKey").GetString()!);
    }

    /// <summary>Signs with a fixed key, so pinned reports are byte-stable and still verify.</summary>
    public static readonly LedgerSigner PinnedSigner = LedgerSigner.FromSeed("provenance.test/ledger", Enumerable.Repeat((byte)7, 32).ToArray());

    /// <summary>
    /// The report of a seed document with everything the run decides replaced by stable values: sequences 1001.., one minute apart from
    /// 2026-01-01, no correlation ids, fixity checks left out (other tests add them), and a Merkle tree of only these events signed by
    /// <see cref="PinnedSigner"/> (or <paramref name="signer"/>). The event data (from the manifest) is kept as stored, so the leaves are
    /// recomputed for real.
    /// </summary>
    protected async Task<ProvenanceReport> PinnedReportAsync(Guid id, LedgerSigner? signer = null)
    {
        signer ??= PinnedSigner;
        var reports = Host.Services.GetRequiredService<ProvenanceReports>();
        var stored = (await reports.EventsOfAsync(id, CancellationToken.None)).Where(e => e.Type != reports.Names.Of<FixityChecked>()).ToList();
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var pinned = stored.Select((e, i) => e with
        {
            Sequence = 1001 + i, Version = i + 1, Timestamp = start.AddMinutes(i), CorrelationId = null, CausationId = null,
        }).ToList();
        var leaves = new List<byte[]>();
        var entries = new List<byte[]>();
        var chain = new List<byte[]>();
        foreach (var e in pinned)
        {
            var previous = leaves.Count == 0 ? new byte[32] : leaves[^1];
            var canonical = CanonicalJson.Canonicalize(e.Data);
            using var json = JsonDocument.Parse(canonical);
            var actor = json.RootElement.GetProperty("actor").GetString()!;
            chain.Add(previous);
            entries.Add(LeafEncoding.Encode(new LedgerEntry(e.Sequence, e.StreamId, e.Version, e.Type, e.Timestamp, actor, canonical, previous)));
            leaves.Add(MerkleHash.LeafHash(entries[^1]));
        }
        var root = MerkleTree.ComputeRoot(leaves);
        // The document map of this tree holds the one document: its count and newest leaf.
        var map = new InMemoryMapStore();
        var mapValue = new MapValue(id, pinned.Count, pinned[^1].Sequence, leaves.Count - 1, leaves[^1]);
        var mapUpdate = await MapTree.UpdateAsync(map.AsOf(0), [(DocumentMap.Key(id), mapValue.Encode())]);
        map.Add(leaves.Count, mapUpdate.Nodes);
        var completeness = CompletenessProof.From(leaves.Count, mapUpdate.Root, await MapTree.ProveAsync(map.AsOf(leaves.Count), DocumentMap.Key(id)));
        var note = signer.SignCheckpoint(new Checkpoint(signer.Name, leaves.Count, root) { Extensions = [DocumentMap.ExtensionLine(mapUpdate.Root)] });
        var proofs = pinned.Select((e, i) => new DocumentEventProof(e.Sequence, e.Version, i, leaves[i], chain[i], true,
            MerkleTree.InclusionPath(i, leaves)) { TlogProof = new TlogProof(i, MerkleTree.InclusionPath(i, leaves), note, entries[i]).Format() }).ToList();
        var checkpoint = new CheckpointResource(signer.Name, leaves.Count, root, note, signer.Verifier.VerifierKey, start.AddDays(1)) { LogNote = note };
        // The people directory as the seed manifest describes it, so the goldens show how persons are named.
        return await reports.DescribeAgentsAsync(
            ProvenanceReports.Build(pinned, new DocumentProofResource(id, checkpoint, proofs, 0) { Completeness = completeness }, start.AddDays(2), reports.Names),
            CancellationToken.None);
    }

    protected static bool XmllintAvailable()
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("xmllint", "--version") { RedirectStandardError = true, RedirectStandardOutput = true });
            probe!.WaitForExit();
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
