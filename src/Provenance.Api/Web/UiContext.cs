using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Provenance.Api.Access;

namespace Provenance.Api.Web;

/// <summary>What every page needs to know about its request: the interface language, the signed-in key, the form token.</summary>
public sealed class UiContext
{
    public const string LanguageCookie = "provenance_lang";
    public const string LanguageParameter = "lang";

    private UiContext(HttpContext http, string language)
    {
        Http = http;
        Language = language;
        Culture = CultureInfo.GetCultureInfo(language == "fr" ? "fr-FR" : "en-GB");
    }

    public HttpContext Http { get; }
    /// <summary><c>en</c> or <c>fr</c>.</summary>
    public string Language { get; }
    public CultureInfo Culture { get; }
    public string OtherLanguage => Language == "fr" ? "en" : "fr";
    public ClaimsPrincipal User => Http.User;
    public bool SignedIn => User.Identity?.IsAuthenticated == true;
    public string? Actor => SignedIn ? User.Identity!.Name : null;

    public bool Can(string role) => SignedIn && User.IsInRole(role);

    public string T(string key) => Strings.Get(Language, key);

    public string T(string key, params object[] args) => string.Format(Culture, Strings.Get(Language, key), args);

    /// <summary>What the people directory says of the logins this page names (<see cref="KnowPeopleAsync"/>); empty until asked.</summary>
    public IReadOnlyDictionary<string, ReportAgent> People { get; private set; } = new Dictionary<string, ReportAgent>();

    /// <summary>One query for every login the page will show.</summary>
    public async Task KnowPeopleAsync(Marten.IQuerySession session, IEnumerable<string> logins)
        => People = (await PeopleDirectory.DescribeAsync(session, logins, Http.RequestAborted)).ToDictionary(a => a.Name, StringComparer.Ordinal);

    /// <summary>
    /// A person as pages show them: the display name (a link to the ORCID or ISNI record when there is one) with the login
    /// beside it, or the login alone when the directory does not know it.
    /// </summary>
    public Markup Person(string login)
    {
        if (!People.TryGetValue(login, out var agent) || agent.DisplayName is not { Length: > 0 } name || name == login) return Html.H($"{login}");
        var shown = agent.Identifier is { } uri
            ? Html.H($"<a class=\"person\" href=\"{uri}\" rel=\"noopener noreferrer\">{name}</a>")
            : Html.H($"<span class=\"person\">{name}</span>");
        return Html.H($"{shown} <span class=\"hint login\">({login})</span>");
    }

    public string FormatTime(DateTimeOffset at) => at.UtcDateTime.ToString(Language == "fr" ? "d MMM yyyy HH:mm 'UTC'" : "d MMM yyyy HH:mm 'UTC'", Culture);

    /// <summary>The hidden antiforgery field every form that changes something carries.</summary>
    public Markup AntiforgeryField()
    {
        var tokens = Http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(Http);
        return Html.H($"<input type=\"hidden\" name=\"{tokens.FormFieldName}\" value=\"{tokens.RequestToken}\">");
    }

    /// <summary>This page in the other language: the same path and query with <c>lang</c> replaced.</summary>
    public string SwitchLanguageUrl()
    {
        var query = Http.Request.Query.Where(p => p.Key != LanguageParameter)
            .Select(p => (p.Key, (string?)p.Value.ToString())).Append((LanguageParameter, OtherLanguage)).ToArray();
        return Http.Request.Path + Html.Query(query);
    }

    /// <summary><c>?lang=</c> wins and is remembered in a cookie; else the cookie; else the browser's first choice of en/fr.</summary>
    public static UiContext For(HttpContext http)
    {
        if (http.Items.TryGetValue(typeof(UiContext), out var existing) && existing is UiContext ui) return ui;
        var requested = Normalize(http.Request.Query[LanguageParameter].ToString());
        string language;
        if (requested is not null)
        {
            language = requested;
            http.Response.Cookies.Append(LanguageCookie, language, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = http.Request.IsHttps, MaxAge = TimeSpan.FromDays(365), IsEssential = true,
            });
        }
        else
        {
            language = Normalize(http.Request.Cookies[LanguageCookie])
                       ?? Normalize(http.Request.GetTypedHeaders().AcceptLanguage.OrderByDescending(l => l.Quality ?? 1).FirstOrDefault()?.Value.Value)
                       ?? "en";
        }
        ui = new UiContext(http, language);
        http.Items[typeof(UiContext)] = ui;
        return ui;
    }

    private static string? Normalize(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var primary = value.Split('-')[0].Trim().ToLowerInvariant();
        return primary is "en" or "fr" ? primary : null;
    }

    public IEnumerable<string> RolesHeld => Roles.All.Where(Can);
}
