using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CsCheck;

namespace Provenance.Ledger.Tests;

public class CanonicalJsonTests
{
    // The input/output pairs of the RFC 8785 reference implementation (cyberphone/json-canonicalization testdata/).
    [Theory]
    [InlineData("[\n  56,\n  {\n    \"d\": true,\n    \"10\": null,\n    \"1\": [ ]\n  }\n]", "[56,{\"1\":[],\"10\":null,\"d\":true}]")]
    [InlineData("{\n  \"peach\": \"This sorting order\",\n  \"p\u00e9ch\u00e9\": \"is wrong according to French\",\n  \"p\u00eache\": \"but canonicalization MUST\",\n  \"sin\":   \"ignore locale\"\n}",
        "{\"peach\":\"This sorting order\",\"p\u00e9ch\u00e9\":\"is wrong according to French\",\"p\u00eache\":\"but canonicalization MUST\",\"sin\":\"ignore locale\"}")]
    [InlineData("{\n  \"1\": {\"f\": {\"f\": \"hi\",\"F\": 5} ,\"\\n\": 56.0},\n  \"10\": { },\n  \"\": \"empty\",\n  \"a\": { },\n  \"111\": [ {\"e\": \"yes\",\"E\": \"no\" } ],\n  \"A\": { }\n}",
        "{\"\":\"empty\",\"1\":{\"\\n\":56,\"f\":{\"F\":5,\"f\":\"hi\"}},\"10\":{},\"111\":[{\"E\":\"no\",\"e\":\"yes\"}],\"A\":{},\"a\":{}}")]
    [InlineData("{\n  \"Unnormalized Unicode\":\"A\\u030a\"\n}", "{\"Unnormalized Unicode\":\"A\u030a\"}")]
    [InlineData("{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n  \"literals\": [null, true, false]\n}",
        "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}")]
    [InlineData("{\n  \"\\u20ac\": \"Euro Sign\",\n  \"\\r\": \"Carriage Return\",\n  \"\\u000a\": \"Newline\",\n  \"1\": \"One\",\n  \"\\u0080\": \"Control\\u007f\",\n  \"\\ud83d\\ude02\": \"Smiley\",\n  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\",\n  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n  \"</script>\": \"Browser Challenge\"\n}",
        "{\"\\n\":\"Newline\",\"\\r\":\"Carriage Return\",\"1\":\"One\",\"</script>\":\"Browser Challenge\",\"\u0080\":\"Control\u007f\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\U0001F602\":\"Smiley\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}")]
    public void Reference_implementation_test_vectors_canonicalize_to_the_published_bytes(string input, string expected)
    {
        CanonicalJson.Canonicalize(input).ShouldBe(Encoding.UTF8.GetBytes(expected));
        CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(input)).ShouldBe(Encoding.UTF8.GetBytes(expected));
    }

    [Fact]
    public void Weird_vector_matches_the_published_hex_bytes()
    {
        const string input = "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\u000a\":\"Newline\",\"1\":\"One\",\"\\u0080\":\"Control\\u007f\"}";
        Convert.ToHexStringLower(CanonicalJson.Canonicalize(input)).ShouldBe(
            "7b225c6e223a224e65776c696e65222c225c72223a22436172726961676520526574757" +
            "26e222c2231223a224f6e65222c22c280223a22436f6e74726f6c7f222c22e282ac223a224575726f205369676e227d");
    }

    // RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialization.
    [Theory]
    [InlineData("0000000000000000", "0")]
    [InlineData("8000000000000000", "0")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("8000000000000001", "-5e-324")]
    [InlineData("7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("ffefffffffffffff", "-1.7976931348623157e+308")]
    [InlineData("4340000000000000", "9007199254740992")]
    [InlineData("c340000000000000", "-9007199254740992")]
    [InlineData("4430000000000000", "295147905179352830000")]
    [InlineData("44b52d02c7e14af5", "9.999999999999997e+22")]
    [InlineData("44b52d02c7e14af6", "1e+23")]
    [InlineData("44b52d02c7e14af7", "1.0000000000000001e+23")]
    [InlineData("444b1ae4d6e2ef4e", "999999999999999700000")]
    [InlineData("444b1ae4d6e2ef4f", "999999999999999900000")]
    [InlineData("444b1ae4d6e2ef50", "1e+21")]
    [InlineData("3eb0c6f7a0b5ed8c", "9.999999999999997e-7")]
    [InlineData("3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("41b3de4355555553", "333333333.3333332")]
    [InlineData("41b3de4355555554", "333333333.33333325")]
    [InlineData("41b3de4355555555", "333333333.3333333")]
    [InlineData("41b3de4355555556", "333333333.3333334")]
    [InlineData("41b3de4355555557", "333333333.33333343")]
    [InlineData("becbf647612f3696", "-0.0000033333333333333333")]
    [InlineData("43143ff3c1cb0959", "1424953923781206.2")]
    public void Numbers_serialize_as_rfc8785_appendix_b_shows(string ieee754Hex, string expected)
    {
        var value = BitConverter.UInt64BitsToDouble(ulong.Parse(ieee754Hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        CanonicalJson.FormatNumber(value).ShouldBe(expected);
        Encoding.UTF8.GetString(CanonicalJson.Canonicalize($"[{value.ToString("R", CultureInfo.InvariantCulture)}]")).ShouldBe($"[{expected}]");
    }

    // The reference implementation's deterministic number test file: static edge cases, 2000 smallest normals,
    // then doubles drawn from a SHA-256 chain; the published SHA-256 of its first lines pins every output.
    [Theory]
    [InlineData(1_000, "be18b62b6f69cdab33a7e0dae0d9cfa869fda80ddc712221570f9f40a5878687")]
    [InlineData(10_000, "b9f7a8e75ef22a835685a52ccba7f7d6bdc99e34b010992cbc5864cd12be6892")]
    [InlineData(100_000, "22776e6d4b49fa294a0d0f349268e5c28808fe7e0cb2bcbe28f63894e494d4c7")]
    public void Number_serialization_reproduces_the_es6_test_file_hash(int lines, string sha256)
    {
        var file = new StringBuilder();
        foreach (var bits in Es6TestFileBits().Take(lines))
        {
            file.Append(bits.ToString("x", CultureInfo.InvariantCulture)).Append(',')
                .Append(CanonicalJson.FormatNumber(BitConverter.UInt64BitsToDouble(bits))).Append('\n');
        }
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(file.ToString()))).ShouldBe(sha256);
    }

    [Theory]
    [InlineData("[1e400]")]
    [InlineData("[-1e400]")]
    [InlineData("{\"a\":1,\"a\":2}")]
    [InlineData("{\"b\":{\"x\":1,\"x\":1}}")]
    [InlineData("[\"\\ud800\"]")]
    [InlineData("{\"\\udc00\":1}")]
    [InlineData("[1,]")]
    [InlineData("{\"a\":1} {}")]
    [InlineData("[NaN]")]
    public void Input_that_is_not_i_json_is_refused(string input) =>
        Assert.ThrowsAny<JsonException>(() => CanonicalJson.Canonicalize(input));

    [Theory]
    [InlineData("9007199254740993", "9007199254740992")]
    [InlineData("-0", "0")]
    [InlineData("-0.0", "0")]
    [InlineData("1E2", "100")]
    [InlineData("0.1e1", "1")]
    [InlineData("123456789012345678901234", "1.2345678901234569e+23")]
    [InlineData("\"\\u0000\\b\\t\\n\\f\\r\\u001f\\u2028/\"", "\"\\u0000\\b\\t\\n\\f\\r\\u001f\u2028/\"")]
    public void Values_take_their_ieee754_and_minimal_escape_forms(string input, string expected) =>
        Encoding.UTF8.GetString(CanonicalJson.Canonicalize(input)).ShouldBe(expected);

    [Fact]
    public void Canonical_form_is_a_fixed_point_and_ignores_key_order_whitespace_and_escapes() =>
        JsonGen.Value.Select(Gen.Int, Gen.Int).Sample((value, seed1, seed2) =>
        {
            var first = JsonGen.Write(value, new Random(seed1));
            var second = JsonGen.Write(value, new Random(seed2));
            var canonical = CanonicalJson.Canonicalize(first);

            CanonicalJson.Canonicalize(second).ShouldBe(canonical, $"{first}\n{second}");
            CanonicalJson.Canonicalize(canonical).ShouldBe(canonical);
        });

    [Fact]
    public void Canonical_numbers_read_back_as_the_same_double() =>
        Gen.Double.Where(double.IsFinite).Sample(value =>
            double.Parse(CanonicalJson.FormatNumber(value), CultureInfo.InvariantCulture).ShouldBe(value == 0 ? 0 : value));

    [Fact]
    public void Payload_read_back_from_jsonb_gives_the_same_canonical_bytes()
    {
        // What PostgreSQL returns for a jsonb column: keys sorted by length then bytes, ", " and ": " separators.
        const string written = "{\"title\":\"Annual report\",\"pages\":12,\"lang\":\"fr\",\"tags\":[\"a\",\"b\"],\"ratio\":0.50}";
        const string readBack = "{\"lang\": \"fr\", \"tags\": [\"a\", \"b\"], \"pages\": 12, \"ratio\": 0.50, \"title\": \"Annual report\"}";
        CanonicalJson.Canonicalize(readBack).ShouldBe(CanonicalJson.Canonicalize(written));
    }

    static IEnumerable<ulong> Es6TestFileBits()
    {
        foreach (var bits in StaticBits)
        {
            yield return bits;
        }
        for (var i = 0UL; i < 2000; i++)
        {
            yield return 0x0010000000000000UL + i;
        }
        var block = new byte[32];
        while (true)
        {
            block = SHA256.HashData(block);
            for (var offset = 0; offset < 32; offset += 8)
            {
                var bits = BinaryPrimitives.ReadUInt64LittleEndian(block.AsSpan(offset));
                var value = BitConverter.UInt64BitsToDouble(bits);
                if (value != 0 && double.IsFinite(value))
                {
                    yield return bits;
                }
            }
        }
    }

    static readonly ulong[] StaticBits =
    [
        0x0000000000000000UL, 0x8000000000000000UL, 0x0000000000000001UL, 0x8000000000000001UL,
        0xC46696695DBD1CC3UL, 0xC43211EDE4974A35UL, 0xC3FCE97CA0F21056UL, 0xC3C7213080C1A6ACUL,
        0xC39280F39A348556UL, 0xC35D9B1F5D20D557UL, 0xC327AF4C4A80AAACUL, 0xC2F2F2A36ECD5556UL,
        0xC2BE51057E155558UL, 0xC28840D131AAAAACUL, 0xC253670DC1555557UL, 0xC21F0B4935555557UL,
        0xC1E8D5D42AAAAAACUL, 0xC1B3DE4355555556UL, 0xC17FCA0555555556UL, 0xC1496E6AAAAAAAABUL,
        0xC114585555555555UL, 0xC0E046AAAAAAAAABUL, 0xC0AA0AAAAAAAAAAAUL, 0xC074D55555555555UL,
        0xC040AAAAAAAAAAABUL, 0xC00AAAAAAAAAAAABUL, 0xBFD5555555555555UL, 0xBFA1111111111111UL,
        0xBF6B4E81B4E81B4FUL, 0xBF35D867C3ECE2A5UL, 0xBF0179EC9CBD821EUL, 0xBECBF647612F3696UL,
        0xBE965E9F80F29212UL, 0xBE61E54C672874DBUL, 0xBE2CA213D840BAF8UL, 0xBDF6E80FE033C8C6UL,
        0xBDC2533FE68FD3D2UL, 0xBD8D51FFD74C861CUL, 0xBD5774CCAC3D3817UL, 0xBD22C3D6F030F9ACUL,
        0xBCEE0624B3818F79UL, 0xBCB804EA293472C7UL, 0xBC833721BA905BD3UL, 0xBC4EBE9C5DB3C61EUL,
        0xBC18987D17C304E5UL, 0xBBE3AD30DFCF371DUL, 0xBBAF7B816618582FUL, 0xBB792F9AB81379BFUL,
        0xBB442615600F9499UL, 0xBB101E77800C76E1UL, 0xBAD9CA58CCE0BE35UL, 0xBAA4A1E0A3E6FE90UL,
        0xBA708180831F320DUL, 0xBA3A68CD9E985016UL, 0x446696695DBD1CC3UL, 0x443211EDE4974A35UL,
        0x43FCE97CA0F21056UL, 0x43C7213080C1A6ACUL, 0x439280F39A348556UL, 0x435D9B1F5D20D557UL,
        0x4327AF4C4A80AAACUL, 0x42F2F2A36ECD5556UL, 0x42BE51057E155558UL, 0x428840D131AAAAACUL,
        0x4253670DC1555557UL, 0x421F0B4935555557UL, 0x41E8D5D42AAAAAACUL, 0x41B3DE4355555556UL,
        0x417FCA0555555556UL, 0x41496E6AAAAAAAABUL, 0x4114585555555555UL, 0x40E046AAAAAAAAABUL,
        0x40AA0AAAAAAAAAAAUL, 0x4074D55555555555UL, 0x4040AAAAAAAAAAABUL, 0x400AAAAAAAAAAAABUL,
        0x3FD5555555555555UL, 0x3FA1111111111111UL, 0x3F6B4E81B4E81B4FUL, 0x3F35D867C3ECE2A5UL,
        0x3F0179EC9CBD821EUL, 0x3ECBF647612F3696UL, 0x3E965E9F80F29212UL, 0x3E61E54C672874DBUL,
        0x3E2CA213D840BAF8UL, 0x3DF6E80FE033C8C6UL, 0x3DC2533FE68FD3D2UL, 0x3D8D51FFD74C861CUL,
        0x3D5774CCAC3D3817UL, 0x3D22C3D6F030F9ACUL, 0x3CEE0624B3818F79UL, 0x3CB804EA293472C7UL,
        0x3C833721BA905BD3UL, 0x3C4EBE9C5DB3C61EUL, 0x3C18987D17C304E5UL, 0x3BE3AD30DFCF371DUL,
        0x3BAF7B816618582FUL, 0x3B792F9AB81379BFUL, 0x3B442615600F9499UL, 0x3B101E77800C76E1UL,
        0x3AD9CA58CCE0BE35UL, 0x3AA4A1E0A3E6FE90UL, 0x3A708180831F320DUL, 0x3A3A68CD9E985016UL,
        0x4024000000000000UL, 0x4014000000000000UL, 0x3FE0000000000000UL, 0x3FA999999999999AUL,
        0x3F747AE147AE147BUL, 0x3F40624DD2F1A9FCUL, 0x3F0A36E2EB1C432DUL, 0x3ED4F8B588E368F1UL,
        0x3EA0C6F7A0B5ED8DUL, 0x3E6AD7F29ABCAF48UL, 0x3E35798EE2308C3AUL, 0x3ED539223589FA95UL,
        0x3ED4FF26CD5A7781UL, 0x3ED4F95A762283FFUL, 0x3ED4F8C60703520CUL, 0x3ED4F8B72F19CD0DUL,
        0x3ED4F8B5B31C0C8DUL, 0x3ED4F8B58D1C461AUL, 0x3ED4F8B5894F7F0EUL, 0x3ED4F8B588EE37F3UL,
        0x3ED4F8B588E47DA4UL, 0x3ED4F8B588E3849CUL, 0x3ED4F8B588E36BB5UL, 0x3ED4F8B588E36937UL,
        0x3ED4F8B588E368F8UL, 0x3ED4F8B588E368F1UL, 0x3FF0000000000000UL, 0xBFF0000000000000UL,
        0xBFEFFFFFFFFFFFFAUL, 0xBFEFFFFFFFFFFFFBUL, 0x3FEFFFFFFFFFFFFAUL, 0x3FEFFFFFFFFFFFFBUL,
        0x3FEFFFFFFFFFFFFCUL, 0x3FEFFFFFFFFFFFFEUL, 0xBFEFFFFFFFFFFFFFUL, 0xBFEFFFFFFFFFFFFFUL,
        0x3FEFFFFFFFFFFFFFUL, 0x3FEFFFFFFFFFFFFFUL, 0x3FD3333333333332UL, 0x3FD3333333333333UL,
        0x3FD3333333333334UL, 0x0010000000000000UL, 0x000FFFFFFFFFFFFDUL, 0x000FFFFFFFFFFFFFUL,
        0x7FEFFFFFFFFFFFFFUL, 0xFFEFFFFFFFFFFFFFUL, 0x4340000000000000UL, 0xC340000000000000UL,
        0x4430000000000000UL, 0x44B52D02C7E14AF5UL, 0x44B52D02C7E14AF6UL, 0x44B52D02C7E14AF7UL,
        0x444B1AE4D6E2EF4EUL, 0x444B1AE4D6E2EF4FUL, 0x444B1AE4D6E2EF50UL, 0x3EB0C6F7A0B5ED8CUL,
        0x3EB0C6F7A0B5ED8DUL, 0x41B3DE4355555553UL, 0x41B3DE4355555554UL, 0x41B3DE4355555555UL,
        0x41B3DE4355555556UL, 0x41B3DE4355555557UL, 0xBECBF647612F3696UL, 0x43143FF3C1CB0959UL,
    ];
}
