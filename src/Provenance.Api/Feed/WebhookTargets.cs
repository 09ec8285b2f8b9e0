using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Provenance.Api.Feed;

/// <summary>
/// Which URLs a webhook may call: http(s), no user-info, and no address in <see cref="SpecialPurposeAddresses.Blocks"/>
/// (private, loopback, link-local, documentation, reserved, multicast, and IPv6 forms that embed such an IPv4 address)
/// unless <c>Provenance:Webhooks:AllowedHosts</c> names the host, the address or a CIDR range containing it. Checked when a
/// subscription is created or its URL changed, and again on every connection (the resolved address), so DNS rebinding
/// cannot reach inside.
/// </summary>
public sealed class WebhookTargets(IOptions<WebhookOptions> options)
{
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
            addresses = await ResolveAsync(uri.IdnHost, ct);
        }
        catch (SocketException)
        {
            return $"The host '{uri.Host}' does not resolve.";
        }
        if (addresses.Length == 0) return $"The host '{uri.Host}' does not resolve.";
        return addresses.Select(Refusal).FirstOrDefault(r => r is not null) is { } refused
            ? $"The host '{uri.Host}' resolves to {refused}; only globally reachable addresses may be called unless Provenance:Webhooks:AllowedHosts names it."
            : null;
    }

    public bool HostAllowed(string host) => options.Value.AllowedHosts.Any(h => string.Equals(h.Trim(), host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase));

    public bool AddressAllowed(IPAddress address) => Refusal(address) is null;

    /// <summary>Why the address may not be called, or null when it is globally reachable or allow-listed.</summary>
    public AddressRefusal? Refusal(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var entry in options.Value.AllowedHosts)
        {
            if (IPNetwork.TryParse(entry, out var network)
                && (SpecialPurposeAddresses.Contains(network, address) || SpecialPurposeAddresses.Contains(network, plain)))
            {
                return null;
            }
            if (IPAddress.TryParse(entry, out var allowed) && (allowed.Equals(address) || allowed.Equals(plain))) return null;
        }
        return SpecialPurposeAddresses.Refusal(address);
    }

    /// <summary>The connection step of the webhook HttpClient: resolve, refuse internal addresses, connect to an allowed one.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = await ResolveAsync(host, ct);
        var allowed = HostAllowed(host) ? addresses : addresses.Where(AddressAllowed).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException(
                $"Refused to connect: '{host}' resolves only to addresses a webhook may not call ({string.Join("; ", addresses.Select(Refusal))}).");
        }

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

    /// <summary>An address literal (IPv6 with or without brackets) as itself; a name through DNS.</summary>
    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
        => IPAddress.TryParse(host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, ct);
}
