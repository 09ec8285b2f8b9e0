using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Provenance.Ledger;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS). Payloads are hashed in this form because PostgreSQL jsonb
/// reorders keys and drops whitespace: the canonical bytes are the same before writing and after reading back.
/// Input must be I-JSON (RFC 7493): no duplicate names, no lone surrogates, numbers that are finite doubles.
/// </summary>
public static class CanonicalJson
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Integers up to 2^53 are exact doubles whose ES6 form is their decimal digits.
    const long MaxExactInteger = 1L << 53;

    /// <summary>The canonical UTF-8 bytes of <paramref name="value"/>; throws <see cref="JsonException"/> when it is not I-JSON.</summary>
    public static byte[] Canonicalize(JsonElement value)
    {
        var text = new StringBuilder();
        Write(value, text);
        try
        {
            return StrictUtf8.GetBytes(text.ToString());
        }
        catch (EncoderFallbackException e)
        {
            throw new JsonException("A JSON string holds a lone surrogate, which I-JSON forbids.", e);
        }
    }

    /// <summary>Parses UTF-8 JSON text and canonicalizes it.</summary>
    public static byte[] Canonicalize(ReadOnlyMemory<byte> utf8Json)
    {
        using var document = JsonDocument.Parse(utf8Json);
        return Canonicalize(document.RootElement);
    }

    /// <summary>Parses JSON text and canonicalizes it.</summary>
    public static byte[] Canonicalize(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Canonicalize(document.RootElement);
    }

    /// <summary>RFC 8785 §3.2.2.3: the ECMAScript Number.prototype.toString form of a finite double.</summary>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "NaN and infinities have no JSON form.");
        }
        if (value == 0)
        {
            return "0";
        }

        // "R" gives the shortest digits that round-trip; only their layout differs from ECMAScript's.
        var roundTrip = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponent = 0;
        var e = roundTrip.IndexOf('E');
        if (e >= 0)
        {
            exponent = int.Parse(roundTrip.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            roundTrip = roundTrip[..e];
        }
        var dot = roundTrip.IndexOf('.');
        var digits = dot >= 0 ? roundTrip.Remove(dot, 1) : roundTrip;
        var pointPosition = (dot >= 0 ? dot : roundTrip.Length) + exponent;
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        pointPosition -= leadingZeros;

        // ECMA-262 Number::toString with k digits and value = digits × 10^(n − k).
        var k = digits.Length;
        var n = pointPosition;
        string layout;
        if (k <= n && n <= 21)
        {
            layout = digits + new string('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            layout = digits[..n] + "." + digits[n..];
        }
        else if (-6 < n && n <= 0)
        {
            layout = "0." + new string('0', -n) + digits;
        }
        else
        {
            var mantissa = k == 1 ? digits : digits[..1] + "." + digits[1..];
            layout = mantissa + "e" + (n - 1 < 0 ? "-" : "+") + Math.Abs(n - 1).ToString(CultureInfo.InvariantCulture);
        }
        return value < 0 ? "-" + layout : layout;
    }

    static void Write(JsonElement value, StringBuilder text)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(value, text);
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var first = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!first)
                    {
                        text.Append(',');
                    }
                    first = false;
                    Write(item, text);
                }
                text.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(ReadString(() => value.GetString()!), text);
                break;
            case JsonValueKind.Number:
                text.Append(CanonicalNumber(value.GetRawText()));
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            case JsonValueKind.Null:
                text.Append("null");
                break;
            default:
                throw new JsonException($"A JSON value of kind {value.ValueKind} cannot be canonicalized.");
        }
    }

    static void WriteObject(JsonElement value, StringBuilder text)
    {
        var properties = value.EnumerateObject()
            .Select(p => (Name: ReadString(() => p.Name), p.Value))
            .ToList();
        // RFC 8785 §3.2.3: sort by the UTF-16 code units of the names, which is what ordinal comparison of .NET strings does.
        properties.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));

        text.Append('{');
        for (var i = 0; i < properties.Count; i++)
        {
            if (i > 0)
            {
                if (properties[i].Name == properties[i - 1].Name)
                {
                    throw new JsonException($"The name \"{properties[i].Name}\" appears twice in one object, which I-JSON forbids.");
                }
                text.Append(',');
            }
            WriteString(properties[i].Name, text);
            text.Append(':');
            Write(properties[i].Value, text);
        }
        text.Append('}');
    }

    static string CanonicalNumber(string raw)
    {
        if (long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
            && integer is >= -MaxExactInteger and <= MaxExactInteger)
        {
            return integer.ToString(CultureInfo.InvariantCulture);
        }
        var number = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!double.IsFinite(number))
        {
            throw new JsonException($"The number {raw} is outside the range of an IEEE 754 double, which I-JSON forbids.");
        }
        return FormatNumber(number);
    }

    // RFC 8785 §3.2.2.2: only '"', '\' and control characters are escaped; \b \t \n \f \r use their short forms.
    static void WriteString(string value, StringBuilder text)
    {
        text.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\b': text.Append("\\b"); break;
                case '\t': text.Append("\\t"); break;
                case '\n': text.Append("\\n"); break;
                case '\f': text.Append("\\f"); break;
                case '\r': text.Append("\\r"); break;
                case < ' ': text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: text.Append(c); break;
            }
        }
        text.Append('"');
    }

    static string ReadString(Func<string> read)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException("A JSON string is not valid UTF-16 (a lone surrogate), which I-JSON forbids.", e);
        }
    }
}
