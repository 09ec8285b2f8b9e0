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

    public static string NewSecret() => "pvk_" + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string PrefixOf(string key) => key.Length <= 12 ? key : key[..12];

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
