using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Provenance.Tests.Packages;

/// <summary>
/// A BagIt validator written from RFC 8493 alone (sections 2, 3 and 4), sharing no code with the export or the CLI: it reads the
/// serialized bag with the framework's own ZIP and TAR readers and returns every violation it finds (empty: a valid bag).
/// </summary>
public static partial class Rfc8493
{
    /// <summary>The entries of a ZIP or TAR, by their names in the archive.</summary>
    public static Dictionary<string, byte[]> Entries(byte[] archive)
    {
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (archive.AsSpan().StartsWith("PK"u8))
        {
            using var zip = new ZipArchive(new MemoryStream(archive), ZipArchiveMode.Read);
            foreach (var entry in zip.Entries.Where(e => !e.FullName.EndsWith('/')))
            {
                using var data = entry.Open();
                using var copy = new MemoryStream();
                data.CopyTo(copy);
                entries.Add(entry.FullName, copy.ToArray());
            }
        }
        else
        {
            using var tar = new TarReader(new MemoryStream(archive));
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType == TarEntryType.Directory) continue;
                using var copy = new MemoryStream();
                entry.DataStream?.CopyTo(copy);
                entries.Add(entry.Name, copy.ToArray());
            }
        }
        return entries;
    }

    /// <summary>§4.2: a serialized bag has one top-level directory; returns its name and the files relative to it.</summary>
    public static (string? Root, Dictionary<string, byte[]> Files, List<string> Errors) Unpack(byte[] archive)
    {
        var errors = new List<string>();
        var entries = Entries(archive);
        var roots = entries.Keys.Select(k => k.Split('/')[0]).Distinct().ToList();
        if (roots.Count != 1 || entries.Keys.Any(k => !k.Contains('/'))) errors.Add($"§4.2: the serialization must have one top-level directory, not {string.Join(", ", roots)}");
        var root = roots.FirstOrDefault();
        var files = entries.Where(e => e.Key.Contains('/')).ToDictionary(e => e.Key[(e.Key.IndexOf('/') + 1)..], e => e.Value, StringComparer.Ordinal);
        return (root, files, errors);
    }

    public static List<string> Validate(byte[] archive)
    {
        var (_, files, errors) = Unpack(archive);
        errors.AddRange(Validate(files));
        return errors;
    }

    /// <summary>The files of a bag, by their paths relative to its base directory.</summary>
    public static List<string> Validate(IReadOnlyDictionary<string, byte[]> files)
    {
        var errors = new List<string>();
        // §2.1.1: bagit.txt, exactly two lines.
        if (!files.TryGetValue("bagit.txt", out var declaration)) return ["§2.1.1: bagit.txt is missing"];
        var lines = Encoding.UTF8.GetString(declaration).Split('\n');
        if (lines.Length != 3 || lines[2] != "" || !BagItVersion().IsMatch(lines[0].TrimEnd('\r')) || !Encoding_().IsMatch(lines[1].TrimEnd('\r')))
        {
            errors.Add($"§2.1.1: bagit.txt must be 'BagIt-Version: M.N' and 'Tag-File-Character-Encoding: ENCODING', found {Encoding.UTF8.GetString(declaration)}");
        }
        if (declaration.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF })) errors.Add("§2.1.1: bagit.txt must not start with a byte order mark");

        // §2.1.2: the payload directory.
        var payload = files.Keys.Where(k => k.StartsWith("data/", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        if (payload.Count == 0 && !files.Keys.Any(k => k == "data")) errors.Add("§2.1.2: there is no data/ directory");

        // §2.1.3: payload manifests, at least one; every payload file in every manifest; every line's file exists with that checksum.
        var manifests = files.Keys.Where(k => ManifestName().IsMatch(k)).ToList();
        if (manifests.Count == 0) errors.Add("§2.1.3: a bag must have at least one payload manifest");
        foreach (var manifest in manifests)
        {
            var algorithm = ManifestName().Match(manifest).Groups[1].Value;
            var listed = CheckLines(files, manifest, algorithm, errors, mustBePayload: true);
            foreach (var file in payload.Where(p => !listed.Contains(p))) errors.Add($"§3: {file} is not listed in {manifest}");
        }

        // §2.2.1: tag manifests list tag files only, each with a matching checksum; never themselves.
        foreach (var tagManifest in files.Keys.Where(k => TagManifestName().IsMatch(k)))
        {
            var algorithm = TagManifestName().Match(tagManifest).Groups[1].Value;
            var listed = CheckLines(files, tagManifest, algorithm, errors, mustBePayload: false);
            if (listed.Any(l => TagManifestName().IsMatch(l))) errors.Add($"§2.2.1: {tagManifest} lists a tag manifest");
        }

        // §2.2.2: bag-info.txt is label: value lines (continuations indented), Payload-Oxum octets.streams matches the payload.
        if (files.TryGetValue("bag-info.txt", out var info))
        {
            foreach (var line in Encoding.UTF8.GetString(info).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0))
            {
                if (line[0] is ' ' or '\t') continue;
                if (!InfoLine().IsMatch(line)) errors.Add($"§2.2.2: bag-info.txt line '{line}' is not 'Label: value'");
                else if (line.StartsWith("Payload-Oxum:", StringComparison.Ordinal))
                {
                    var expected = $"{payload.Sum(p => (long)files[p].Length)}.{payload.Count}";
                    var value = line["Payload-Oxum:".Length..].Trim();
                    if (value != expected) errors.Add($"§2.2.2: Payload-Oxum is {value}, the payload is {expected}");
                }
                else if (line.StartsWith("Bagging-Date:", StringComparison.Ordinal)
                         && !DateTime.TryParseExact(line["Bagging-Date:".Length..].Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                {
                    errors.Add("§2.2.2: Bagging-Date is YYYY-MM-DD");
                }
            }
        }
        return errors;
    }

    static HashSet<string> CheckLines(IReadOnlyDictionary<string, byte[]> files, string manifest, string algorithm, List<string> errors, bool mustBePayload)
    {
        var listed = new HashSet<string>(StringComparer.Ordinal);
        using HashAlgorithm? hash = algorithm switch { "sha256" => SHA256.Create(), "sha512" => SHA512.Create(), "sha1" => SHA1.Create(), "md5" => MD5.Create(), _ => null };
        if (hash is null) errors.Add($"{manifest}: algorithm '{algorithm}' is not one this validator knows");
        foreach (var line in Encoding.UTF8.GetString(files[manifest]).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0))
        {
            var match = ManifestLine().Match(line);
            if (!match.Success)
            {
                errors.Add($"§2.1.3: {manifest} line '{line}' is not 'checksum filepath'");
                continue;
            }
            var path = Uri.UnescapeDataString(match.Groups[2].Value.Replace("+", "%2B"));
            if (path.StartsWith('/') || path.Split('/').Any(s => s is "." or ".." or "")) errors.Add($"§2.1.3: {manifest} names '{path}', not a relative path inside the bag");
            if (mustBePayload != path.StartsWith("data/", StringComparison.Ordinal))
            {
                errors.Add(mustBePayload ? $"§2.1.3: {manifest} lists {path}, outside the payload" : $"§2.2.1: {manifest} lists {path}, a payload file");
            }
            if (!listed.Add(path)) errors.Add($"{manifest} lists {path} twice");
            if (!files.TryGetValue(path, out var bytes)) errors.Add($"§3: {path} is in {manifest} but not in the bag");
            else if (hash is not null && !Convert.ToHexStringLower(hash.ComputeHash(bytes)).Equals(match.Groups[1].Value, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"§3: {path} does not match its {algorithm} in {manifest}");
            }
        }
        return listed;
    }

    [GeneratedRegex(@"^BagIt-Version: [0-9]+\.[0-9]+$")] private static partial Regex BagItVersion();
    [GeneratedRegex(@"^Tag-File-Character-Encoding: \S+$")] private static partial Regex Encoding_();
    [GeneratedRegex(@"^manifest-([a-z0-9]+)\.txt$")] private static partial Regex ManifestName();
    [GeneratedRegex(@"^tagmanifest-([a-z0-9]+)\.txt$")] private static partial Regex TagManifestName();
    [GeneratedRegex(@"^([0-9a-fA-F]+)[ \t]+(.+)$")] private static partial Regex ManifestLine();
    [GeneratedRegex(@"^[^:\s][^:]*:[ \t].*$")] private static partial Regex InfoLine();
}
