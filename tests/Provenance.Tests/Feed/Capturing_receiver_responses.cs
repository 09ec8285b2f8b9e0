using System.Text;
using CsCheck;
using Provenance.Api.Feed;
using Shouldly;

namespace Provenance.Tests.Feed;

/// <summary>What the delivery log keeps of a receiver's answer, for any bytes a receiver can send (pure functions, no database).</summary>
public sealed class Capturing_receiver_responses
{
    private static bool Safe(string text) => !text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'));

    [Fact]
    public void Any_bytes_become_text_without_NUL_or_control_characters_and_one_character_at_most_per_byte()
    {
        Gen.Byte.Array[0, ResponseCapture.MaxBodyBytes].Select(Gen.Bool).Sample((bytes, truncated) =>
        {
            var text = ResponseCapture.BodyText(bytes, truncated);
            Safe(text).ShouldBeTrue();
            text.Length.ShouldBeLessThanOrEqualTo(bytes.Length);
            // It is valid text: encoding it again and decoding gives the same string.
            Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)).ShouldBe(text);
        });
    }

    [Fact]
    public void Printable_UTF8_text_is_kept_as_sent_and_a_character_cut_by_the_limit_is_dropped()
    {
        Gen.String[Gen.Char.Where(c => !char.IsControl(c) && !char.IsSurrogate(c)), 0, 1000].Sample(sent =>
        {
            var bytes = Encoding.UTF8.GetBytes(sent);
            ResponseCapture.BodyText(bytes, truncated: false).ShouldBe(sent);
            for (var cut = Math.Max(0, bytes.Length - 3); cut < bytes.Length; cut++)
            {
                var kept = ResponseCapture.BodyText(bytes.AsSpan(0, cut), truncated: true);
                sent.ShouldStartWith(kept);
                kept.ShouldNotContain('\uFFFD');
            }
        });
    }

    [Fact]
    public void Header_values_are_printable_ASCII_of_bounded_length()
    {
        Gen.String[Gen.Char, 0, 600].Sample(value =>
        {
            var kept = ResponseCapture.HeaderValue(value);
            kept.Length.ShouldBeLessThanOrEqualTo(ResponseCapture.MaxHeaderValueLength);
            kept.ShouldAllBe(c => c >= ' ' && c <= '~');
        });
        ResponseCapture.HeaderValue("text/html; charset=utf-8").ShouldBe("text/html; charset=utf-8");
    }

    [Fact]
    public void Errors_are_one_line_of_bounded_length()
    {
        var error = ResponseCapture.Error("Connection failed:\r\n" + new string('x', 5000))!;
        error.Length.ShouldBe(ResponseCapture.MaxErrorLength);
        error.ShouldNotContain('\n');
        ResponseCapture.Error(null).ShouldBeNull();
    }
}
