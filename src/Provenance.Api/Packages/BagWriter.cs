using System.Globalization;
using System.Text;
using Provenance.Ledger;

namespace Provenance.Api.Packages;

/// <summary>
/// An RFC 8493 BagIt 1.0 bag written as it streams: <c>bagit.txt</c> first, then the payload under <c>data/</c> (hashed as it passes),
/// tag files, and at the end <c>bag-info.txt</c> (Payload-Oxum and Bag-Size counted on the way), SHA-256 and SHA-512 payload and tag
/// manifests, and <c>provenance.sig</c>: a detached signature of the ledger's key over <c>tagmanifest-sha256.txt</c>, which covers every
/// other tag file, whose manifests cover every payload file. The signature file is itself in no manifest.
/// </summary>
public sealed class BagWriter(PackageArchive archive, string root)
{
    public const string SignatureFile = "provenance.sig";

    readonly List<(string Path, string Sha256, string Sha512)> _payload = [];
    readonly List<(string Path, string Sha256, string Sha512)> _tags = [];
    readonly HashSet<string> _paths = new(StringComparer.Ordinal);
    long _octets;

    /// <summary>The bag's top-level folder inside the archive (RFC 8493 §4.2: one top-level directory, named as the bag).</summary>
    public string Root => root;

    public Task StartAsync(CancellationToken ct) => TagAsync("bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"u8.ToArray(), ct);

    /// <summary>A payload file at <paramref name="path"/> (under <c>data/</c>), <paramref name="size"/> bytes copied by <paramref name="write"/>.</summary>
    public async Task PayloadAsync(string path, long size, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        if (!path.StartsWith("data/", StringComparison.Ordinal)) throw new ArgumentException("Payload files are under data/.", nameof(path));
        var (sha256, sha512) = await WriteHashedAsync(path, size, write, ct);
        _payload.Add((path, sha256, sha512));
        _octets += size;
    }

    public async Task TagAsync(string path, byte[] bytes, CancellationToken ct)
    {
        var (sha256, sha512) = await WriteHashedAsync(path, bytes.Length, (s, c) => s.WriteAsync(bytes, c).AsTask(), ct);
        _tags.Add((path, sha256, sha512));
    }

    async Task<(string, string)> WriteHashedAsync(string path, long size, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        if (!_paths.Add(path)) throw new InvalidOperationException($"{path} is already in the bag.");
        (string, string) digests = default;
        await archive.WriteAsync($"{root}/{path}", size, async (stream, c) =>
        {
            using var fixity = new FixityStream(stream);
            await write(fixity, c);
            if (fixity.Count != size) throw new InvalidOperationException($"{path}: {fixity.Count} bytes, not {size}.");
            digests = fixity.Digests();
        }, ct);
        return digests;
    }

    /// <summary>Writes bag-info.txt (the given fields, then the counts), the manifests and the signature; returns the signature.</summary>
    public async Task<DetachedSignature> FinishAsync(IEnumerable<(string Label, string Value)> info, LedgerSigner signer, CancellationToken ct)
    {
        var bagInfo = new StringBuilder();
        foreach (var (label, value) in info) bagInfo.Append(label).Append(": ").Append(TagValue(value)).Append('\n');
        bagInfo.Append("Payload-Oxum: ").Append(_octets.ToString(CultureInfo.InvariantCulture)).Append('.')
            .Append(_payload.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        bagInfo.Append("Bag-Size: ").Append(HumanSize(_octets)).Append('\n');
        await TagAsync("bag-info.txt", Encoding.UTF8.GetBytes(bagInfo.ToString()), ct);

        await TagAsync("manifest-sha256.txt", Manifest(_payload.Select(p => (p.Sha256, p.Path))), ct);
        await TagAsync("manifest-sha512.txt", Manifest(_payload.Select(p => (p.Sha512, p.Path))), ct);
        var tagManifest256 = Manifest(_tags.Select(t => (t.Sha256, t.Path)));
        var tagManifest512 = Manifest(_tags.Select(t => (t.Sha512, t.Path)));
        await archive.WriteAsync($"{root}/tagmanifest-sha256.txt", tagManifest256, ct);
        await archive.WriteAsync($"{root}/tagmanifest-sha512.txt", tagManifest512, ct);
        var signature = signer.SignDetached(tagManifest256);
        await archive.WriteAsync($"{root}/{SignatureFile}", Encoding.ASCII.GetBytes(signature + "\n"), ct);
        return signature;
    }

    static byte[] Manifest(IEnumerable<(string Digest, string Path)> lines)
    {
        var text = new StringBuilder();
        foreach (var (digest, path) in lines.OrderBy(l => l.Path, StringComparer.Ordinal)) text.Append(digest).Append(' ').Append(EncodePath(path)).Append('\n');
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>RFC 8493 §2.1.3: CR, LF and % in a manifest's file path are percent-encoded.</summary>
    public static string EncodePath(string path) => path.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A");

    /// <summary>A bag-info value on one line: control characters (a hostile title's line breaks) become spaces.</summary>
    public static string TagValue(string value)
    {
        var chars = value.Select(c => char.IsControl(c) ? ' ' : c).ToArray();
        return new string(chars).Trim();
    }

    public static string HumanSize(long octets) => octets switch
    {
        < 1024 => $"{octets} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{octets / 1024.0:0.#} KB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{octets / (1024.0 * 1024):0.#} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{octets / (1024.0 * 1024 * 1024):0.##} GB"),
    };

    /// <summary>A path segment safe on every file system from untrusted text (a language tag): letters, digits and hyphens, else <c>_</c>.</summary>
    public static string SafeSegment(string? text, string fallback)
    {
        if (string.IsNullOrEmpty(text)) return fallback;
        var chars = text.Take(64).Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_').ToArray();
        var segment = new string(chars).Trim('_');
        return segment.Length == 0 || segment.All(c => c == '-') ? fallback : segment;
    }

}
