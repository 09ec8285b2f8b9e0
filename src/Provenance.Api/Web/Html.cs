using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Provenance.Api.Web;

/// <summary>A fragment of HTML that is already safe to emit: only <see cref="Html"/> makes one.</summary>
public readonly struct Markup(string value)
{
    public string Value { get; } = value ?? "";
    public static readonly Markup Empty = new("");
    public override string ToString() => Value;
}

/// <summary>
/// Builds HTML from interpolated strings: every hole is HTML-encoded unless it is already <see cref="Markup"/>,
/// so a page cannot forget to escape a title, an actor or a reason.
/// </summary>
[InterpolatedStringHandler]
public ref struct HtmlBuilder
{
    private readonly StringBuilder _builder;

    public HtmlBuilder(int literalLength, int formattedCount) => _builder = new StringBuilder(literalLength + formattedCount * 16);

    public void AppendLiteral(string value) => _builder.Append(value);

    public void AppendFormatted(Markup value) => _builder.Append(value.Value);

    public void AppendFormatted(IEnumerable<Markup> values)
    {
        foreach (var value in values) _builder.Append(value.Value);
    }

    public void AppendFormatted<T>(T value) => AppendFormatted(value, null);

    public void AppendFormatted<T>(T value, string? format)
    {
        if (value is Markup markup)
        {
            _builder.Append(markup.Value);
            return;
        }
        var text = value switch
        {
            null => "",
            IFormattable f => f.ToString(format, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
        _builder.Append(Html.Encode(text));
    }

    internal readonly string Result => _builder.ToString();
}

public static class Html
{
    // Letters of every script stay readable in the source; only characters that matter to HTML are escaped.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static Markup H(ref HtmlBuilder builder) => new(builder.Result);

    public static string Encode(string? text) => string.IsNullOrEmpty(text) ? "" : Encoder.Encode(text);

    public static Markup Join(IEnumerable<Markup> parts) => new(string.Concat(parts.Select(p => p.Value)));

    public static Markup When(bool condition, Markup markup) => condition ? markup : Markup.Empty;

    /// <summary>A link only for http(s) addresses; anything else (javascript:, data:, urn:) is shown as text.</summary>
    public static Markup ExternalLink(string uri)
        => Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && (parsed.Scheme == Uri.UriSchemeHttp || parsed.Scheme == Uri.UriSchemeHttps)
            ? H($"<a href=\"{uri}\" rel=\"noopener noreferrer\">{uri}</a>")
            : H($"<span class=\"uri\">{uri}</span>");

    /// <summary>
    /// A <c>ts_headline</c> snippet: its text is not escaped by PostgreSQL, so everything is encoded and only the
    /// <c>&lt;mark&gt;</c> tags the query asked for are put back.
    /// </summary>
    public static Markup Snippet(string snippet)
    {
        var output = new StringBuilder();
        var rest = snippet.AsSpan();
        while (rest.Length > 0)
        {
            var open = rest.IndexOf("<mark>", StringComparison.Ordinal);
            if (open < 0) { output.Append(Encode(rest.ToString())); break; }
            var close = rest[(open + 6)..].IndexOf("</mark>", StringComparison.Ordinal);
            if (close < 0) { output.Append(Encode(rest.ToString())); break; }
            output.Append(Encode(rest[..open].ToString()));
            output.Append("<mark>").Append(Encode(rest.Slice(open + 6, close).ToString())).Append("</mark>");
            rest = rest[(open + 6 + close + 7)..];
        }
        return new Markup(output.ToString());
    }

    /// <summary>A query string from name/value pairs, leaving out empty values.</summary>
    public static string Query(params (string Name, string? Value)[] parameters)
    {
        var parts = parameters.Where(p => !string.IsNullOrEmpty(p.Value))
            .Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    public static Markup Time(DateTimeOffset at, UiContext ui)
        => H($"<time datetime=\"{at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}\">{ui.FormatTime(at)}</time>");

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
