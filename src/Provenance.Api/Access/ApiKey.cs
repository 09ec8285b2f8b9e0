using System.Security.Cryptography;
using System.Text;

namespace Provenance.Api.Access;

/// <summary>An API key as stored: never the key itself, only its SHA-256 (keys are 256-bit random, so no slow hash is needed).</summary>
public sealed class ApiKey
{
    /// <summary>The key created from PROVENANCE_ADMIN_KEY; replaced when that variable changes.</summary>
    public static readonly Guid BootstrapId = new("00000000-0000-0000-0000-00000000a0a0");

    public Guid Id { get; set; }
    /// <summary>The principal name recorded as the actor of every event made with this key.</summary>
    public string Name { get; set; } = "";
    public List<string> Roles { get; set; } = [];
    public string KeyHash { get; set; } = "";
    /// <summary>The first characters of the key, so people can tell keys apart.</summary>
    public string Prefix { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A new key of archive <paramref name="tenant"/>: <c>pvk_&lt;secret&gt;</c> in the default archive, <c>pvk_&lt;tenant&gt;.&lt;secret&gt;</c> elsewhere.</summary>
    public static string NewSecret(string tenant = Tenancy.Tenants.Default)
        => "pvk_" + (tenant == Tenancy.Tenants.Default ? "" : tenant + ".") + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// The archive a key names (<see cref="NewSecret"/>); the default archive for a key without one (PROVENANCE_ADMIN_KEY, older keys).
    /// Base64url has no '.', so only a tenant prefix puts one in a key. Whatever it names, the whole key is what is hashed and looked up.
    /// </summary>
    public static string TenantOf(string key)
    {
        if (!key.StartsWith("pvk_", StringComparison.Ordinal)) return Tenancy.Tenants.Default;
        var dot = key.IndexOf('.', 4);
        return dot < 0 ? Tenancy.Tenants.Default : key[4..dot];
    }

    /// <summary>The first characters of the key, after its archive's prefix.</summary>
    public static string PrefixOf(string key)
    {
        var dot = key.StartsWith("pvk_", StringComparison.Ordinal) ? key.IndexOf('.', 4) : -1;
        var length = dot < 0 ? 12 : dot + 9;
        return key.Length <= length ? key : key[..length];
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
