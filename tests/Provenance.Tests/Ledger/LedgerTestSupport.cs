using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marten.Events;
using Npgsql;
using NSec.Cryptography;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Ledger;

/// <summary>Shared steps of the ledger specifications: wait for the daemon, sign a checkpoint, run SQL as a rogue DBA.</summary>
public abstract class LedgerContext(AppFixture fixture) : IntegrationContext(fixture)
{
    protected async Task WaitForLedgerAsync() => await Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(60));

    protected async Task<JsonElement> SignCheckpointAsync()
    {
        await WaitForLedgerAsync();
        var result = await As(Roles.Auditor, s => s.Post.Url("/api/ledger/checkpoints"));
        result.Context.Response.StatusCode.ShouldBe(201, await result.ReadAsTextAsync());
        return JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.Clone();
    }

    protected async Task<JsonElement> GetJsonAsync(string role, string url)
    {
        var result = await As(role, s => s.Get.Url(url));
        var body = await result.ReadAsTextAsync();
        result.Context.Response.StatusCode.ShouldBe(200, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    protected async Task<JsonElement> VerifyLedgerAsync()
    {
        var result = await As(Roles.Auditor, s => s.Post.Url("/api/ledger/verify"));
        var body = await result.ReadAsTextAsync();
        result.Context.Response.StatusCode.ShouldBe(200, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    protected async Task<int> SqlAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", Fixture.Schema), connection);
        return await command.ExecuteNonQueryAsync();
    }

    protected async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", Fixture.Schema), connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    protected static byte[] Bytes(JsonElement e) => Convert.FromBase64String(e.GetString()!);
}

/// <summary>RFC 9162 §2.1.3.2 and §2.1.4.2, and the C2SP signed-note format, written again from the specifications.</summary>
public static class IndependentVerifier
{
    static byte[] Node(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    public static bool VerifyInclusion(long leafIndex, long treeSize, byte[] leafHash, IReadOnlyList<byte[]> path, byte[] root)
    {
        if (leafIndex >= treeSize) return false;
        long fn = leafIndex, sn = treeSize - 1;
        var r = leafHash;
        foreach (var p in path)
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = Node(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
                }
            }
            else
            {
                r = Node(r, p);
            }
            fn >>= 1; sn >>= 1;
        }
        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    public static bool VerifyConsistency(long first, long second, byte[] firstRoot, byte[] secondRoot, IReadOnlyList<byte[]> proof)
    {
        if (first == second) return proof.Count == 0 && firstRoot.AsSpan().SequenceEqual(secondRoot);
        if (first < 1 || first > second || proof.Count == 0) return false;
        var path = (first & (first - 1)) == 0 ? [firstRoot, .. proof] : proof.ToList();
        long fn = first - 1, sn = second - 1;
        while ((fn & 1) == 1) { fn >>= 1; sn >>= 1; }
        byte[] fr = path[0], sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = Node(c, fr);
                sr = Node(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
                }
            }
            else
            {
                sr = Node(sr, c);
            }
            fn >>= 1; sn >>= 1;
        }
        return sn == 0 && fr.AsSpan().SequenceEqual(firstRoot) && sr.AsSpan().SequenceEqual(secondRoot);
    }

    /// <summary>Checks a signed note against a verifier key "name+hexid+base64(0x01||pub)"; returns the note body.</summary>
    public static (string Origin, long TreeSize, byte[] Root) VerifyCheckpointNote(string note, string verifierKey)
    {
        var parts = verifierKey.Split('+', 3);
        parts.Length.ShouldBe(3);
        var name = parts[0];
        var keyBytes = Convert.FromBase64String(parts[2]);
        keyBytes[0].ShouldBe((byte)0x01);
        var publicKey = keyBytes[1..];
        var keyId = SHA256.HashData([.. Encoding.UTF8.GetBytes(name), 0x0A, 0x01, .. publicKey])[..4];
        Convert.ToHexStringLower(keyId).ShouldBe(parts[1]);

        var split = note.IndexOf("\n\n", StringComparison.Ordinal);
        split.ShouldBeGreaterThan(0);
        var body = note[..(split + 1)];
        var signatureLines = note[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var key = PublicKey.Import(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey);
        var verified = false;
        foreach (var line in signatureLines)
        {
            line.ShouldStartWith("\u2014 ");
            var fields = line[2..].Split(' ');
            if (fields[0] != name) continue;
            var blob = Convert.FromBase64String(fields[1]);
            if (!blob[..4].AsSpan().SequenceEqual(keyId)) continue;
            SignatureAlgorithm.Ed25519.Verify(key, Encoding.UTF8.GetBytes(body), blob[4..]).ShouldBeTrue("the Ed25519 signature over the note body");
            verified = true;
        }
        verified.ShouldBeTrue("a signature line by the log key");
        var lines = body.TrimEnd('\n').Split('\n');
        return (lines[0], long.Parse(lines[1]), Convert.FromBase64String(lines[2]));
    }
}
