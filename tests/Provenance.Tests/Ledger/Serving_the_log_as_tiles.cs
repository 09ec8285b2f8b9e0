using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Provenance.Api.Ledger;
using Provenance.Ledger;
using Shouldly;
using Provenance.Api.Tenancy;

namespace Provenance.Tests.Ledger;

/// <summary>Issue 16: the ledger served as a c2sp.org/tlog-tiles log under /log/.</summary>
public sealed class Serving_the_log_as_tiles(AppFixture fixture) : LedgerContext(fixture)
{
    [Fact]
    public async Task Tiles_at_every_partial_tile_edge_equal_tiles_computed_independently_from_the_entries()
    {
        var size = await TreeSizeAsync();
        var edge = size % 256 == 255 ? size : size + (255 - size % 256 + 256) % 256;
        foreach (var target in new[] { edge, edge + 1, edge + 2 })
        {
            await GrowTreeToAsync(target);
            var leafHashes = await LeafHashesFromEntriesAsync(target);
            foreach (var level in Enumerable.Range(0, TlogTiles.LevelCount(target)))
            {
                foreach (var tile in TlogTiles.TilesOfLevel(level, target))
                {
                    var (status, bytes, cache) = await GetAsync(tile.Path);
                    status.ShouldBe(HttpStatusCode.OK, tile.Path);
                    bytes.ShouldBe(Independent.Tile(leafHashes, tile.Level, tile.Index, tile.Width), $"{tile.Path} in a tree of {target}");
                    cache.ShouldBe(tile.IsFull ? "public, max-age=31536000, immutable" : "public, max-age=60", tile.Path);
                }
            }
            // The leaves the tree committed to, as the ledger stored them.
            var stored = await ScalarAsync<byte[]>($"select leaf_hash from {{schema}}.ledger_leaves where leaf_index = {target - 1}");
            leafHashes[^1].ShouldBe(stored);
        }
    }

    [Fact]
    public async Task A_ledger_grown_before_the_public_log_existed_gets_its_bundles_rebuilt_and_serves_its_tiles()
    {
        await GrowTreeToAsync(await TreeSizeAsync() + 260);
        await SqlAsync("delete from {schema}.ledger_entry_chunks");
        var target = await TreeSizeAsync() + 3;
        await GrowTreeToAsync(target);
        var leafHashes = await LeafHashesFromEntriesAsync(target);
        var stored = await ScalarAsync<byte[]>("select string_agg(leaf_hash, ''::bytea order by leaf_index) from {schema}.ledger_leaves");
        leafHashes.SelectMany(h => h).ToArray().ShouldBe(stored);
        foreach (var tile in Enumerable.Range(0, TlogTiles.LevelCount(target)).SelectMany(l => TlogTiles.TilesOfLevel(l, target)))
        {
            (await GetAsync(tile.Path)).Bytes.ShouldBe(Independent.Tile(leafHashes, tile.Level, tile.Index, tile.Width), tile.Path);
        }
    }

    [Fact]
    public async Task Leaf_hashes_are_stored_once_and_level_0_rows_left_by_older_installations_are_never_read()
    {
        var target = await TreeSizeAsync() + 5;
        await GrowTreeToAsync(target);
        (await ScalarAsync<long>("select count(*) from {schema}.ledger_nodes where level = 0")).ShouldBe(0, "level 0 is ledger_leaves.leaf_hash");

        // An installation from before kept a copy of every leaf hash as a level-0 node: make those copies wrong, so reading one shows.
        await SqlAsync("insert into {schema}.ledger_nodes (level, idx, hash) select 0, leaf_index, sha256(leaf_hash) from {schema}.ledger_leaves");
        try
        {
            var leafHashes = await LeafHashesFromEntriesAsync(target);
            foreach (var tile in TlogTiles.TilesOfLevel(0, target))
            {
                (await GetAsync(tile.Path)).Bytes.ShouldBe(Independent.Tile(leafHashes, 0, tile.Index, tile.Width), tile.Path);
            }
            var appender = new MerkleAppender();
            foreach (var hash in leafHashes) appender.Append(hash);
            var root = appender.Root();
            var ledger = Host.Services.GetRequiredService<LedgerDatabase>();
            foreach (var leaf in await ledger.LeafPageAsync(target - 3, 3, CancellationToken.None))
            {
                var served = await GetJsonAsync(Roles.Reader, $"/api/ledger/proofs/inclusion?sequence={leaf.Sequence}&treeSize={target}");
                var path = served.GetProperty("auditPath").EnumerateArray().Select(Bytes).ToList();
                IndependentVerifier.VerifyInclusion(leaf.LeafIndex, target, leaf.LeafHash, path, root).ShouldBeTrue($"leaf {leaf.LeafIndex}");
            }
            var verification = await VerifyLedgerAsync();
            verification.GetProperty("intact").GetBoolean().ShouldBeTrue(verification.ToString());
        }
        finally
        {
            await SqlAsync("delete from {schema}.ledger_nodes where level = 0");
        }
    }

    [Fact]
    public async Task The_checkpoint_is_the_signed_note_and_proofs_built_from_tiles_alone_verify_against_it()
    {
        await GrowTreeToAsync(await TreeSizeAsync() + 300);
        var signed = await SignCheckpointAsync();
        var (status, bytes, cache) = await GetAsync("checkpoint");
        status.ShouldBe(HttpStatusCode.OK);
        cache.ShouldBe("public, max-age=5");
        var note = System.Text.Encoding.UTF8.GetString(bytes);
        note.ShouldBe(signed.GetProperty("note").GetString());

        var verifierKey = signed.GetProperty("verifierKey").GetString()!;
        var (_, treeSize, root) = IndependentVerifier.VerifyCheckpointNote(note, verifierKey);
        var tiles = new TiledNodeSource(treeSize, async (tile, _) => await GetAsync(tile.Path) is { Status: HttpStatusCode.OK } r ? r.Bytes : null);
        var leafHashes = await LeafHashesFromEntriesAsync(treeSize);
        foreach (var leaf in new[] { 0, treeSize / 2, treeSize - 257, treeSize - 1 })
        {
            var proof = await ProofPlan.ForInclusion(leaf, treeSize).ExecuteAsync(tiles);
            IndependentVerifier.VerifyInclusion(leaf, treeSize, leafHashes[(int)leaf], proof.AuditPath, root).ShouldBeTrue($"leaf {leaf}");
        }
        var older = treeSize - 100;
        var consistency = await ProofPlan.ForConsistency(older, treeSize).ExecuteAsync(tiles);
        IndependentVerifier.VerifyConsistency(older, treeSize, Independent.Root(leafHashes[..(int)older]), root, consistency.Path).ShouldBeTrue();
    }

    [Fact]
    public async Task Tiles_the_tree_has_not_reached_and_paths_that_are_not_tiles_are_404()
    {
        var size = await TreeSizeAsync();
        if (size % 256 == 0) await GrowTreeToAsync(++size);
        var last = (size - 1) / 256;
        var width = (int)(size % 256);
        (await GetAsync(new TileRef(0, last, width).Path)).Status.ShouldBe(HttpStatusCode.OK);
        foreach (var path in new[]
                 {
                     new TileRef(0, last, 256).Path, new TileRef(0, last, width + 1 > 255 ? 255 : width + 1).Path, new TileRef(0, last + 1, 1).Path,
                     new TileRef(5, 0, 1).Path, "tile/0/0000", "tile/0/000.p/0", "tile/0/000.p/256", "tile/x/000", "tile/0/x000/000", "tile/64/000",
                 })
        {
            var (status, _, _) = await GetAsync(path, Roles.Reader);
            status.ShouldBe(HttpStatusCode.NotFound, path);
        }
        (await GetAsync(new TileRef(0, last + 1, 1, IsEntries: true).Path, Roles.Reader)).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Entry_bundles_need_a_key_of_any_role_unless_the_log_makes_them_public()
    {
        var size = await TreeSizeAsync();
        if (size < 1) await GrowTreeToAsync(size = 1);
        var bundle = new TileRef(0, 0, (int)Math.Min(256, size), IsEntries: true).Path;

        var anonymous = await GetAsync(bundle);
        anonymous.Status.ShouldBe(HttpStatusCode.Unauthorized);
        foreach (var role in Roles.All)
        {
            var keyed = await GetAsync(bundle, role);
            keyed.Status.ShouldBe(HttpStatusCode.OK, role);
            keyed.CacheControl.ShouldNotBeNull().ShouldStartWith("private, ");
            keyed.CacheControl.ShouldNotContain("public");
        }
        // The hash tiles stay public either way.
        (await GetAsync(new TileRef(0, 0, (int)Math.Min(256, size)).Path)).Status.ShouldBe(HttpStatusCode.OK);

        var ledger = Host.Services.GetRequiredService<IOptions<ProvenanceOptions>>().Value.Ledger;
        ledger.PublicEntries = true;
        try
        {
            var open = await GetAsync(bundle);
            open.Status.ShouldBe(HttpStatusCode.OK);
            open.CacheControl.ShouldNotBeNull().ShouldStartWith("public, ");
            open.Bytes.ShouldBe((await GetAsync(bundle, Roles.Reader)).Bytes);
        }
        finally
        {
            ledger.PublicEntries = false;
        }
    }

    [Fact]
    public async Task The_largest_event_the_API_accepts_fits_an_entry_and_one_byte_more_is_refused()
    {
        var document = await IngestAsync("A claim to verify.\n");
        // Control characters are refused (issue 12), so the most bytes a character takes in canonical JSON is three (U+0800 and up):
        // notes and reason at their length limits in such characters, and evidence URIs filling the rest up to the limit exactly.
        var notes = new string('\u4e2d', FieldLimits.Notes);
        var reason = new string('\u4e2d', FieldLimits.Reason);
        var rest = FieldLimits.EventTextBytes - FieldLimits.JsonBytes(notes) - FieldLimits.JsonBytes(reason) - FieldLimits.JsonBytes(null);
        static string Uri(int length) => "https://example.org/" + new string('a', length - "https://example.org/".Length);
        var evidence = new List<string>();
        while (rest > FieldLimits.Uri + 2) { evidence.Add(Uri(FieldLimits.Uri)); rest -= FieldLimits.Uri + 2; }
        var last = rest - 2;
        object Body(int lastLength) => new { revision = 1, method = "source-comparison", verdict = "verified", notes, reason,
            evidence = evidence.Append(Uri(lastLength)).ToArray() };

        var tooLarge = await As(Roles.Verifier, s => s.Post.Json(Body(last + 1)).ToUrl($"/api/documents/{document.Id}/verifications"));
        await ShouldBeProblemAsync(tooLarge, 422, "validation");
        (await tooLarge.ReadAsTextAsync()).ShouldContain("\"evidence\":[");
        (await EventsOfAsync(document.Id)).Count.ShouldBe(1);

        var largest = await As(Roles.Verifier, s => s.Post.Json(Body(last)).ToUrl($"/api/documents/{document.Id}/verifications"));
        largest.Context.Response.StatusCode.ShouldBe(201, await largest.ReadAsTextAsync());
        await WaitForLedgerAsync();
        var leafIndex = await ScalarAsync<long>($"select max(leaf_index) from {{schema}}.ledger_leaves where stream_id = '{document.Id}'");
        var size = await TreeSizeAsync();
        var bundle = new TileRef(0, leafIndex / 256, TlogTiles.WidthIn(0, leafIndex / 256, size), IsEntries: true);
        var entry = EntryBundle.Split((await GetAsync(bundle.Path, Roles.Reader)).Bytes)[(int)(leafIndex % 256)];
        // Leaf format 2: the entry carries the payload's digest, not the payload (the limit still bounds a format-1 leaf's payload).
        entry.Length.ShouldBeLessThan(1024);
        LeafEncoding.Decode(entry.Span).Format.ShouldBe(LeafEncoding.FormatVersion2);
        LeafEncoding.Decode(entry.Span).EventType.ShouldContain("verified");
        MerkleHash.LeafHash(entry.Span).ShouldBe(await ScalarAsync<byte[]>($"select leaf_hash from {{schema}}.ledger_leaves where leaf_index = {leafIndex}"));
    }

    async Task<long> TreeSizeAsync()
    {
        if (await ScalarAsync<long>("select count(*) from {schema}.mt_events") == 0) return 0;
        await WaitForLedgerAsync();
        return await ScalarAsync<long>("select count(*) from {schema}.ledger_leaves");
    }

    /// <summary>Appends fixity events (any event is a leaf) until the tree has <paramref name="target"/> leaves.</summary>
    async Task GrowTreeToAsync(long target)
    {
        var missing = target - await TreeSizeAsync();
        if (missing <= 0) return;
        await using (var session = Store.LightweightSession(Tenants.Default))
        {
            var stream = Guid.NewGuid();
            for (var i = 0; i < missing; i++)
            {
                // A few streams, so the chains interleave in the log.
                if (i % 97 == 0) stream = Guid.NewGuid();
                session.Events.Append(stream, new FixityChecked(stream, $"sha256:{i:x64}", "passed", null, "test.tiles"));
            }
            await session.SaveChangesAsync();
        }
        (await TreeSizeAsync()).ShouldBe(target);
    }

    /// <summary>Every leaf hash of the tree of <paramref name="treeSize"/>, hashed here from the served entry bundles.</summary>
    async Task<byte[][]> LeafHashesFromEntriesAsync(long treeSize)
    {
        var hashes = new List<byte[]>();
        for (long index = 0; index * 256 < treeSize; index++)
        {
            var width = (int)Math.Min(256, treeSize - index * 256);
            var (status, bundle, _) = await GetAsync(new TileRef(0, index, width, IsEntries: true).Path, Roles.Reader);
            status.ShouldBe(HttpStatusCode.OK);
            var offset = 0;
            while (offset < bundle.Length)
            {
                var length = BinaryPrimitives.ReadUInt16BigEndian(bundle.AsSpan(offset));
                hashes.Add(SHA256.HashData([0x00, .. bundle.AsSpan(offset + 2, length)]));
                offset += 2 + length;
            }
            hashes.Count.ShouldBe((int)(index * 256 + width));
        }
        return [.. hashes];
    }

    async Task<(HttpStatusCode Status, byte[] Bytes, string? CacheControl)> GetAsync(string path, string? role = null)
    {
        using var client = Host.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/log/" + path);
        if (role is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", KeyFor(role));
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), 
            response.Headers.NonValidated.TryGetValues("Cache-Control", out var cache) ? string.Join(", ", cache) : null);
    }

    /// <summary>tlog-tiles' definition, written again here: hash i of tile (l, n) is MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l]).</summary>
    static class Independent
    {
        public static byte[] Tile(byte[][] leaves, int level, long index, int width)
        {
            var span = 1 << (8 * level);
            return Enumerable.Range(0, width).SelectMany(i => Root(leaves[(int)((index * 256 + i) * span)..(int)((index * 256 + i + 1) * span)])).ToArray();
        }

        public static byte[] Root(byte[][] leaves)
        {
            if (leaves.Length == 1) return leaves[0];
            var k = 1;
            while (k * 2 < leaves.Length) k *= 2;
            return SHA256.HashData([0x01, .. Root(leaves[..k]), .. Root(leaves[k..])]);
        }
    }
}
