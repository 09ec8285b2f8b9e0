using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Hosting;

namespace Provenance.Api.Feed;

/// <summary>
/// Standard Webhooks secrets (<c>whsec_</c> + base64 of 32 random bytes) and signatures. Secrets are stored encrypted with a
/// Data Protection provider of their own whose key ring lives in PostgreSQL, so every node can sign; they are never logged.
/// </summary>
public sealed class WebhookSecrets
{
    public const string Prefix = "whsec_";
    private readonly IDataProtector _protector;

    public WebhookSecrets(NpgsqlDataSource dataSource, IOptions<ProvenanceOptions> options)
    {
        var services = new ServiceCollection();
        services.AddDataProtection().SetApplicationName("provenance-webhook-secrets");
        services.Configure<KeyManagementOptions>(o => o.XmlRepository = new PostgresKeyRing(dataSource, options.Value.Schema));
        var provider = services.BuildServiceProvider().GetRequiredService<IDataProtectionProvider>();
        _protector = provider.CreateProtector("webhook-signing-secret.v1");
    }

    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string stored) => _protector.Unprotect(stored);

    /// <summary><c>v1,</c> + base64 HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>, keyed with the secret's decoded bytes.</summary>
    public static string Sign(string secret, string webhookId, long timestamp, ReadOnlySpan<byte> body)
    {
        var key = Convert.FromBase64String(secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : secret);
        var prefix = Encoding.UTF8.GetBytes($"{webhookId}.{timestamp}.");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, message));
    }

    private sealed class PostgresKeyRing(NpgsqlDataSource dataSource, string schema) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements()
        {
            using var command = dataSource.CreateCommand($"select xml from {schema}.{WebhookTables.ProtectionKeys} order by name");
            using var reader = command.ExecuteReader();
            var elements = new List<XElement>();
            while (reader.Read()) elements.Add(XElement.Parse(reader.GetString(0)));
            return elements;
        }

        public void StoreElement(XElement element, string friendlyName)
        {
            using var command = dataSource.CreateCommand(
                $"insert into {schema}.{WebhookTables.ProtectionKeys} (name, xml) values ($1, $2) on conflict (name) do nothing");
            command.Parameters.AddWithValue(friendlyName);
            command.Parameters.AddWithValue(element.ToString(SaveOptions.DisableFormatting));
            command.ExecuteNonQuery();
        }
    }
}
