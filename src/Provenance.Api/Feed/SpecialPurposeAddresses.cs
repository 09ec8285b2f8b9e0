using System.Net;

namespace Provenance.Api.Feed;

/// <summary>
/// One row of <see cref="SpecialPurposeAddresses.Blocks"/>. <paramref name="EmbeddedIPv4At"/> is the byte offset of an IPv4
/// address the block carries inside an IPv6 address (mapped, NAT64, 6to4): such a block is refused only when that IPv4 is.
/// </summary>
public sealed record SpecialPurposeBlock(string Block, string Name, string Reason, int? EmbeddedIPv4At = null)
{
    public IPNetwork Network { get; } = IPNetwork.Parse(Block);

    public bool Contains(IPAddress address) => SpecialPurposeAddresses.Contains(Network, address);
}

/// <summary>Why an address may not be called: the block it is in, and the IPv4 address it embeds when that was the reason.</summary>
public sealed record AddressRefusal(IPAddress Address, SpecialPurposeBlock Block, IPAddress? Embedded = null)
{
    public override string ToString() => Embedded is null
        ? $"{Address}, in {Block.Block} ({Block.Name}: {Block.Reason})"
        : $"{Address}, which embeds {Embedded}, in {Block.Block} ({Block.Name}: {Block.Reason})";
}

/// <summary>
/// Every block of the IANA IPv4 and IPv6 Special-Purpose Address Registries (2025) that is not globally reachable, plus the
/// older blocks and multicast that no webhook receiver can live at. The webhook targets check and its table-driven test both
/// read this table. Globally reachable rows of the registries are left out on purpose: AS112 (192.31.196.0/24,
/// 192.175.48.0/24, 2620:4f:8000::/48) and AMT (192.52.193.0/24) are ordinary public hosts.
/// </summary>
public static class SpecialPurposeAddresses
{
    public static readonly IReadOnlyList<SpecialPurposeBlock> Blocks =
    [
        // IPv4: iana-ipv4-special-registry
        new("0.0.0.0/8", "This network", "a source address only; 0.0.0.0 connects to the local host (RFC 791, RFC 1122)"),
        new("10.0.0.0/8", "Private-Use", "an internal network (RFC 1918)"),
        new("100.64.0.0/10", "Shared Address Space", "inside a carrier-grade NAT (RFC 6598)"),
        new("127.0.0.0/8", "Loopback", "the local host (RFC 1122)"),
        new("169.254.0.0/16", "Link Local", "the local link, where cloud metadata services answer (RFC 3927)"),
        new("172.16.0.0/12", "Private-Use", "an internal network (RFC 1918)"),
        new("192.0.0.0/24", "IETF Protocol Assignments", "protocol infrastructure, no webhook receiver (RFC 6890)"),
        new("192.0.0.0/29", "IPv4 Service Continuity Prefix", "a DS-Lite tunnel endpoint (RFC 7335)"),
        new("192.0.0.8/32", "IPv4 dummy address", "a placeholder source address (RFC 7600)"),
        new("192.0.0.9/32", "Port Control Protocol Anycast", "a NAT's control service (RFC 7723)"),
        new("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "a TURN relay service (RFC 8155)"),
        new("192.0.0.170/31", "NAT64/DNS64 Discovery", "a name used to discover the local NAT64 (RFC 8880)"),
        new("192.0.2.0/24", "Documentation (TEST-NET-1)", "for examples only (RFC 5737)"),
        new("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "a relay, never a receiver (RFC 7526)"),
        new("192.168.0.0/16", "Private-Use", "an internal network (RFC 1918)"),
        new("198.18.0.0/15", "Benchmarking", "for network benchmarks (RFC 2544)"),
        new("198.51.100.0/24", "Documentation (TEST-NET-2)", "for examples only (RFC 5737)"),
        new("203.0.113.0/24", "Documentation (TEST-NET-3)", "for examples only (RFC 5737)"),
        new("224.0.0.0/4", "Multicast", "a group address, not a host (RFC 5771)"),
        new("240.0.0.0/4", "Reserved", "reserved for future use (RFC 1112)"),
        new("255.255.255.255/32", "Limited Broadcast", "every host of the local network (RFC 919)"),

        // IPv6: iana-ipv6-special-registry, then the address architecture's deprecated and multicast blocks
        new("::/128", "Unspecified Address", "no address; it connects to the local host (RFC 4291)"),
        new("::1/128", "Loopback Address", "the local host (RFC 4291)"),
        new("::/96", "IPv4-Compatible (deprecated)", "an obsolete IPv4 embedding (RFC 4291 §2.5.5.1)"),
        new("::ffff:0:0/96", "IPv4-mapped Address", "the IPv4 address it carries (RFC 4291)", EmbeddedIPv4At: 12),
        new("::ffff:0:0:0/96", "IPv4-translated (SIIT, obsolete)", "an obsolete translation of an IPv4 host (RFC 2765)"),
        new("64:ff9b::/96", "IPv4-IPv6 Translation (NAT64)", "the IPv4 address it carries (RFC 6052)", EmbeddedIPv4At: 12),
        new("64:ff9b:1::/48", "Local-use IPv4/IPv6 Translation", "a local NAT64 (RFC 8215)"),
        new("100::/64", "Discard-Only Address Block", "traffic to it is dropped (RFC 6666)"),
        new("100:0:0:1::/64", "Dummy IPv6 Prefix", "a placeholder prefix, never a host (IANA registry)"),
        new("2001::/23", "IETF Protocol Assignments", "protocol infrastructure, no webhook receiver (RFC 2928)"),
        new("2001::/32", "TEREDO", "a tunnel to the IPv4 host it encodes (RFC 4380)"),
        new("2001:2::/48", "Benchmarking", "for network benchmarks (RFC 5180)"),
        new("2001:10::/28", "Deprecated (previously ORCHID)", "a cryptographic identifier, not routable (RFC 4843)"),
        new("2001:20::/28", "ORCHIDv2", "a cryptographic identifier, not routable (RFC 7343)"),
        new("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs)", "an identifier, not a host (RFC 9374)"),
        new("2001:db8::/32", "Documentation", "for examples only (RFC 3849)"),
        new("2002::/16", "6to4", "the IPv4 address it carries (RFC 3056)", EmbeddedIPv4At: 2),
        new("3fff::/20", "Documentation", "for examples only (RFC 9637)"),
        new("5f00::/16", "Segment Routing (SRv6) SIDs", "a routing instruction inside an SR domain (RFC 9602)"),
        new("fc00::/7", "Unique-Local", "an internal network (RFC 4193)"),
        new("fe80::/10", "Link-Local Unicast", "the local link (RFC 4291)"),
        new("fec0::/10", "Site-Local (deprecated)", "an internal network (RFC 3879)"),
        new("ff00::/8", "Multicast", "a group address, not a host (RFC 4291)"),
    ];

    /// <summary>Why <paramref name="address"/> is not globally reachable (the most specific block), or null when it is.</summary>
    public static AddressRefusal? Refusal(IPAddress address)
    {
        var containing = Blocks.Where(b => b.Contains(address)).ToList();
        if (containing.Where(b => b.EmbeddedIPv4At is null).MaxBy(b => b.Network.PrefixLength) is { } block)
        {
            return new AddressRefusal(address, block);
        }
        foreach (var embedding in containing)
        {
            var embedded = new IPAddress(address.GetAddressBytes().AsSpan(embedding.EmbeddedIPv4At!.Value, 4));
            if (Refusal(embedded) is { } inner) return new AddressRefusal(address, inner.Block, embedded);
        }
        return null;
    }

    /// <summary>
    /// Bit for bit, same family only. <see cref="IPNetwork.Contains"/> converts an IPv4-mapped address to IPv4 first, so
    /// <c>::ffff:0:0/96</c> would contain none of them while <c>10.0.0.0/8</c> contains <c>::ffff:10.0.0.1</c>.
    /// </summary>
    public static bool Contains(IPNetwork network, IPAddress address)
    {
        Span<byte> block = stackalloc byte[16], candidate = stackalloc byte[16];
        if (!network.BaseAddress.TryWriteBytes(block, out var length) || !address.TryWriteBytes(candidate, out var candidateLength)
            || length != candidateLength)
        {
            return false;
        }
        var whole = network.PrefixLength / 8;
        if (!block[..whole].SequenceEqual(candidate[..whole])) return false;
        var bits = network.PrefixLength % 8;
        return bits == 0 || (block[whole] ^ candidate[whole]) >> (8 - bits) == 0;
    }
}
