using System.Reflection;
using Provenance.Api.Access;
using static Provenance.Api.Web.Html;

namespace Provenance.Api.Web;

/// <summary>The page shell: landmarks, navigation by role, the language switch, sign-in state.</summary>
public static class Layout
{
    public const string StylesheetPath = "/assets/site.css";
    public const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static IResult Page(UiContext ui, string title, Markup body, int status = StatusCodes.Status200OK)
    {
        var path = ui.Http.Request.Path.Value ?? "/";
        Markup NavLink(string href, string label)
        {
            var current = path == href || (href != "/documents" && path.StartsWith(href, StringComparison.Ordinal))
                          || (href == "/documents" && path.StartsWith("/documents", StringComparison.Ordinal) && !path.StartsWith("/documents/new", StringComparison.Ordinal));
            return current ? H($"<li><a href=\"{href}\" aria-current=\"page\">{label}</a></li>") : H($"<li><a href=\"{href}\">{label}</a></li>");
        }

        // Which archive the signed-in key works in (issue #20): every page, so nobody edits one archive believing it is another.
        var current = Tenancy.CurrentArchive.Archive;
        var archive = ui.SignedIn && current is not null
            ? H($"""<p class="archive" data-archive="{current.Id}">{ui.T("archive", current.DisplayName)}</p>""")
            : Markup.Empty;
        var nav = ui.SignedIn
            ? H($"""
                <nav aria-label="{ui.T("nav.label")}"><ul>
                {NavLink("/documents", ui.T("nav.documents"))}
                {When(ui.Can(Roles.Contributor), NavLink("/documents/new", ui.T("nav.ingest")))}
                {When(ui.Can(Roles.Auditor), NavLink("/audit", ui.T("nav.audit")))}
                {NavLink("/integrity", ui.T("nav.integrity"))}
                {NavLink("/verify", ui.T("nav.verify"))}
                {When(ui.Can(Roles.Integrator), NavLink("/webhooks", ui.T("nav.webhooks")))}
                </ul></nav>
                """)
            : Markup.Empty;
        var account = ui.SignedIn
            ? H($"""
                <form method="post" action="/sign-out" class="inline">{ui.AntiforgeryField()}
                <span class="who">{ui.T("account.signed-in-as")} <strong>{ui.Actor}</strong> <span class="roles">({string.Join(", ", ui.RolesHeld.Select(r => ui.T("role." + r)))})</span></span>
                <button type="submit" class="link">{ui.T("account.sign-out")}</button></form>
                """)
            : H($"<a href=\"/sign-in\">{ui.T("account.sign-in")}</a>");
        var otherName = ui.OtherLanguage == "fr" ? "Français" : "English";

        var html = H($"""
            <!DOCTYPE html>
            <html lang="{ui.Language}">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · Provenance</title>
            <link rel="stylesheet" href="{StylesheetPath}">
            </head>
            <body>
            <a class="skip" href="#main">{ui.T("skip")}</a>
            <header class="site">
            <p class="brand"><a href="/documents">Provenance</a> <span class="tagline">{ui.T("tagline")}</span></p>
            {archive}
            {nav}
            <div class="tools">
            <a class="lang-switch" href="{ui.SwitchLanguageUrl()}" lang="{ui.OtherLanguage}" hreflang="{ui.OtherLanguage}">{otherName}</a>
            {account}
            </div>
            </header>
            <main id="main" tabindex="-1">
            {body}
            </main>
            <footer class="site"><p>{ui.T("footer")}</p></footer>
            </body>
            </html>
            """);
        ui.Http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        ui.Http.Response.Headers.XContentTypeOptions = "nosniff";
        ui.Http.Response.Headers.CacheControl = "no-store";
        ui.Http.Response.Headers.ContentLanguage = ui.Language;
        return Results.Content(html.Value, "text/html; charset=utf-8", null, status);
    }

    /// <summary>Field errors as the API words them (in English), listed at the top of a form and linked to their fields.</summary>
    /// <remarks>
    /// A page shows one summary, first in its content, and the browser moves focus to it (<c>autofocus</c>): whoever submitted
    /// reads what went wrong before anything else, wherever the form is on the page.
    /// </remarks>
    public static Markup Errors(UiContext ui, IDictionary<string, string[]>? errors, string? message = null, string formId = "", bool localized = false)
    {
        if ((errors is null || errors.Count == 0) && message is null) return Markup.Empty;
        var lang = localized ? Markup.Empty : new Markup(" lang=\"en\"");
        var items = (errors ?? new Dictionary<string, string[]>()).SelectMany(e => e.Value.Select(m =>
            H($"<li><a href=\"#{formId}{e.Key.Replace('.', '-')}\"{lang}>{m}</a></li>")));
        return H($"""
            <div class="errors" role="alert" tabindex="-1" id="{formId}errors" autofocus>
            <h2 class="errors-title">{ui.T("form.errors")}</h2>
            {When(message is not null, H($"<p{lang}>{message}</p>"))}
            {When(items.Any(), H($"<ul>{items}</ul>"))}
            </div>
            """);
    }

    public static Markup Notice(string text, string kind = "info") => H($"<p class=\"notice {kind}\" role=\"status\">{text}</p>");

    private static readonly Lazy<byte[]> Stylesheet = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Provenance.Api.Web.site.css")!;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    });

    public static IResult Css(HttpContext context)
    {
        context.Response.Headers.CacheControl = "public, max-age=3600";
        return Results.Bytes(Stylesheet.Value, "text/css; charset=utf-8");
    }
}
