using System.Security.Cryptography;

namespace Provenance.Ledger.Tests;

public class LeafEncodingTests
{
    static readonly LedgerEntry Golden = new(
        Sequence: 42,
        StreamId: Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
        Version: 3,
        EventType: "DocumentTranslated",
        Timestamp: new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.FromHours(1)).AddTicks(5358979),
        Actor: "alice@example.org",
        CanonicalPayload: CanonicalJson.Canonicalize("{ \"sourceRevision\": 2, \"language\": \"fr\" }"),
        PreviousHash: SHA256.HashData("previous"u8));

    // Computed independently from the README specification; if this changes, every stored leaf does too.
    [Fact]
    public void Golden_entry_encodes_to_the_specified_bytes_and_leaf_hash()
    {
        Convert.ToHexStringLower(LeafEncoding.Encode(Golden)).ShouldBe(
            "01" + "000000000000002a" + "0f8fad5bd9cb469fa16570867728950e" + "0000000000000003"
            + "00000012" + "446f63756d656e745472616e736c61746564"
            + "0006304dfc76fed9"
            + "00000011" + "616c696365406578616d706c652e6f7267"
            + "00000024" + "7b226c616e6775616765223a226672222c22736f757263655265766973696f6e223a327d"
            + "6da0633528deaa0144e7b058315f0b753ec0b945163a72bf96a0d18180f9de0d");
        Convert.ToHexStringLower(LeafEncoding.LeafHash(Golden)).ShouldBe("426ac70d5ab2c692d8a691bda3b396156f9292d99fb3d7f1a4354418e9e2feff");
    }

    [Fact]
    public void Timestamp_is_committed_at_microsecond_precision_as_postgresql_stores_it()
    {
        var readBack = Golden with { Timestamp = LeafEncoding.TruncateToMicroseconds(Golden.Timestamp) };
        (readBack.Timestamp.Ticks % 10).ShouldBe(0);
        readBack.Timestamp.Offset.ShouldBe(TimeSpan.Zero);
        LeafEncoding.LeafHash(readBack).ShouldBe(LeafEncoding.LeafHash(Golden));
        LeafEncoding.UnixMicroseconds(Golden.Timestamp).ShouldBe(1741961366535897);
    }

    [Fact]
    public void Timestamps_before_1970_round_down_to_the_microsecond()
    {
        var justBeforeEpoch = DateTimeOffset.UnixEpoch.AddTicks(-1);
        LeafEncoding.UnixMicroseconds(justBeforeEpoch).ShouldBe(-1);
        LeafEncoding.TruncateToMicroseconds(justBeforeEpoch).ShouldBe(DateTimeOffset.UnixEpoch.AddTicks(-10));
    }

    [Fact]
    public void Moving_bytes_between_adjacent_fields_changes_the_leaf()
    {
        var a = Golden with { EventType = "Document", Actor = "Translatedalice" };
        var b = Golden with { EventType = "DocumentTranslated", Actor = "alice" };
        LeafEncoding.Encode(a).ShouldNotBe(LeafEncoding.Encode(b));
        LeafEncoding.LeafHash(a).ShouldNotBe(LeafEncoding.LeafHash(b));
    }

    [Fact]
    public void Every_field_is_committed()
    {
        var original = LeafEncoding.LeafHash(Golden);
        LedgerEntry[] changed =
        [
            Golden with { Sequence = 43 },
            Golden with { StreamId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950f") },
            Golden with { Version = 4 },
            Golden with { EventType = "DocumentEdited" },
            Golden with { Timestamp = Golden.Timestamp.AddTicks(10) },
            Golden with { Actor = "bob@example.org" },
            Golden with { CanonicalPayload = CanonicalJson.Canonicalize("{\"language\":\"de\",\"sourceRevision\":2}") },
            Golden with { PreviousHash = LedgerEntry.NoPreviousHash },
        ];
        foreach (var entry in changed)
        {
            LeafEncoding.LeafHash(entry).ShouldNotBe(original);
        }
    }

    [Fact]
    public void Entries_that_break_the_format_are_refused()
    {
        Should.Throw<ArgumentException>(() => LeafEncoding.Encode(Golden with { PreviousHash = new byte[31] }));
        Should.Throw<ArgumentOutOfRangeException>(() => LeafEncoding.Encode(Golden with { Version = 0 }));
        Should.Throw<ArgumentOutOfRangeException>(() => LeafEncoding.Encode(Golden with { Sequence = -1 }));
        Assert.ThrowsAny<ArgumentException>(() => LeafEncoding.Encode(Golden with { Actor = "\ud800" }));
    }

    [Fact]
    public void First_event_of_a_stream_points_to_32_zero_bytes() =>
        LedgerEntry.NoPreviousHash.ToArray().ShouldBe(new byte[32]);
}
