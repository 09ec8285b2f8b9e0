using System.Security.Claims;
using Marten;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Provenance.Api.Access;
using static Provenance.Api.Web.Html;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Web;

/// <summary>Sign in with an API key (checked exactly as the bearer scheme checks it), and sign out.</summary>
public static class SignInPage
{
    public static IResult Get(HttpContext http, string? returnUrl)
    {
        var ui = UiContext.For(http);
        if (ui.SignedIn) return Results.Redirect(WebAuthentication.SafeReturnUrl(returnUrl));
        return Render(ui, returnUrl, null, StatusCodes.Status200OK);
    }

    public static async Task<IResult> Post(HttpContext http, IAntiforgery antiforgery, IDocumentStore store, Archives archives, IMemoryCache cache)
    {
        var ui = UiContext.For(http);
        if (!await antiforgery.IsRequestValidAsync(http)) return WebErrors.BadForm(ui);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var secret = form["key"].ToString().Trim();
        var returnUrl = form["returnUrl"].ToString();
        if (secret.Length is 0 or > 256) return Render(ui, returnUrl, ui.T("signin.missing"), StatusCodes.Status422UnprocessableEntity);

        var identity = await ApiKeyAuthentication.IdentityForAsync(secret, store, archives, cache, WebAuthentication.CookieScheme, http.RequestAborted);
        if (identity is null) return Render(ui, returnUrl, ui.T("signin.unknown"), StatusCodes.Status401Unauthorized);

        await http.SignInAsync(WebAuthentication.CookieScheme, new ClaimsPrincipal(identity),
            new AuthenticationProperties { IsPersistent = false, AllowRefresh = true });
        return Results.Redirect(WebAuthentication.SafeReturnUrl(returnUrl));
    }

    public static async Task<IResult> SignOut(HttpContext http, IAntiforgery antiforgery)
    {
        var ui = UiContext.For(http);
        if (!await antiforgery.IsRequestValidAsync(http)) return WebErrors.BadForm(ui);
        await http.SignOutAsync(WebAuthentication.CookieScheme);
        return Results.Redirect("/sign-in");
    }

    private static IResult Render(UiContext ui, string? returnUrl, string? error, int status)
    {
        var body = H($"""
            <div class="signin">
            <h1>{ui.T("signin.title")}</h1>
            <p>{ui.T("signin.intro")}</p>
            {When(error is not null, H($"<div class=\"errors\" role=\"alert\"><p id=\"key-error\">{error}</p></div>"))}
            <form method="post" action="/sign-in" class="stack">
            {ui.AntiforgeryField()}
            <input type="hidden" name="returnUrl" value="{WebAuthentication.SafeReturnUrl(returnUrl)}">
            <div class="field">
            <label for="key">{ui.T("signin.key")}</label>
            <input id="key" name="key" type="password" autocomplete="current-password" required spellcheck="false"{(error is null ? Markup.Empty : new Markup(" aria-invalid=\"true\" aria-describedby=\"key-error\""))}>
            <span class="hint">{ui.T("signin.key-hint")}</span>
            </div>
            <div><button type="submit">{ui.T("signin.submit")}</button></div>
            </form>
            </div>
            """);
        return Layout.Page(ui, ui.T("signin.title"), body, status);
    }
}

public static class WebErrors
{
    public static IResult BadForm(UiContext ui)
        => Layout.Page(ui, ui.T("error.form-expired.title"),
            H($"<h1>{ui.T("error.form-expired.title")}</h1><p>{ui.T("error.form-expired")}</p><p><a href=\"{ui.Http.Request.Path}\">{ui.T("error.back")}</a></p>"),
            StatusCodes.Status400BadRequest);

    public static IResult NotFound(UiContext ui, string detail)
        => Layout.Page(ui, ui.T("error.not-found.title"),
            H($"<h1>{ui.T("error.not-found.title")}</h1><p>{detail}</p><p><a href=\"/documents\">{ui.T("error.to-list")}</a></p>"),
            StatusCodes.Status404NotFound);

    /// <summary>451 (RFC 7725) for a withdrawn document, unless the signed-in user is an auditor or steward; null when it may be shown.</summary>
    public static IResult? Withdrawn(UiContext ui, Documents.DocumentView view)
        => view.Withdrawal is not { } w || ui.Can(Access.Roles.Auditor) || ui.Can(Access.Roles.Steward)
            ? null
            : Layout.Page(ui, ui.T("error.withdrawn.title"),
                H($"<h1>{ui.T("error.withdrawn.title")}</h1><p>{ui.T("error.withdrawn", w.WithdrawnAt.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), w.LegalBasis.Code)}</p><p><a href=\"/documents\">{ui.T("error.to-list")}</a></p>"),
                StatusCodes.Status451UnavailableForLegalReasons);

    public static IResult FixityFailed(UiContext ui, string digest)
        => Layout.Page(ui, ui.T("error.fixity.title"),
            H($"<h1>{ui.T("error.fixity.title")}</h1>{Layout.Notice(ui.T("error.fixity", digest), "bad")}<p><a href=\"/documents\">{ui.T("error.to-list")}</a></p>"),
            StatusCodes.Status500InternalServerError);

    public static IResult Forbidden(HttpContext http)
    {
        var ui = UiContext.For(http);
        return Layout.Page(ui, ui.T("error.forbidden.title"),
            H($"<h1>{ui.T("error.forbidden.title")}</h1><p>{ui.T("error.forbidden")}</p><p><a href=\"/documents\">{ui.T("error.to-list")}</a></p>"),
            StatusCodes.Status403Forbidden);
    }
}
