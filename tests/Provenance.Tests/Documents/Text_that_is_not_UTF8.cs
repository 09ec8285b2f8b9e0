using System.Text;
using System.Text.Json;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Shouldly;

namespace Provenance.Tests.Documents;

/// <summary>Text must be UTF-8: the refusal says which byte is not and how to convert the file, and a charset parameter is explained as the encoding.</summary>
public sealed class Text_that_is_not_UTF8(AppFixture fixture) : IntegrationContext(fixture)
{
    static readonly byte[] Latin1 = Encoding.Latin1.GetBytes("Caf\u00e9 cr\u00e8me\n");

    [Fact]
    public async Task Latin_1_text_is_refused_with_the_offset_of_its_first_invalid_byte_and_an_iconv_command()
    {
        var events = await EventCountAsync();
        var result = await As(Roles.Contributor, s => s.Post.Json(new
        {
            title = "Menu", language = "fr", contentBase64 = Convert.ToBase64String(Latin1), mediaType = "text/plain", originalFileName = "menu.txt",
        }).ToUrl("/api/documents"));
        await ShouldBeProblemAsync(result, 422, "validation");
        var message = JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("errors").GetProperty("content")[0].GetString()!;
        message.ShouldContain("byte 3 (counting from 0; value 0xE9)");
        message.ShouldContain("iconv -f ISO-8859-1 -t UTF-8 'menu.txt' > 'menu.txt.utf8'");
        (await EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task A_charset_other_than_UTF8_is_explained_as_the_encoding_not_the_type()
    {
        var events = await EventCountAsync();
        var result = await As(Roles.Contributor, s => s.Post.Json(new
        {
            title = "Menu", language = "fr", contentBase64 = Convert.ToBase64String(Latin1), mediaType = "text/plain; charset=iso-8859-1",
        }).ToUrl("/api/documents"));
        await ShouldBeProblemAsync(result, 422, "validation");
        var message = JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("errors").GetProperty("mediaType")[0].GetString()!;
        message.ShouldContain("'text/plain' is supported, but only as UTF-8");
        message.ShouldContain("'charset=iso-8859-1' is the text's character encoding, not its type");
        message.ShouldContain("iconv -f ISO-8859-1 -t UTF-8");
        (await EventCountAsync()).ShouldBe(events);
    }

    [Theory]
    [InlineData("Caf\u00e9", 3)]
    [InlineData("abc\u00ff\u00fe", 3)]
    [InlineData("ok", -1)]
    public void The_streaming_check_finds_the_same_byte_whatever_the_chunks(string latin1, int offset)
    {
        var bytes = Encoding.UTF8.GetBytes("préfixe ").Concat(Encoding.Latin1.GetBytes(latin1)).Concat(Encoding.UTF8.GetBytes(" – fin")).ToArray();
        var expected = offset < 0 ? null : new Utf8Error(Encoding.UTF8.GetByteCount("préfixe ") + offset, bytes[Encoding.UTF8.GetByteCount("préfixe ") + offset]);
        Utf8Validator.FirstError(bytes).ShouldBe(expected);
        for (var chunk = 1; chunk <= 5; chunk++)
        {
            var validator = new Utf8Validator();
            for (var at = 0; at < bytes.Length; at += chunk) validator.Append(bytes.AsSpan(at, Math.Min(chunk, bytes.Length - at)));
            validator.Complete().ShouldBe(expected, $"chunks of {chunk}");
        }
        // A sequence the end cuts short is invalid from its first byte.
        var cut = Encoding.UTF8.GetBytes("a€")[..^1];
        Utf8Validator.FirstError(cut).ShouldBe(new Utf8Error(1, 0xE2));
        var streaming = new Utf8Validator();
        streaming.Append(cut);
        streaming.Complete().ShouldBe(new Utf8Error(1, 0xE2));
    }
}
