using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Provenance.Cli;

/// <summary>One file of a package as read: its path relative to the bag (or object) root, its size and digests; small tag files keep their bytes.</summary>
sealed record PackageFile(string Path, long Size, string Sha256, string Sha512, byte[]? Bytes);

/// <summary>A package someone gave us, which may be hostile: a name that climbs out (<c>..</c>), an absolute name, a link or a device is refused.</summary>
sealed class UnsafePackageException(string message) : Exception(message);

/// <summary>
/// Reads a bag (or OCFL object) from a folder, a <c>.zip</c> or a <c>.tar</c> without extracting it: every file is hashed as it streams
/// (SHA-256, SHA-512), only files outside <c>data/</c> (tag files, inventories) up to <see cref="KeptBytes"/> are kept in memory.
/// Archives hold one top-level folder, the bag's root (RFC 8493 §4.2).
/// </summary>
sealed class PackageFiles
{
    public const long KeptBytes = 256L * 1024 * 1024;

    public string Source { get; }
    public IReadOnlyDictionary<string, PackageFile> Files => _files;
    readonly Dictionary<string, PackageFile> _files = new(StringComparer.Ordinal);
    readonly Func<string, bool> _keep;
    string? _root;

    PackageFiles(string source, Func<string, bool> keep) => (Source, _keep) = (source, keep);

    public static bool KeepTagFiles(string path) => !path.StartsWith("data/", StringComparison.Ordinal);

    /// <summary>Reads every file once; throws <see cref="UnsafePackageException"/> for a name or entry kind a package must not have.</summary>
    public static async Task<PackageFiles> ReadAsync(string path, Func<string, bool> keep, CancellationToken ct)
    {
        var package = new PackageFiles(path, keep);
        if (Directory.Exists(path)) await package.ReadFolderAsync(path, ct);
        else if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist.");
        else if (IsZip(path)) await package.ReadZipAsync(path, null, ct);
        else await package.ReadTarAsync(path, null, ct);
        return package;
    }

    static bool IsZip(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return file.Read(magic) == 4 && magic.SequenceEqual("PK\x03\x04"u8);
    }

    /// <summary>Copies one file's bytes to <paramref name="destination"/> (a second read of the package: folder, zip or tar alike).</summary>
    public async Task CopyAsync(string relative, Stream destination, CancellationToken ct)
    {
        if (!_files.ContainsKey(relative)) throw new FileNotFoundException($"{relative} is not in {Source}.");
        if (Directory.Exists(Source))
        {
            await using var file = File.OpenRead(System.IO.Path.Combine(Source, relative));
            await file.CopyToAsync(destination, ct);
        }
        else if (IsZip(Source)) await ReadZipAsync(Source, (relative, destination), ct);
        else await ReadTarAsync(Source, (relative, destination), ct);
    }

    async Task ReadFolderAsync(string folder, CancellationToken ct)
    {
        var root = new DirectoryInfo(folder);
        if (root.LinkTarget is not null) throw new UnsafePackageException($"{folder} is a symbolic link.");
        foreach (var entry in root.EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = System.IO.Path.GetRelativePath(root.FullName, entry.FullName).Replace('\\', '/');
            if (entry.LinkTarget is not null) throw new UnsafePackageException($"{relative} is a symbolic link: refused.");
            if (entry is DirectoryInfo) continue;
            if (entry is not FileInfo file || (file.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) != 0)
            {
                throw new UnsafePackageException($"{relative} is not a regular file: refused.");
            }
            await using var stream = file.OpenRead();
            await AddAsync(Checked(relative), stream, ct);
        }
    }

    async Task ReadZipAsync(string path, (string Path, Stream Destination)? copy, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        await using var zip = await ZipArchive.CreateAsync(file, ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null, ct);
        foreach (var entry in zip.Entries)
        {
            var unixType = (entry.ExternalAttributes >> 16) & 0xF000;
            var name = entry.FullName;
            if (name.EndsWith('/') && entry.Length == 0) continue;
            if (unixType is not 0 and not 0x8000) throw new UnsafePackageException($"{name}: not a regular file (a link or device): refused.");
            var relative = InRoot(name);
            if (copy is { } c)
            {
                if (relative != c.Path) continue;
                await using var data = await entry.OpenAsync(ct);
                await data.CopyToAsync(c.Destination, ct);
                return;
            }
            await using var stream = await entry.OpenAsync(ct);
            await AddAsync(relative, stream, ct);
        }
    }

    async Task ReadTarAsync(string path, (string Path, Stream Destination)? copy, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        await using var tar = new TarReader(file);
        while (await tar.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            if (entry.EntryType is TarEntryType.Directory) { InRoot(entry.Name.TrimEnd('/') + "/x"); continue; }
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes) continue;
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
            {
                throw new UnsafePackageException($"{entry.Name}: a {entry.EntryType} entry (links and devices are refused).");
            }
            var relative = InRoot(entry.Name);
            var data = entry.DataStream ?? Stream.Null;
            if (copy is { } c)
            {
                if (relative != c.Path) continue;
                await data.CopyToAsync(c.Destination, ct);
                return;
            }
            await AddAsync(relative, data, ct);
        }
    }

    /// <summary>The path below the archive's single top-level folder.</summary>
    string InRoot(string name)
    {
        var path = Checked(name);
        var slash = path.IndexOf('/');
        if (slash <= 0 || slash == path.Length - 1) throw new UnsafePackageException($"{name}: outside the bag's top-level folder.");
        var root = path[..slash];
        _root ??= root;
        if (root != _root) throw new UnsafePackageException($"{name}: a second top-level folder ({root} beside {_root}); a serialized bag has one.");
        return path[(slash + 1)..];
    }

    /// <summary>Refuses absolute names, drive letters, backslashes, empty and dot segments, and control characters.</summary>
    static string Checked(string name)
    {
        if (name.Length == 0 || name.Length > 4096) throw new UnsafePackageException("An entry with an empty or overlong name.");
        if (name.StartsWith('/') || name.Contains('\\') || name.Contains(':') || name.Any(char.IsControl))
        {
            throw new UnsafePackageException($"{name}: an absolute name, a drive, a backslash or a control character: refused.");
        }
        var segments = name.Split('/');
        if (segments.Any(s => s is "" or "." or ".."))
        {
            throw new UnsafePackageException($"{name}: a '..', '.' or empty segment (a path leaving the package): refused.");
        }
        return name;
    }

    async Task AddAsync(string relative, Stream data, CancellationToken ct)
    {
        if (_files.ContainsKey(relative)) throw new UnsafePackageException($"{relative} appears twice.");
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var keep = _keep(relative) ? new MemoryStream() : null;
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while ((read = await data.ReadAsync(buffer, ct)) > 0)
        {
            sha256.AppendData(buffer, 0, read);
            sha512.AppendData(buffer, 0, read);
            size += read;
            if (keep is not null)
            {
                if (keep.Length + read > KeptBytes) throw new UnsafePackageException($"{relative} is larger than the {KeptBytes} bytes a tag file may have.");
                keep.Write(buffer, 0, read);
            }
        }
        _files[relative] = new PackageFile(relative, size, Convert.ToHexStringLower(sha256.GetHashAndReset()),
            Convert.ToHexStringLower(sha512.GetHashAndReset()), keep?.ToArray());
    }
}
