using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Provenance.Api.Feed;

/// <summary>
/// Which URLs a webhook may call: http(s), no user-info, and no private, loopback, link-local or otherwise internal address
/// unless <c>Provenance:Webhooks:AllowedHosts</c> names the host, the address or a CIDR range containing it. Checked when a
/// subscription is created and again on every connection (the resolved address), so DNS rebinding cannot reach inside.
/// </summary>
public sealed class WebhookTargets(IOptions<WebhookOptions> options)
{
    private static readonly IPNetwork[] Internal = new[]
    {
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
        "64:ff9b::/96", "2001:db8::/32",
    }.Select(IPNetwork.Parse).ToArray();

    /// <summary>The reason the URL is refused, or null when it may be called.</summary>
    public async Task<string?> RefusalAsync(string url, CancellationToken ct)
    {
        if (url.Length > 2048 || !Uri.TryCreate(url, UriKind.Absolute, out var uri)) return "'url' must be an absolute http(s) URL.";
        if (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) return "'url' must use http or https.";
        if (uri.UserInfo.Length > 0) return "'url' must not carry user information.";
        if (uri.Fragment.Length > 0) return "'url' must not carry a fragment.";
        if (HostAllowed(uri.IdnHost)) return null;

        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.IdnHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.IdnHost, ct);
        }
        catch (SocketException)
        {
            return $"The host '{uri.Host}' does not resolve.";
        }
        if (addresses.Length == 0) return $"The host '{uri.Host}' does not resolve.";
        return addresses.FirstOrDefault(a => !AddressAllowed(a)) is { } refused
            ? $"The host '{uri.Host}' resolves to {refused}, a private, loopback or link-local address that is not in Provenance:Webhooks:AllowedHosts."
            : null;
    }

    public bool HostAllowed(string host) => options.Value.AllowedHosts.Any(h => string.Equals(h.Trim(), host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase));

    public bool AddressAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var entry in options.Value.AllowedHosts)
        {
            if (IPNetwork.TryParse(entry, out var network) && network.Contains(address)) return true;
            if (IPAddress.TryParse(entry, out var allowed) && allowed.Equals(address)) return true;
        }
        return !Internal.Any(n => n.Contains(address));
    }

    /// <summary>The connection step of the webhook HttpClient: resolve, refuse internal addresses, connect to an allowed one.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = HostAllowed(host) ? addresses : addresses.Where(AddressAllowed).ToArray();
        if (allowed.Length == 0) throw new HttpRequestException($"Refused to connect: '{host}' resolves only to internal addresses.");

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
