using System.Net;
using System.Numerics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Provenance.Api.Feed;
using Shouldly;

namespace Provenance.Tests.Feed;

/// <summary>
/// Webhook targets against the special-purpose address table, with no allow list: every block is refused when a subscription
/// is created and again by the dispatcher's connect step; IPv6 forms that carry an IPv4 address are judged by that address.
/// </summary>
public sealed class Webhook_target_addresses
{
    private static WebhookTargets Targets(params string[] allowed) => new(Options.Create(new WebhookOptions { AllowedHosts = [.. allowed] }));

    private static string Url(string address) => address.Contains(':') ? $"http://[{address}]:9/hook" : $"http://{address}:9/hook";

    /// <summary>The first and last address of every block in the table (a carrier block: its prefix around 10.0.0.1).</summary>
    public static TheoryData<string, string> EveryBlock()
    {
        var data = new TheoryData<string, string>();
        foreach (var block in SpecialPurposeAddresses.Blocks)
        {
            if (block.EmbeddedIPv4At is { } at)
            {
                var bytes = block.Network.BaseAddress.GetAddressBytes();
                new byte[] { 10, 0, 0, 1 }.CopyTo(bytes, at);
                data.Add(block.Block, new IPAddress(bytes).ToString());
                continue;
            }
            data.Add(block.Block, block.Network.BaseAddress.ToString());
            if (!Last(block.Network).Equals(block.Network.BaseAddress)) data.Add(block.Block, Last(block.Network).ToString());
        }
        return data;
    }

    private static IPAddress Last(IPNetwork network)
    {
        var bytes = network.BaseAddress.GetAddressBytes();
        var hostBits = bytes.Length * 8 - network.PrefixLength;
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true) | ((BigInteger.One << hostBits) - 1);
        var last = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        return new IPAddress(last.Length < bytes.Length ? [.. new byte[bytes.Length - last.Length], .. last] : last);
    }

    [Theory, MemberData(nameof(EveryBlock))]
    public async Task Every_block_of_the_table_is_refused_when_subscribing(string block, string address)
    {
        var refusal = SpecialPurposeAddresses.Refusal(IPAddress.Parse(address)).ShouldNotBeNull();
        refusal.Block.Contains(refusal.Embedded ?? IPAddress.Parse(address)).ShouldBeTrue();
        var reason = (await Targets().RefusalAsync(Url(address), default)).ShouldNotBeNull();
        reason.ShouldContain(refusal.Block.Block);
        reason.ShouldContain(refusal.Block.Name);
        SpecialPurposeAddresses.Blocks.Single(b => b.Block == block).Contains(IPAddress.Parse(address)).ShouldBeTrue();
    }

    [Theory, MemberData(nameof(EveryBlock))]
    public async Task Every_block_of_the_table_is_refused_by_the_dispatchers_connect_step(string block, string address)
    {
        using var client = DispatcherClient(Targets());
        var refused = await Should.ThrowAsync<HttpRequestException>(() => client.GetAsync(Url(address)));
        refused.ToString().ShouldContain("Refused to connect", customMessage: block);
    }

    /// <summary>Written from the registries by hand, independently of the table: the block each address must be refused for.</summary>
    public static TheoryData<string, string> Named => new()
    {
        { "0.0.0.0", "0.0.0.0/8" }, { "0.1.2.3", "0.0.0.0/8" }, { "10.255.255.255", "10.0.0.0/8" }, { "100.64.0.1", "100.64.0.0/10" },
        { "100.127.255.255", "100.64.0.0/10" }, { "127.255.0.1", "127.0.0.0/8" }, { "169.254.169.254", "169.254.0.0/16" },
        { "172.31.0.1", "172.16.0.0/12" }, { "192.0.0.1", "192.0.0.0/29" }, { "192.0.0.8", "192.0.0.8/32" }, { "192.0.0.100", "192.0.0.0/24" },
        { "192.0.0.171", "192.0.0.170/31" }, { "192.0.2.1", "192.0.2.0/24" }, { "192.88.99.1", "192.88.99.0/24" },
        { "192.168.1.1", "192.168.0.0/16" }, { "198.18.0.1", "198.18.0.0/15" }, { "198.19.255.255", "198.18.0.0/15" },
        { "198.51.100.7", "198.51.100.0/24" }, { "203.0.113.9", "203.0.113.0/24" }, { "224.0.0.1", "224.0.0.0/4" },
        { "239.255.255.250", "224.0.0.0/4" }, { "240.0.0.1", "240.0.0.0/4" }, { "255.255.255.255", "255.255.255.255/32" },
        { "::", "::/128" }, { "::1", "::1/128" }, { "::10.0.0.1", "::/96" }, { "::8.8.8.8", "::/96" }, { "::ffff:10.0.0.1", "10.0.0.0/8" },
        { "::ffff:169.254.169.254", "169.254.0.0/16" }, { "::ffff:0:8.8.8.8", "::ffff:0:0:0/96" }, { "64:ff9b::10.0.0.1", "10.0.0.0/8" },
        { "64:ff9b::7f00:1", "127.0.0.0/8" }, { "64:ff9b:1::8.8.8.8", "64:ff9b:1::/48" }, { "2002:a00:1::1", "10.0.0.0/8" },
        { "2002:c0a8:101::1", "192.168.0.0/16" }, { "2002:a9fe:a9fe::", "169.254.0.0/16" }, { "100::1", "100::/64" },
        { "100:0:0:1::1", "100:0:0:1::/64" }, { "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/32" }, { "2001:2::1", "2001:2::/48" },
        { "2001:10::1", "2001:10::/28" }, { "2001:20::1", "2001:20::/28" }, { "2001:1::1", "2001::/23" }, { "2001:db8::1", "2001:db8::/32" },
        { "3fff::1", "3fff::/20" }, { "3fff:fff:ffff::1", "3fff::/20" }, { "5f00::1", "5f00::/16" }, { "fc00::1", "fc00::/7" },
        { "fdff:ffff::1", "fc00::/7" }, { "fe80::1", "fe80::/10" }, { "febf::1", "fe80::/10" }, { "fec0::1", "fec0::/10" },
        { "feff::1", "fec0::/10" }, { "ff02::1", "ff00::/8" },
    };

    [Theory, MemberData(nameof(Named))]
    public void Each_address_is_refused_for_the_block_the_registries_name(string address, string block)
        => SpecialPurposeAddresses.Refusal(IPAddress.Parse(address)).ShouldNotBeNull().Block.Block.ShouldBe(block);

    [Theory]
    [InlineData("8.8.8.8")] [InlineData("1.1.1.1")] [InlineData("9.255.255.255")] [InlineData("11.0.0.0")] [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")] [InlineData("172.32.0.1")] [InlineData("192.0.1.1")] [InlineData("192.31.196.1")] [InlineData("192.52.193.1")]
    [InlineData("192.175.48.1")] [InlineData("198.17.255.255")] [InlineData("198.20.0.0")] [InlineData("223.255.255.255")]
    [InlineData("2606:4700:4700::1111")] [InlineData("2001:4860:4860::8888")] [InlineData("2001:200::1")] [InlineData("2620:4f:8000::1")]
    [InlineData("64:ff9b::8.8.8.8")] [InlineData("::ffff:8.8.8.8")] [InlineData("2002:808:808::1")] [InlineData("2003::1")]
    public async Task Globally_reachable_addresses_may_be_called(string address)
    {
        SpecialPurposeAddresses.Refusal(IPAddress.Parse(address)).ShouldBeNull();
        (await Targets().RefusalAsync(Url(address), default)).ShouldBeNull();
    }

    /// <summary>Internal addresses as people hide them: shorthand, octal, hex, decimal, padded, mixed notation, zones, embeddings.</summary>
    public static TheoryData<string> UnusualForms => new()
    {
        "http://127.1/", "http://127.0.1/", "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://0x7F.0x00.0x00.0x01/", "http://0x7f000001/",
        "http://2130706433/", "http://017700000001/", "http://127.000.000.001/", "http://0/", "http://0.0.0.0:8080/", "http://localhost/",
        "http://LocalHost:8080/hook", "http://[::1]/", "http://[0:0:0:0:0:0:0:1]/", "http://[0000:0000:0000:0000:0000:0000:0000:0001]/",
        "http://[::]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[0:0:0:0:0:ffff:127.0.0.1]/", "http://[::127.0.0.1]/",
        "http://[::7f00:1]/", "http://[::ffff:0:127.0.0.1]/", "http://[64:ff9b::127.0.0.1]/", "http://[64:ff9b::7f00:1]/",
        "http://[2002:7f00:1::]/", "http://[2002:a9fe:a9fe::1]/", "http://[FE80::1]/", "http://[fe80::1%25eth0]/", "http://[fc00::1]/",
        "http://[fd12:3456::1]/", "http://[fec0::1]/", "http://169.254.169.254/latest/meta-data", "http://0xa9fea9fe/", "http://2852039166/",
        "http://0251.0376.0251.0376/", "http://169.254.43518/", "http://[::ffff:169.254.169.254]/", "http://[::ffff:a9fe:a9fe]/",
        "http://10.1/", "http://012.1.2.3/", "http://192.168.1/", "http://3232235777/", "https://[64:ff9b::a9fe:a9fe]:443/",
        "http://4294967295/", "http://[ff02::1]/", "http://[2001:db8::1]/", "http://[100::]/",
    };

    [Theory, MemberData(nameof(UnusualForms))]
    public async Task Internal_addresses_in_unusual_forms_are_refused(string url)
        => (await Targets().RefusalAsync(url, default)).ShouldNotBeNull();

    [Theory, MemberData(nameof(UnusualForms))]
    public async Task Internal_addresses_in_unusual_forms_are_refused_at_connect_time(string url)
    {
        using var client = DispatcherClient(Targets());
        (await Should.ThrowAsync<HttpRequestException>(() => client.GetAsync(url))).ToString().ShouldContain("Refused to connect");
    }

    [Fact]
    public async Task The_allow_list_admits_hosts_addresses_and_ranges_and_nothing_else()
    {
        var targets = Targets("10.0.0.0/8", "hooks.internal", "::1", "fd00::/8");
        (await targets.RefusalAsync("http://10.2.3.4/hook", default)).ShouldBeNull();
        (await targets.RefusalAsync("http://[::ffff:10.2.3.4]/hook", default)).ShouldBeNull();
        (await targets.RefusalAsync("http://[::1]:8080/hook", default)).ShouldBeNull();
        (await targets.RefusalAsync("http://[fd00::5]/hook", default)).ShouldBeNull();
        (await targets.RefusalAsync("http://HOOKS.internal/hook", default)).ShouldBeNull();
        (await targets.RefusalAsync("http://192.168.0.1/hook", default)).ShouldNotBeNull();
        (await targets.RefusalAsync("http://[2002:a00:1::1]/hook", default)).ShouldNotBeNull();
        (await targets.RefusalAsync("http://[fe80::1]/hook", default)).ShouldNotBeNull();
    }

    [Fact]
    public void The_dispatcher_connects_itself_and_never_through_a_proxy()
        => ((SocketsHttpHandler)WebhookDispatcher.CreateHandler(Services(Targets()))).UseProxy.ShouldBeFalse();

    private static IServiceProvider Services(WebhookTargets targets) => new ServiceCollection().AddSingleton(targets).BuildServiceProvider();

    private static HttpClient DispatcherClient(WebhookTargets targets) => new(WebhookDispatcher.CreateHandler(Services(targets)))
    {
        Timeout = TimeSpan.FromSeconds(20),
    };
}
