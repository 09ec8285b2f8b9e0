using System.Globalization;
using System.Text;
using CsCheck;

namespace Provenance.Ledger.Tests;

/// <summary>Random JSON values, and random but equivalent ways to write them (key order, whitespace, escapes, number forms).</summary>
static class JsonGen
{
    public abstract record Json;
    public sealed record JsonObject(IReadOnlyList<(string Name, Json Value)> Members) : Json;
    public sealed record JsonArray(IReadOnlyList<Json> Items) : Json;
    public sealed record JsonString(string Value) : Json;
    public sealed record JsonNumber(double Value) : Json;
    public sealed record JsonLiteral(string Text) : Json;

    static readonly Gen<string> Text =
        Gen.OneOfConst("a", "Z", "0", " ", "é", "€", "😀", "\"", "\\", "/", "\n", "\u0001", "\u001f", "\u007f", "\u2028", "\ufb33")
            .Array[0, 5].Select(string.Concat);

    static readonly Gen<Json> Scalar = Gen.OneOf<Json>(
        Text.Select(s => (Json)new JsonString(s)),
        Gen.Int[-1000, 1000].Select(i => (Json)new JsonNumber(i)),
        Gen.Long.Select(l => (Json)new JsonNumber(l)),
        Gen.Double.Where(double.IsFinite).Select(d => (Json)new JsonNumber(d)),
        Gen.OneOfConst("true", "false", "null").Select(t => (Json)new JsonLiteral(t)));

    public static readonly Gen<Json> Value = Nested(3);

    static Gen<Json> Nested(int depth) =>
        depth == 0
            ? Scalar
            : Gen.Frequency(
                (3, Scalar),
                (1, Nested(depth - 1).List[0, 4].Select(items => (Json)new JsonArray(items))),
                (1, Gen.Select(Text, Nested(depth - 1)).List[0, 4]
                    .Select(members => (Json)new JsonObject(members.DistinctBy(m => m.Item1).ToList()))));

    public static string Write(Json value, Random random)
    {
        var text = new StringBuilder();
        Write(value, random, text);
        return text.ToString();
    }

    static void Write(Json value, Random random, StringBuilder text)
    {
        Space(random, text);
        switch (value)
        {
            case JsonObject o:
                text.Append('{');
                var members = o.Members.OrderBy(_ => random.Next()).ToList();
                for (var i = 0; i < members.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(',');
                    }
                    Space(random, text);
                    WriteString(members[i].Name, random, text);
                    Space(random, text);
                    text.Append(':');
                    Write(members[i].Value, random, text);
                }
                Space(random, text);
                text.Append('}');
                break;
            case JsonArray a:
                text.Append('[');
                for (var i = 0; i < a.Items.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(',');
                    }
                    Write(a.Items[i], random, text);
                }
                Space(random, text);
                text.Append(']');
                break;
            case JsonString s:
                WriteString(s.Value, random, text);
                break;
            case JsonNumber n:
                text.Append(random.Next(3) switch
                {
                    0 => n.Value.ToString("R", CultureInfo.InvariantCulture),
                    1 => n.Value.ToString("E16", CultureInfo.InvariantCulture),
                    _ => n.Value.ToString("G17", CultureInfo.InvariantCulture),
                });
                break;
            case JsonLiteral l:
                text.Append(l.Text);
                break;
        }
        Space(random, text);
    }

    static void WriteString(string value, Random random, StringBuilder text)
    {
        text.Append('"');
        var escapeLowSurrogate = false;
        foreach (var c in value)
        {
            var mustEscape = c < ' ' || c is '"' or '\\';
            // A surrogate pair is written either whole or as two escapes: JSON text holds no lone surrogate.
            var escape = char.IsLowSurrogate(c) ? escapeLowSurrogate : mustEscape || random.Next(4) == 0;
            escapeLowSurrogate = char.IsHighSurrogate(c) && escape;
            if (escape)
            {
                text.Append("\\u").Append(((int)c).ToString(random.Next(2) == 0 ? "x4" : "X4", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(c);
            }
        }
        text.Append('"');
    }

    static void Space(Random random, StringBuilder text) =>
        text.Append(random.Next(4) switch { 0 => "", 1 => " ", 2 => "\n  ", _ => "\t\r\n" });
}
