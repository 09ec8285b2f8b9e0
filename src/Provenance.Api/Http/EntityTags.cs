namespace Provenance.Api.Http;

/// <summary>RFC 9110 entity-tag lists, and the revision number our document ETags start with.</summary>
public static class EntityTags
{
    public static IEnumerable<string> Parse(string header)
        => header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static bool AnyMatches(string header, string etag, bool weak)
    {
        foreach (var candidate in Parse(header))
        {
            if (candidate == "*") return true;
            var tag = weak && candidate.StartsWith("W/", StringComparison.Ordinal) ? candidate[2..] : candidate;
            if (tag == etag) return true;
        }
        return false;
    }

    /// <summary>
    /// The revision an <c>If-Match</c> names: <c>"3"</c>, <c>"3.7"</c> (a view ETag) or a bare <c>3</c>.
    /// Null when the header names no revision we can read.
    /// </summary>
    public static int? Revision(string ifMatch)
    {
        var first = Parse(ifMatch).FirstOrDefault();
        if (first is null) return null;
        if (first.StartsWith("W/", StringComparison.Ordinal)) first = first[2..];
        var value = first.Trim('"');
        var dot = value.IndexOf('.');
        if (dot >= 0) value = value[..dot];
        return int.TryParse(value, System.Globalization.NumberStyles.None, null, out var revision) && revision > 0 ? revision : null;
    }
}
