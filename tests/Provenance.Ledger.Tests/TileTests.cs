using System.Text;
using CsCheck;

namespace Provenance.Ledger.Tests;

/// <summary>c2sp.org/tlog-tiles: paths, tiles grown by appends against the spec's own definition, proofs from tiles alone.</summary>
public class TileTests
{
    [Theory]
    [InlineData(0, 0L, 256, false, "tile/0/000")]
    [InlineData(0, 1234067L, 256, false, "tile/0/x001/x234/067")]
    [InlineData(2, 1L, 17, false, "tile/2/001.p/17")]
    [InlineData(0, 1000L, 256, true, "tile/entries/x001/000")]
    [InlineData(0, 3L, 255, true, "tile/entries/003.p/255")]
    public void Tile_paths_are_written_and_read_as_the_spec_spells_them(int level, long index, int width, bool entries, string path)
    {
        var tile = new TileRef(level, index, width, entries);
        tile.Path.ShouldBe(path);
        TlogTiles.TryParsePath(path, out var parsed).ShouldBeTrue();
        parsed.ShouldBe(tile);
    }

    [Theory]
    [InlineData("tile/00/000")]
    [InlineData("tile/64/000")]
    [InlineData("tile/0/0000")]
    [InlineData("tile/0/01")]
    [InlineData("tile/0/x000/001")]
    [InlineData("tile/0/001/002")]
    [InlineData("tile/0/x1/002")]
    [InlineData("tile/0/000.p/0")]
    [InlineData("tile/0/000.p/256")]
    [InlineData("tile/0/000.p/07")]
    [InlineData("tile/0/000.p")]
    [InlineData("tile/entries/000.p/")]
    [InlineData("tile/-1/000")]
    [InlineData("tile/0/x999/x999/x999/x999/x999/x999/999")]
    [InlineData("tile/0/../000")]
    [InlineData("checkpoint")]
    public void Anything_else_is_not_a_tile(string path) => TlogTiles.TryParsePath(path, out _).ShouldBeFalse();

    [Fact]
    public void A_tree_of_70000_leaves_has_the_tiles_the_spec_lists()
    {
        // "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile, one partial level 1 tile of
        // width 17, and one partial level 2 tile of width 1."
        var tiles = Enumerable.Range(0, TlogTiles.LevelCount(70_000)).SelectMany(l => TlogTiles.TilesOfLevel(l, 70_000)).ToList();
        tiles.Count(t => t.Level == 0 && t.IsFull).ShouldBe(273);
        tiles.Single(t => t.Level == 0 && !t.IsFull).Width.ShouldBe(112);
        tiles.Count(t => t.Level == 1 && t.IsFull).ShouldBe(1);
        tiles.Single(t => t.Level == 1 && !t.IsFull).Width.ShouldBe(17);
        tiles.Single(t => t.Level == 2).Width.ShouldBe(1);
        TlogTiles.TilesOfLevel(1, 256).Single().Width.ShouldBe(1);
    }

    [Theory]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(3000)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    [InlineData(65_537)]
    public void Tiles_grown_by_appends_equal_the_tiles_the_spec_defines(int treeSize)
    {
        var leaves = TestLog.LeafHashes(treeSize);
        var grown = GrowTiles(leaves, batch: 997);
        foreach (var level in Enumerable.Range(0, TlogTiles.LevelCount(treeSize)))
        {
            foreach (var tile in TlogTiles.TilesOfLevel(level, treeSize))
            {
                var stored = grown[(tile.Level, tile.Index)];
                stored.Length.ShouldBe(tile.Width * MerkleHash.Size, tile.Path);
                stored.ShouldBe(SpecTile(leaves, tile), tile.Path);
            }
        }
        grown.Count.ShouldBe(Enumerable.Range(0, TlogTiles.LevelCount(treeSize)).Sum(l => TlogTiles.TilesOfLevel(l, treeSize).Count()));
    }

    [Fact]
    public void Proofs_built_from_tiles_alone_equal_the_reference_and_verify_against_the_root() =>
        Gen.Int[1, 5000].SelectMany(n => Gen.Long[0, n - 1].SelectMany(i => Gen.Long[1, n].Select(m => (n, i, m)))).Sample(c =>
        {
            var leaves = TestLog.LeafHashes(c.n);
            var grown = GrowTiles(leaves, batch: 300);
            var source = new TiledNodeSource(c.n, (tile, _) =>
                Task.FromResult<byte[]?>(grown.TryGetValue((tile.Level, tile.Index), out var t) && t.Length >= tile.Width * 32 ? t[..(tile.Width * 32)] : null));
            var root = MerkleTree.ComputeRoot(leaves);
            ProofPlan.ForRoot(c.n).ExecuteAsync(source).AsTask().Result.ShouldBe(root);

            var inclusion = ProofPlan.ForInclusion(c.i, c.n).ExecuteAsync(source).AsTask().Result;
            inclusion.AuditPath.ShouldBe(MerkleTree.InclusionPath(c.i, leaves));
            inclusion.Verify(leaves[(int)c.i], root).IsValid.ShouldBeTrue();

            var consistency = ProofPlan.ForConsistency(c.m, c.n).ExecuteAsync(source).AsTask().Result;
            consistency.Path.ShouldBe(MerkleTree.ConsistencyPath(c.m, leaves));
            consistency.Verify(MerkleTree.ComputeRoot(leaves.Take((int)c.m).ToArray()), root).IsValid.ShouldBeTrue();
        }, iter: 60);

    [Fact]
    public void Entry_bundles_carry_each_entry_behind_its_big_endian_length()
    {
        var bundle = EntryBundle.Encode([[1, 2, 3], [], Encoding.ASCII.GetBytes("abc")]);
        bundle.ShouldBe(new byte[] { 0, 3, 1, 2, 3, 0, 0, 0, 3, (byte)'a', (byte)'b', (byte)'c' });
        EntryBundle.Split(bundle).Select(e => e.ToArray()).ShouldBe([[1, 2, 3], [], "abc"u8.ToArray()]);
        EntryBundle.PrefixLength(bundle, 2).ShouldBe(7);
        Should.Throw<FormatException>(() => EntryBundle.Split(bundle[..^1]));
        Should.Throw<ArgumentException>(() => EntryBundle.Encode([new byte[65_536]]));
        EntryBundle.Split(EntryBundle.Encode([new byte[65_535]]))[0].Length.ShouldBe(65_535);
    }

    [Fact]
    public void A_leaf_encoding_reads_back_to_its_entry()
    {
        var entry = TestLog.Entries(3)[2];
        var decoded = LeafEncoding.Decode(LeafEncoding.Encode(entry));
        LeafEncoding.Encode(decoded).ShouldBe(LeafEncoding.Encode(entry));
        decoded.StreamId.ShouldBe(entry.StreamId);
        Should.Throw<FormatException>(() => LeafEncoding.Decode(LeafEncoding.Encode(entry)[..^1]));
        Should.Throw<FormatException>(() => LeafEncoding.Decode([.. LeafEncoding.Encode(entry), 0]));
    }

    /// <summary>The tiles a store holds after appending <paramref name="leaves"/> in batches, each batch's <see cref="TlogTiles.TileAppends"/> appended to them.</summary>
    internal static Dictionary<(int, long), byte[]> GrowTiles(IReadOnlyList<byte[]> leaves, int batch)
    {
        var appender = new MerkleAppender();
        var tiles = new Dictionary<(int, long), byte[]>();
        for (var start = 0; start < leaves.Count; start += batch)
        {
            var completed = leaves.Skip(start).Take(batch).SelectMany(l => appender.Append(l)).ToList();
            foreach (var append in TlogTiles.TileAppends(completed))
            {
                var key = (append.Level, append.Index);
                var existing = tiles.GetValueOrDefault(key, []);
                existing.Length.ShouldBe(append.FirstPosition * MerkleHash.Size);
                tiles[key] = [.. existing, .. append.Hashes];
            }
        }
        return tiles;
    }

    /// <summary>MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l]) for i below the tile's width: the definition in tlog-tiles.</summary>
    internal static byte[] SpecTile(IReadOnlyList<byte[]> leaves, TileRef tile)
    {
        var span = 1 << (8 * tile.Level);
        var all = leaves as byte[][] ?? leaves.ToArray();
        var hashes = new List<byte>();
        for (var i = 0; i < tile.Width; i++)
        {
            var start = (int)(tile.Index * 256 + i) * span;
            hashes.AddRange(MerkleTree.ComputeRoot(new ArraySegment<byte[]>(all, start, span)));
        }
        return [.. hashes];
    }
}

/// <summary>A log of chained ledger entries: a few streams, sequences with gaps, each event chained to its stream's previous leaf.</summary>
static class TestLog
{
    public static IReadOnlyList<LedgerEntry> Entries(int count, int seed = 7)
    {
        var random = new Random(seed);
        var streams = Enumerable.Range(0, 1 + count / 20).Select(_ =>
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            return new Guid(bytes);
        }).ToArray();
        var heads = new Dictionary<Guid, (long Version, byte[] Hash)>();
        var entries = new List<LedgerEntry>(count);
        long sequence = 0;
        for (var i = 0; i < count; i++)
        {
            sequence += 1 + random.Next(3);
            var stream = streams[random.Next(streams.Length)];
            var (version, previous) = heads.TryGetValue(stream, out var h) ? (h.Version + 1, h.Hash) : (1L, new byte[32]);
            var entry = new LedgerEntry(sequence, stream, version, "DocumentEdited", DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000 + i), "alice",
                Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"), previous);
            heads[stream] = (version, LeafEncoding.LeafHash(entry));
            entries.Add(entry);
        }
        return entries;
    }

    public static IReadOnlyList<byte[]> LeafHashes(int count) =>
        Enumerable.Range(0, count).Select(i => MerkleHash.LeafHash(BitConverter.GetBytes(i))).ToArray();
}
