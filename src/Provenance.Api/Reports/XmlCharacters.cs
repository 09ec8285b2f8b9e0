using System.Text;
using System.Text.RegularExpressions;

namespace Provenance.Api.Reports;

/// <summary>
/// XML 1.0 cannot carry C0 control characters other than TAB, LF and CR, not even as character references. An XML export of data
/// stored before such characters were refused replaces each by U+FFFD and says so in a comment after the XML declaration (the
/// JSON report keeps them exactly, escaped).
/// </summary>
public static partial class XmlCharacters
{
    public const string Replacement = "\uFFFD";

    [GeneratedRegex("&#x(?:[0-8BCEF]|1[0-9A-F]);|[\u0000-\u0008\u000B\u000C\u000E-\u001F]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NotXml();

    public static byte[] Repair(byte[] xml)
    {
        if (!HasSuspect(xml)) return xml;
        var text = Encoding.UTF8.GetString(xml);
        var replaced = 0;
        text = NotXml().Replace(text, _ => { replaced++; return Replacement; });
        if (replaced == 0) return xml;
        var note = $"<!-- {replaced} character{(replaced == 1 ? "" : "s")} that XML 1.0 cannot carry (C0 controls stored before they were refused) "
            + "replaced by U+FFFD; the JSON report carries them exactly. -->";
        var declarationEnd = text.StartsWith("<?xml", StringComparison.Ordinal) ? text.IndexOf("?>", StringComparison.Ordinal) + 2 : 0;
        text = text[..declarationEnd] + (declarationEnd > 0 ? "\n" : "") + note + text[declarationEnd..];
        return Encoding.UTF8.GetBytes(text);
    }

    private static bool HasSuspect(ReadOnlySpan<byte> xml)
    {
        if (xml.IndexOf("&#x"u8) >= 0) return true;
        foreach (var b in xml)
        {
            if (b < 0x20 && b is not (0x09 or 0x0A or 0x0D)) return true;
        }
        return false;
    }
}
