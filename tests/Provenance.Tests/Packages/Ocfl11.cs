using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Provenance.Tests.Packages;

/// <summary>
/// The inventory and structure rules of OCFL 1.1 (https://ocfl.io/1.1/spec/, sections 3 and 4), written from the spec for the tests:
/// @ocfl/ocfl-fs 0.2.2 reads objects but does not validate them (its validate() throws "Not Implemented"). Returns every violation.
/// </summary>
public static partial class Ocfl11
{
    public static List<string> ValidateRoot(string root)
    {
        var errors = new List<string>();
        if (!File.Exists(Path.Combine(root, "0=ocfl_1.1")) || File.ReadAllText(Path.Combine(root, "0=ocfl_1.1")) != "ocfl_1.1\n") errors.Add("§4.2: the storage root declaration 0=ocfl_1.1 must hold 'ocfl_1.1\\n'");
        foreach (var declaration in Directory.EnumerateFiles(root, "0=ocfl_object_1.1", SearchOption.AllDirectories))
        {
            errors.AddRange(ValidateObject(Path.GetDirectoryName(declaration)!).Select(e => $"{Path.GetRelativePath(root, Path.GetDirectoryName(declaration)!)}: {e}"));
        }
        return errors;
    }

    public static List<string> ValidateObject(string objectRoot)
    {
        var errors = new List<string>();
        if (File.ReadAllText(Path.Combine(objectRoot, "0=ocfl_object_1.1")) != "ocfl_object_1.1\n") errors.Add("§3.1: the object declaration must hold 'ocfl_object_1.1\\n' (E007)");
        var head = Inventory(objectRoot, errors, "inventory.json");
        if (head is null) return errors;
        var root = head.Value;
        foreach (var field in new[] { "id", "type", "digestAlgorithm", "head", "manifest", "versions" })
        {
            if (!root.TryGetProperty(field, out _)) errors.Add($"§3.5.1: the inventory has no '{field}' (E036/E041)");
        }
        if (errors.Count > 0) return errors;
        if (root.GetProperty("type").GetString() != "https://ocfl.io/1.1/spec/#inventory") errors.Add("§3.5.1: type is https://ocfl.io/1.1/spec/#inventory (E038)");
        if (root.GetProperty("digestAlgorithm").GetString() is not ("sha512" or "sha256")) errors.Add("§3.5.1: digestAlgorithm is sha512 or sha256 (E025)");
        var contentDirectory = root.TryGetProperty("contentDirectory", out var cd) ? cd.GetString()! : "content";
        if (contentDirectory.Contains('/') || contentDirectory is "." or "..") errors.Add("§3.3: contentDirectory must not contain '/' or be '.' or '..' (E017)");

        var versions = root.GetProperty("versions").EnumerateObject().Select(v => v.Name).ToList();
        var numbers = versions.Select(v => VersionName().Match(v)).ToList();
        if (numbers.Any(m => !m.Success)) errors.Add("§3.5.3: version names are v1, v2, ... (E046)");
        var expected = Enumerable.Range(1, versions.Count).Select(n => $"v{n}").ToList();
        if (!versions.Order().SequenceEqual(expected.Order())) errors.Add($"§3.5.3: versions must be v1..v{versions.Count} without gaps or zero padding, found {string.Join(", ", versions)} (E010)");
        if (root.GetProperty("head").GetString() != $"v{versions.Count}") errors.Add("§3.5.1: head is the highest version (E040)");

        var manifest = root.GetProperty("manifest").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetString()!).ToList());
        var contentPaths = new HashSet<string>(StringComparer.Ordinal);
        using var algorithm = root.GetProperty("digestAlgorithm").GetString() == "sha512" ? (HashAlgorithm)SHA512.Create() : SHA256.Create();
        foreach (var (digest, paths) in manifest)
        {
            foreach (var path in paths)
            {
                if (!contentPaths.Add(path)) errors.Add($"§3.5.2: {path} appears twice in the manifest (E101)");
                if (path.StartsWith('/') || path.Split('/').Any(s => s is "" or "." or "..")) errors.Add($"§3.5.2: {path} is not a relative path without '.', '..' or empty segments (E099/E100)");
                if (!Regex.IsMatch(path, $"^v[1-9][0-9]*/{Regex.Escape(contentDirectory)}/")) errors.Add($"§3.3: content path {path} is not in a version's content directory");
                var full = Path.Combine(objectRoot, path);
                if (!File.Exists(full)) { errors.Add($"§3.5.2: {path} is in the manifest but not in the object (E092)"); continue; }
                if (!Convert.ToHexStringLower(algorithm.ComputeHash(File.ReadAllBytes(full))).Equals(digest, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"§3.5.2: {path} does not match its digest (E093)");
                }
            }
        }
        foreach (var version in versions)
        {
            var folder = Path.Combine(objectRoot, version);
            if (!Directory.Exists(folder)) { errors.Add($"§3.3: {version} has no directory (E010)"); continue; }
            var content = Path.Combine(folder, contentDirectory);
            if (Directory.Exists(content))
            {
                foreach (var file in Directory.EnumerateFiles(content, "*", SearchOption.AllDirectories))
                {
                    var relative = Path.GetRelativePath(objectRoot, file).Replace('\\', '/');
                    if (!contentPaths.Contains(relative)) errors.Add($"§3.3.1: {relative} is not in the manifest (E023)");
                }
            }
            var data = root.GetProperty("versions").GetProperty(version);
            if (!data.TryGetProperty("created", out var created) || !DateTimeOffset.TryParse(created.GetString(), CultureInfo.InvariantCulture, out _)
                || !created.GetString()!.Contains('T') || !(created.GetString()!.EndsWith('Z') || Regex.IsMatch(created.GetString()!, @"[+-]\d\d:\d\d$")))
            {
                errors.Add($"§3.5.3.1: {version} created is an RFC 3339 date-time with a time zone (E049)");
            }
            if (data.TryGetProperty("user", out var user) && (!user.TryGetProperty("name", out var name) || name.GetString() is not { Length: > 0 })) errors.Add($"§3.5.3.1: {version} user has a name (E054)");
            var logical = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in data.GetProperty("state").EnumerateObject())
            {
                if (!manifest.ContainsKey(entry.Name)) errors.Add($"§3.5.3.1: {version} state digest {entry.Name} is not in the manifest (E050)");
                foreach (var path in entry.Value.EnumerateArray().Select(p => p.GetString()!))
                {
                    if (path.StartsWith('/') || path.Split('/').Any(s => s is "" or "." or "..")) errors.Add($"§3.5.3.1: logical path {path} is not valid (E053)");
                    if (!logical.Add(path)) errors.Add($"§3.5.3.1: logical path {path} appears twice in {version}");
                }
            }
            if (logical.Any(p => logical.Any(q => q.StartsWith(p + "/", StringComparison.Ordinal)))) errors.Add($"§3.5.3.1: in {version} a logical path is also a directory (E095)");
            // §3.5.3 / 3.6: each version keeps the inventory as it was then; it must agree with the head about that version and all before.
            var copy = Inventory(folder, errors, $"{version}/inventory.json");
            if (copy is { } old)
            {
                if (old.GetProperty("head").GetString() != version) errors.Add($"§3.6: {version}/inventory.json has head {old.GetProperty("head").GetString()}, not {version}");
                foreach (var earlier in old.GetProperty("versions").EnumerateObject())
                {
                    var now = root.GetProperty("versions").GetProperty(earlier.Name);
                    if (Normal(earlier.Value.GetProperty("state")) != Normal(now.GetProperty("state"))
                        || earlier.Value.GetProperty("created").GetString() != now.GetProperty("created").GetString()
                        || earlier.Value.GetProperty("message").GetString() != now.GetProperty("message").GetString())
                    {
                        errors.Add($"§3.6: {version}/inventory.json and the head disagree about {earlier.Name} (E066)");
                    }
                }
            }
        }
        return errors;
    }

    static string Normal(JsonElement state) => string.Join(";", state.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal)
        .Select(p => p.Name + "=" + string.Join(",", p.Value.EnumerateArray().Select(x => x.GetString()).Order(StringComparer.Ordinal))));

    static JsonElement? Inventory(string folder, List<string> errors, string name)
    {
        var path = Path.Combine(folder, "inventory.json");
        if (!File.Exists(path)) { errors.Add($"§3.5: {name} is missing (E034)"); return null; }
        var bytes = File.ReadAllBytes(path);
        var sidecar = Path.Combine(folder, "inventory.json.sha512");
        if (!File.Exists(sidecar)) errors.Add($"§3.5.6: {name} has no inventory.json.sha512 sidecar (E058)");
        else
        {
            var line = File.ReadAllText(sidecar);
            var match = Regex.Match(line, @"^([0-9a-f]+)[ \t]+inventory\.json\n?$");
            if (!match.Success) errors.Add($"§3.5.6: {name}'s sidecar is '<digest> inventory.json' (E061)");
            else if (match.Groups[1].Value != Convert.ToHexStringLower(SHA512.HashData(bytes))) errors.Add($"§3.5.6: {name} does not match its sidecar digest (E060)");
        }
        try
        {
            return JsonDocument.Parse(bytes).RootElement.Clone();
        }
        catch (JsonException)
        {
            errors.Add($"§3.5: {name} is not JSON (E033)");
            return null;
        }
    }

    [GeneratedRegex("^v([1-9][0-9]*)$")] private static partial Regex VersionName();
}
