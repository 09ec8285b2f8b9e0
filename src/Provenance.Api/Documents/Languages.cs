using System.Globalization;
using System.Text.RegularExpressions;

namespace Provenance.Api.Documents;

/// <summary>BCP 47 language tags: well-formed per RFC 5646 and naming a language the platform's CLDR data knows.</summary>
public static partial class Languages
{
    // RFC 5646 langtag: language[-extlang][-script][-region]*(-variant)*(-extension)[-privateuse]; grandfathered tags are refused.
    [GeneratedRegex(
        "^(?<language>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{5,8})(?:-(?<script>[a-z]{4}))?(?:-(?<region>[a-z]{2}|[0-9]{3}))?(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*(?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*(?:-x(?:-[a-z0-9]{1,8})+)?$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LangTag();

    /// <summary>The tag in canonical case (<c>fr-CA</c>, <c>sr-Latn-RS</c>), or an error message.</summary>
    public static (string? Tag, string? Error) Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return (null, "A language tag (BCP 47) is required.");
        var match = LangTag().Match(value.Trim());
        if (!match.Success) return (null, $"'{value}' is not a well-formed BCP 47 language tag.");
        var language = match.Groups["language"].Value.ToLowerInvariant();
        var primary = language.Split('-')[0];
        if (!IsKnownLanguage(primary)) return (null, $"'{primary}' is not a known language subtag.");
        return (Canonical(value.Trim()), null);
    }

    /// <summary>An optional language parameter: its canonical tag, or null (with the reason added to <paramref name="errors"/> when malformed).</summary>
    public static string? ParseOptional(string? value, string field, Http.FieldErrors errors)
    {
        if (value is null) return null;
        var (tag, error) = Parse(value);
        if (error is not null) errors.Add(field, error);
        return tag;
    }

    private static bool IsKnownLanguage(string primary)
    {
        try
        {
            var culture = CultureInfo.GetCultureInfo(primary, predefinedOnly: true);
            return !string.IsNullOrEmpty(culture.Name);
        }
        catch (CultureNotFoundException)
        {
            return false;
        }
    }

    private static string Canonical(string tag)
    {
        var parts = tag.Split('-');
        var singleton = false;
        for (var i = 0; i < parts.Length; i++)
        {
            var p = parts[i];
            if (i > 0 && p.Length == 1) singleton = true;
            parts[i] = i == 0 || singleton ? p.ToLowerInvariant()
                : p.Length == 4 && char.IsLetter(p[0]) ? char.ToUpperInvariant(p[0]) + p[1..].ToLowerInvariant()
                : p.Length == 2 ? p.ToUpperInvariant()
                : p.ToLowerInvariant();
        }
        return string.Join('-', parts);
    }

    /// <summary>RFC 4647 basic filtering: <c>fr</c> matches <c>fr</c> and <c>fr-CA</c>.</summary>
    public static bool Matches(string range, string tag)
        => string.Equals(range, tag, StringComparison.OrdinalIgnoreCase)
           || tag.StartsWith(range + "-", StringComparison.OrdinalIgnoreCase);
}
