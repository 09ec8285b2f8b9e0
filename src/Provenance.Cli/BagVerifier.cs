using System.Globalization;
using System.Text;
using System.Text.Json;
using Provenance.Ledger;

namespace Provenance.Cli;

/// <summary>One finding of a package check: the file (or event) it is about, whether it held, and why.</summary>
sealed record PackageCheck(string Subject, bool Passed, string Detail);

/// <summary>
/// A bag's own fixity (RFC 8493: bagit.txt, every line of every payload and tag manifest, completeness, Payload-Oxum), then its evidence
/// against the trusted key: <c>provenance.sig</c> over <c>tagmanifest-sha256.txt</c>, every JSON report with its signature and proofs,
/// every tlog-proof, and that every revision and translation a report names is in the payload.
/// </summary>
static class BagVerifier
{
    static readonly Dictionary<string, Func<PackageFile, string>> Algorithms = new(StringComparer.Ordinal)
    {
        ["sha256"] = f => f.Sha256,
        ["sha512"] = f => f.Sha512,
    };

    public static List<PackageCheck> Verify(PackageFiles bag, NoteVerifier key)
    {
        var checks = new List<PackageCheck>();
        var files = bag.Files;
        if (!files.TryGetValue("bagit.txt", out var declaration) || declaration.Bytes is null)
        {
            checks.Add(new("bagit.txt", false, "missing: not a bag"));
            return checks;
        }
        var fields = Fields(declaration.Bytes);
        var version = fields.FirstOrDefault(f => f.Label == "BagIt-Version").Value;
        var encoding = fields.FirstOrDefault(f => f.Label == "Tag-File-Character-Encoding").Value;
        checks.Add(new("bagit.txt", version is "1.0" or "0.97" && string.Equals(encoding, "UTF-8", StringComparison.OrdinalIgnoreCase),
            $"BagIt-Version {version ?? "(none)"}, Tag-File-Character-Encoding {encoding ?? "(none)"}"));

        var payloadFiles = files.Keys.Where(p => p.StartsWith("data/", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var manifests = files.Keys.Where(p => !p.Contains('/') && p.StartsWith("manifest-", StringComparison.Ordinal) && p.EndsWith(".txt", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        if (manifests.Count == 0) checks.Add(new("manifest-<algorithm>.txt", false, "no payload manifest"));
        foreach (var manifest in manifests) CheckManifest(bag, manifest, payloadFiles, payload: true, checks);
        foreach (var tagManifest in files.Keys.Where(p => !p.Contains('/') && p.StartsWith("tagmanifest-", StringComparison.Ordinal) && p.EndsWith(".txt", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            CheckManifest(bag, tagManifest, null, payload: false, checks);
        }

        if (files.TryGetValue("bag-info.txt", out var info) && info.Bytes is not null)
        {
            var oxum = Fields(info.Bytes).FirstOrDefault(f => f.Label == "Payload-Oxum").Value;
            if (oxum is not null)
            {
                var actual = $"{payloadFiles.Sum(p => files[p].Size).ToString(CultureInfo.InvariantCulture)}.{payloadFiles.Count.ToString(CultureInfo.InvariantCulture)}";
                checks.Add(new("bag-info.txt", oxum == actual, oxum == actual ? $"Payload-Oxum {oxum}" : $"Payload-Oxum says {oxum}, the payload is {actual} (octets.files)"));
            }
        }

        CheckSignature(bag, key, checks);
        CheckEvidence(bag, key, checks);
        return checks;
    }

    static void CheckManifest(PackageFiles bag, string manifest, HashSet<string>? payloadFiles, bool payload, List<PackageCheck> checks)
    {
        var algorithm = manifest[(manifest.IndexOf('-') + 1)..^4];
        if (!Algorithms.TryGetValue(algorithm, out var digestOf))
        {
            checks.Add(new(manifest, false, $"algorithm {algorithm} is not one this verifier computes (sha256, sha512)"));
            return;
        }
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var failures = 0;
        var lines = Encoding.UTF8.GetString(bag.Files[manifest].Bytes ?? []).Split('\n');
        foreach (var (raw, number) in lines.Select((l, i) => (l.TrimEnd('\r'), i + 1)))
        {
            if (raw.Length == 0) continue;
            var space = raw.IndexOfAny([' ', '\t']);
            if (space <= 0)
            {
                checks.Add(new(manifest, false, $"line {number} is not '<checksum> <path>'"));
                failures++;
                continue;
            }
            var digest = raw[..space];
            var path = Decode(raw[(space + 1)..].TrimStart(' ', '\t'));
            listed.Add(path);
            if (payload && !path.StartsWith("data/", StringComparison.Ordinal))
            {
                checks.Add(new(path, false, $"{manifest} line {number} lists a file outside data/"));
                failures++;
            }
            else if (!bag.Files.TryGetValue(path, out var file))
            {
                checks.Add(new(path, false, $"listed in {manifest} (line {number}) but missing"));
                failures++;
            }
            else if (!string.Equals(digestOf(file), digest, StringComparison.OrdinalIgnoreCase))
            {
                checks.Add(new(path, false, $"{algorithm} is {digestOf(file)}, {manifest} says {digest}"));
                failures++;
            }
        }
        if (payloadFiles is not null)
        {
            foreach (var missing in payloadFiles.Where(p => !listed.Contains(p)).Order(StringComparer.Ordinal))
            {
                checks.Add(new(missing, false, $"a payload file not listed in {manifest}"));
                failures++;
            }
        }
        if (failures == 0) checks.Add(new(manifest, true, $"{listed.Count} files match"));
    }

    static void CheckSignature(PackageFiles bag, NoteVerifier key, List<PackageCheck> checks)
    {
        const string signed = "tagmanifest-sha256.txt";
        if (!bag.Files.TryGetValue("provenance.sig", out var sig) || sig.Bytes is null)
        {
            checks.Add(new("provenance.sig", false, "missing: the bag is not signed"));
            return;
        }
        if (!bag.Files.TryGetValue(signed, out var manifest) || manifest.Bytes is null)
        {
            checks.Add(new("provenance.sig", false, $"{signed}, the file it signs, is missing"));
            return;
        }
        try
        {
            var result = DetachedSignature.Parse(Encoding.ASCII.GetString(sig.Bytes)).Verify(manifest.Bytes, key);
            checks.Add(new("provenance.sig", result.IsValid, result.IsValid ? $"{signed} signed by {key.Name}+{key.KeyId:x8}" : result.Reason!));
        }
        catch (FormatException e)
        {
            checks.Add(new("provenance.sig", false, e.Message));
        }
    }

    static void CheckEvidence(PackageFiles bag, NoteVerifier key, List<PackageCheck> checks)
    {
        var sha256 = bag.Files.Values.Where(f => f.Path.StartsWith("data/", StringComparison.Ordinal)).Select(f => "sha256:" + f.Sha256).ToHashSet();
        var reports = bag.Files.Keys.Where(p => p.StartsWith("provenance/", StringComparison.Ordinal) && p.EndsWith("/report.json", StringComparison.Ordinal)
            || p == "provenance/report.json").Order(StringComparer.Ordinal).ToList();
        if (reports.Count == 0) checks.Add(new("provenance/report.json", false, "missing: the bag carries no provenance report"));
        foreach (var path in reports)
        {
            var bytes = bag.Files[path].Bytes!;
            var signature = bag.Files.TryGetValue(path + ".sig", out var sig) && sig.Bytes is not null ? Encoding.ASCII.GetString(sig.Bytes).Trim() : null;
            var verification = ReportVerifier.Verify(bytes, signature, key);
            foreach (var failed in verification.Checks.Where(c => !c.Passed)) checks.Add(new($"{path} {failed.Name}", false, failed.Detail));
            foreach (var e in verification.Events.Where(e => !e.Passed))
            {
                checks.Add(new($"{path} event {e.Sequence} (version {e.Version}, {e.EventType})", false, string.Join("; ", e.Problems)));
            }
            if (verification.Passed) checks.Add(new(path, true, $"signature, checkpoint and {verification.Events.Count} events with their proofs"));
            foreach (var (digest, what) in ContentOf(bytes).Where(c => !sha256.Contains(c.Digest)))
            {
                checks.Add(new(path, false, $"{what} ({digest}) is not in the payload"));
            }
        }
        foreach (var path in bag.Files.Keys.Where(p => p.EndsWith(".tlog-proof", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            try
            {
                var result = TlogProof.Parse(Encoding.UTF8.GetString(bag.Files[path].Bytes!)).Verify(key);
                checks.Add(new(path, result.IsValid, result.IsValid
                    ? $"event {result.Entry?.Sequence} included in {result.Checkpoint!.Origin} at size {result.Checkpoint.TreeSize}"
                    : result.Reason!));
            }
            catch (FormatException e)
            {
                checks.Add(new(path, false, e.Message));
            }
        }
    }

    /// <summary>The contents a report names: every revision and translation, by digest.</summary>
    public static IEnumerable<(string Digest, string What)> ContentOf(byte[] report)
    {
        using var json = JsonDocument.Parse(report);
        var list = new List<(string, string)>();
        foreach (var r in json.RootElement.GetProperty("revisions").EnumerateArray())
        {
            list.Add((r.GetProperty("contentDigest").GetString()!, $"revision {r.GetProperty("revision").GetInt32()}"));
        }
        foreach (var t in json.RootElement.GetProperty("translations").EnumerateArray())
        {
            list.Add((t.GetProperty("contentDigest").GetString()!,
                $"the {t.GetProperty("language").GetString()} translation of revision {t.GetProperty("sourceRevision").GetInt32()}"));
        }
        // Content a redaction erased is not packaged: the report's document_redacted events name it (and the report verifies them).
        var erased = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in json.RootElement.GetProperty("events").EnumerateArray())
        {
            if (e.GetProperty("eventType").GetString() != "document_redacted" || !e.TryGetProperty("data", out var data)) continue;
            foreach (var name in (string[])["revisions", "translations"])
            {
                if (!data.TryGetProperty(name, out var items) || items.ValueKind != JsonValueKind.Array) continue;
                foreach (var item in items.EnumerateArray())
                {
                    if (item.TryGetProperty("contentDigest", out var d) && d.ValueKind == JsonValueKind.String) erased.Add(d.GetString()!);
                }
            }
        }
        return list.Where(c => !erased.Contains(c.Item1)).ToList();
    }

    /// <summary>The label/value lines of a tag file (bagit.txt, bag-info.txt), continuation lines joined.</summary>
    public static List<(string Label, string Value)> Fields(byte[] bytes)
    {
        var fields = new List<(string Label, string Value)>();
        foreach (var line in Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF').Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.Length == 0) continue;
            if ((line[0] == ' ' || line[0] == '\t') && fields.Count > 0)
            {
                fields[^1] = (fields[^1].Label, fields[^1].Value + " " + line.Trim());
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon > 0) fields.Add((line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        return fields;
    }

    static string Decode(string path) => path.Replace("%0D", "\r", StringComparison.OrdinalIgnoreCase).Replace("%0A", "\n", StringComparison.OrdinalIgnoreCase)
        .Replace("%25", "%", StringComparison.Ordinal);
}
