using Marten;
using Provenance.Api.Http;

namespace Provenance.Api.Access;

/// <summary>
/// The person behind a login: events record the actor's login (the API key's name, or a seeded actor), reports and pages
/// describe it with a display name and, when known, a persistent identifier (ORCID or ISNI) as a URI.
/// One document per login, written when a key is created or renamed and by the seed loader.
/// </summary>
public sealed class Person
{
    /// <summary>The login, exactly as events record it.</summary>
    public string Id { get; set; } = "";
    public string DisplayName { get; set; } = "";
    /// <summary><c>https://orcid.org/…</c> or <c>https://isni.org/isni/…</c>, checksum verified.</summary>
    public string? Identifier { get; set; }
}

/// <summary>What reports and pages say of an actor.</summary>
public sealed record ReportAgent(string Name, string? DisplayName, string? Identifier)
{
    public string Label => DisplayName is { Length: > 0 } d ? d : Name;
}

public static class PersonIdentifiers
{
    public const int MaxDisplayName = 200;

    /// <summary>
    /// The canonical URI of an ORCID iD (<c>https://orcid.org/0000-0002-1825-0097</c>, or the bare iD) or an ISNI
    /// (<c>https://isni.org/isni/0000000121032683</c>, or the 16 characters, spaces allowed), with its ISO 7064 MOD 11-2 check
    /// character verified; null with a reason for anything else.
    /// </summary>
    public static (string? Uri, string? Error) Normalize(string value)
    {
        var v = value.Trim();
        foreach (var prefix in (string[])["https://orcid.org/", "http://orcid.org/", "orcid.org/"])
        {
            if (v.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return Orcid(v[prefix.Length..]);
        }
        foreach (var prefix in (string[])["https://isni.org/isni/", "http://isni.org/isni/", "isni.org/isni/", "ISNI "])
        {
            if (v.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return Isni(v[prefix.Length..]);
        }
        if (v.Length == 19 && v[4] == '-') return Orcid(v);
        if (v.Replace(" ", "", StringComparison.Ordinal).Length == 16) return Isni(v);
        return (null, "'identifier' must be an ORCID iD (https://orcid.org/0000-0000-0000-0000) or an ISNI (https://isni.org/isni/0000000000000000).");
    }

    static (string?, string?) Orcid(string id)
    {
        var digits = id.Replace("-", "", StringComparison.Ordinal);
        if (id.Length != 19 || id[4] != '-' || id[9] != '-' || id[14] != '-' || !Valid(digits))
            return (null, "'identifier' is not a valid ORCID iD: four groups of four digits, the last character a check digit (0-9 or X).");
        return ($"https://orcid.org/{id.ToUpperInvariant()}", null);
    }

    static (string?, string?) Isni(string id)
    {
        var digits = id.Replace(" ", "", StringComparison.Ordinal);
        if (!Valid(digits)) return (null, "'identifier' is not a valid ISNI: 16 characters, the last a check digit (0-9 or X).");
        return ($"https://isni.org/isni/{digits.ToUpperInvariant()}", null);
    }

    /// <summary>ISO 7064 MOD 11-2 over 15 digits and a check character, as ORCID and ISNI define it.</summary>
    public static bool Valid(string sixteen)
    {
        if (sixteen.Length != 16) return false;
        var total = 0;
        for (var i = 0; i < 15; i++)
        {
            if (sixteen[i] is < '0' or > '9') return false;
            total = (total + sixteen[i] - '0') * 2;
        }
        var check = (12 - total % 11) % 11;
        var last = char.ToUpperInvariant(sixteen[15]);
        return check == 10 ? last == 'X' : last == (char)('0' + check);
    }

    /// <summary>The field errors of an optional display name and identifier; the normalized identifier when valid.</summary>
    public static string? Check(FieldErrors errors, string? displayName, string? identifier)
    {
        errors.Optional("displayName", displayName, MaxDisplayName);
        if (displayName is not null && string.IsNullOrWhiteSpace(displayName)) errors.Add("displayName", "'displayName' must not be blank.");
        if (identifier is null) return null;
        if (identifier.Length > 100 || TextRules.Problem("identifier", identifier, multiLine: false) is not null)
        {
            errors.Add("identifier", "'identifier' must be an ORCID iD or ISNI URI of at most 100 characters.");
            return null;
        }
        var (uri, error) = Normalize(identifier);
        if (error is not null) errors.Add("identifier", error);
        return uri;
    }
}

/// <summary>The people directory, read in one query for the logins a page or report names.</summary>
public static class PeopleDirectory
{
    public static async Task<IReadOnlyList<ReportAgent>> DescribeAsync(IQuerySession session, IEnumerable<string> logins, CancellationToken ct)
    {
        var names = logins.Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (names.Length == 0) return [];
        var known = (await session.LoadManyAsync<Person>(ct, names)).ToDictionary(p => p.Id, StringComparer.Ordinal);
        return names.Select(n => known.TryGetValue(n, out var p) ? new ReportAgent(n, p.DisplayName, p.Identifier) : new ReportAgent(n, null, null)).ToList();
    }

    /// <summary>Records (or replaces) what is known of a login; a display name alone clears no identifier unless asked to.</summary>
    public static async Task DescribeAsync(IDocumentSession session, string login, string? displayName, string? identifier, CancellationToken ct)
    {
        if (displayName is null && identifier is null) return;
        var person = await session.LoadAsync<Person>(login, ct) ?? new Person { Id = login, DisplayName = login };
        if (displayName is not null) person.DisplayName = displayName.Trim();
        if (identifier is not null) person.Identifier = identifier;
        session.Store(person);
    }
}
