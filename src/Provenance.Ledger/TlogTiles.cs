using System.Globalization;
using System.Text;

namespace Provenance.Ledger;

/// <summary>
/// One c2sp.org/tlog-tiles resource: hash tile <paramref name="Level"/> (or the entry bundle, <see cref="IsEntries"/>) number
/// <paramref name="Index"/>, <paramref name="Width"/> hashes or entries wide (256 = full).
/// </summary>
public readonly record struct TileRef(int Level, long Index, int Width, bool IsEntries = false)
{
    public bool IsFull => Width == TlogTiles.Width;

    /// <summary>The path under the log prefix: <c>tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c> or <c>tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c>.</summary>
    public string Path => TlogTiles.FormatPath(this);

    public override string ToString() => Path;
}

/// <summary>
/// The tile layout of c2sp.org/tlog-tiles: tiles of height 8, so a level-L tile holds 256 consecutive hashes of tree level 8·L,
/// and each hash of a level-(L+1) tile is the Merkle tree hash of a full level-L tile.
/// </summary>
public static class TlogTiles
{
    public const int Height = 8;
    public const int Width = 1 << Height;
    public const int FullTileBytes = Width * MerkleHash.Size;
    public const int MaxLevel = 63;

    /// <summary>How many hashes tree level 8·<paramref name="level"/> holds in a tree of <paramref name="treeSize"/> leaves.</summary>
    public static long HashesAtLevel(int level, long treeSize) => level * Height >= 63 ? 0 : treeSize >> (level * Height);

    /// <summary>The width of tile (<paramref name="level"/>, <paramref name="index"/>) in a tree of <paramref name="treeSize"/> leaves; 0 when the tree does not reach it.</summary>
    public static int WidthIn(int level, long index, long treeSize)
    {
        var remaining = HashesAtLevel(level, treeSize) - index * Width;
        return remaining <= 0 ? 0 : (int)Math.Min(Width, remaining);
    }

    /// <summary>Every tile of the tree of <paramref name="treeSize"/> leaves at <paramref name="level"/> from tile <paramref name="fromIndex"/> on, with its width in that tree.</summary>
    public static IEnumerable<TileRef> TilesOfLevel(int level, long treeSize, long fromIndex = 0, bool entries = false)
    {
        var count = HashesAtLevel(level, treeSize);
        for (var index = fromIndex; index * Width < count; index++)
        {
            yield return new TileRef(level, index, WidthIn(level, index, treeSize), entries);
        }
    }

    /// <summary>The number of tile levels a tree of <paramref name="treeSize"/> leaves has (level L exists when the tree has at least 256^L leaves).</summary>
    public static int LevelCount(long treeSize)
    {
        var levels = 0;
        while (HashesAtLevel(levels, treeSize) > 0) levels++;
        return levels;
    }

    public static string FormatPath(TileRef tile)
    {
        if (tile.Width is < 1 or > Width) throw new ArgumentOutOfRangeException(nameof(tile), "A tile is 1 to 256 wide.");
        if (tile.Index < 0) throw new ArgumentOutOfRangeException(nameof(tile), "A tile index is not negative.");
        var path = new StringBuilder("tile/")
            .Append(tile.IsEntries ? "entries" : tile.Level.ToString(CultureInfo.InvariantCulture)).Append('/')
            .Append(FormatIndex(tile.Index));
        if (!tile.IsFull) path.Append(".p/").Append(tile.Width.ToString(CultureInfo.InvariantCulture));
        return path.ToString();
    }

    /// <summary>Zero-padded 3-digit groups, all but the last prefixed with <c>x</c>: 1234067 is <c>x001/x234/067</c>.</summary>
    public static string FormatIndex(long index)
    {
        var groups = new List<string> { (index % 1000).ToString("000", CultureInfo.InvariantCulture) };
        for (index /= 1000; index > 0; index /= 1000)
        {
            groups.Add("x" + (index % 1000).ToString("000", CultureInfo.InvariantCulture));
        }
        groups.Reverse();
        return string.Join('/', groups);
    }

    /// <summary>
    /// Parses a path after the log prefix (<c>tile/…</c>), exactly as the spec writes it: no leading zeroes in L or W,
    /// 3-digit groups, W between 1 and 255. Anything else is not a tile.
    /// </summary>
    public static bool TryParsePath(string path, out TileRef tile)
    {
        tile = default;
        if (path.Length > 200 || !path.StartsWith("tile/", StringComparison.Ordinal)) return false;
        var parts = path["tile/".Length..].Split('/');
        if (parts.Length < 2) return false;

        var width = Width;
        var end = parts.Length;
        if (parts[^1] is var last && parts.Length >= 3 && parts[^2].EndsWith(".p", StringComparison.Ordinal))
        {
            if (!TryParseCanonical(last, out var w) || w is < 1 or >= Width) return false;
            width = (int)w;
            parts[^2] = parts[^2][..^2];
            end = parts.Length - 1;
        }

        var entries = parts[0] == "entries";
        var level = 0L;
        if (!entries && (!TryParseCanonical(parts[0], out level) || level > MaxLevel)) return false;

        var groups = parts[1..end];
        if (groups.Length is 0 or > 7) return false;
        long index = 0;
        for (var i = 0; i < groups.Length; i++)
        {
            var group = groups[i];
            var isLast = i == groups.Length - 1;
            if (!isLast)
            {
                if (!group.StartsWith('x')) return false;
                group = group[1..];
            }
            if (group.Length != 3 || !group.All(char.IsAsciiDigit)) return false;
            if (index > (long.MaxValue - 999) / 1000) return false;
            index = index * 1000 + int.Parse(group, CultureInfo.InvariantCulture);
        }
        // "x000/001" is not how 1 is written: the first group of a multi-group index is never zero.
        if (groups.Length > 1 && groups[0] == "x000") return false;

        tile = new TileRef((int)level, index, width, entries);
        return true;
    }

    static bool TryParseCanonical(string s, out long value)
    {
        value = 0;
        return s.Length is > 0 and <= 18 && s.All(char.IsAsciiDigit) && (s == "0" || s[0] != '0')
            && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The hashes a batch of newly completed nodes adds to tiles, grouped per tile: only nodes at levels 0, 8, 16, ….</summary>
    public static IReadOnlyList<TileAppend> TileAppends(IEnumerable<MerkleNode> completed)
    {
        var appends = new List<TileAppend>();
        foreach (var group in completed.Where(n => n.Level % Height == 0)
                     .GroupBy(n => (Level: n.Level / Height, Tile: n.Index >> Height))
                     .OrderBy(g => g.Key.Level).ThenBy(g => g.Key.Tile))
        {
            var nodes = group.OrderBy(n => n.Index).ToArray();
            var first = (int)(nodes[0].Index & (Width - 1));
            for (var i = 1; i < nodes.Length; i++)
            {
                if (nodes[i].Index != nodes[0].Index + i) throw new ArgumentException("Completed nodes of one tile are consecutive.", nameof(completed));
            }
            var hashes = new byte[nodes.Length * MerkleHash.Size];
            for (var i = 0; i < nodes.Length; i++) nodes[i].Hash.CopyTo(hashes, i * MerkleHash.Size);
            appends.Add(new TileAppend(group.Key.Level, group.Key.Tile, first, hashes));
        }
        return appends;
    }

    /// <summary>The hash of the perfect subtree over hashes [<paramref name="start"/>, start + <paramref name="count"/>) of one tile (count a power of two).</summary>
    public static byte[] SubtreeHash(ReadOnlySpan<byte> tile, int start, int count)
    {
        if (count < 1 || (count & (count - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(count), "A perfect subtree spans a power of two.");
        if ((start + count) * MerkleHash.Size > tile.Length) throw new ArgumentOutOfRangeException(nameof(count), "The subtree runs past the tile.");
        var layer = new byte[count][];
        for (var i = 0; i < count; i++) layer[i] = tile.Slice((start + i) * MerkleHash.Size, MerkleHash.Size).ToArray();
        for (var width = count; width > 1; width /= 2)
        {
            for (var i = 0; i < width / 2; i++) layer[i] = MerkleHash.NodeHash(layer[2 * i], layer[2 * i + 1]);
        }
        return layer[0];
    }

    /// <summary>The Merkle tree hash of a full tile: the hash its level-(L+1) parent tile holds.</summary>
    public static byte[] FullTileHash(ReadOnlySpan<byte> tile)
    {
        if (tile.Length != FullTileBytes) throw new ArgumentException($"A full tile has {FullTileBytes} bytes.", nameof(tile));
        return SubtreeHash(tile, 0, Width);
    }
}

/// <summary>Hashes [<paramref name="FirstPosition"/>, …) that one batch of appends adds to tile (<paramref name="Level"/>, <paramref name="Index"/>).</summary>
public sealed record TileAppend(int Level, long Index, int FirstPosition, byte[] Hashes)
{
    public int Count => Hashes.Length / MerkleHash.Size;
}
