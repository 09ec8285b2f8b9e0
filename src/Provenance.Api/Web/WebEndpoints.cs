using Provenance.Api.Access;

namespace Provenance.Api.Web;

/// <summary>The archivists' interface: server-rendered pages at <c>/</c>, beside the API at <c>/api</c>.</summary>
public static class WebEndpoints
{
    public static IEndpointRouteBuilder MapProvenanceWeb(this IEndpointRouteBuilder app)
    {
        app.MapGet(Layout.StylesheetPath, Layout.Css).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/sign-in", SignInPage.Get).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/sign-in", SignInPage.Post).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
        app.MapPost("/sign-out", SignInPage.SignOut).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
        app.MapGet("/forbidden", WebErrors.Forbidden).AllowAnonymous().ExcludeFromDescription();

        var pages = app.MapGroup("").RequireAuthorization().ExcludeFromDescription().DisableAntiforgery();
        pages.MapGet("/", () => Results.Redirect("/documents"));
        pages.MapGet("/documents", DocumentsPage.Get);
        pages.MapGet("/documents/{id:guid}", DocumentPage.Get);
        pages.MapGet("/documents/{id:guid}/compare", ComparePage.Get);
        pages.MapGet("/documents/{id:guid}/lineage", LineagePage.Get);
        pages.MapGet("/documents/{id:guid}/integrity", IntegrityPage.Document);
        pages.MapGet("/integrity", IntegrityPage.Get);
        pages.MapGet("/verify", VerifyPage.Get);
        pages.MapPost("/verify", VerifyPage.Post);

        var contributors = pages.MapGroup("").RequireAuthorization(p => p.RequireRole(Roles.Contributor));
        contributors.MapGet("/documents/new", IngestPage.Get);
        contributors.MapPost("/documents/new", IngestPage.Post);
        contributors.MapPost("/documents/{id:guid}/edit", DocumentForms.Edit);
        contributors.MapPost("/documents/{id:guid}/translate", DocumentForms.Translate);
        pages.MapPost("/documents/{id:guid}/verify", DocumentForms.Verify).RequireAuthorization(p => p.RequireRole(Roles.Verifier));
        // A language switch or reload on a form's address after a failed submission lands back on the document.
        pages.MapGet("/documents/{id:guid}/{form:regex(^(edit|translate|verify)$)}", (Guid id, string form) => Results.Redirect($"/documents/{id}?action={form}#{form}"));

        var auditors = pages.MapGroup("").RequireAuthorization(p => p.RequireRole(Roles.Auditor));
        auditors.MapGet("/audit", AuditPage.Get);
        auditors.MapGet("/audit/export.csv", AuditPage.Csv);
        auditors.MapPost("/integrity/verify", IntegrityPage.Verify);
        auditors.MapGet("/documents/{id:guid}/export/signed.zip", VerifyPage.SignedExport);

        // The integrator portal: subscriptions the signed-in key owns (an admin's: all), through the same decisions as the API.
        var integrators = pages.MapGroup("").RequireAuthorization(p => p.RequireRole(Roles.Integrator));
        integrators.MapGet("/webhooks", WebhooksPage.List);
        integrators.MapPost("/webhooks", WebhooksPage.Create);
        integrators.MapGet("/webhooks/{id:guid}", WebhooksPage.Get);
        integrators.MapPost("/webhooks/{id:guid}/{status:regex(^(pause|resume)$)}", WebhooksPage.SetStatus);
        integrators.MapPost("/webhooks/{id:guid}/rotate", WebhooksPage.Rotate);
        integrators.MapPost("/webhooks/{id:guid}/test", WebhooksPage.Test);
        integrators.MapPost("/webhooks/{id:guid}/replay-failed", WebhooksPage.ReplayFailed);
        integrators.MapGet("/webhooks/{id:guid}/deliveries/{deliveryId:guid}", WebhooksPage.Delivery);
        // A reload or language switch on a form's address lands back on the subscription.
        integrators.MapGet("/webhooks/{id:guid}/{form:regex(^(pause|resume|rotate|test|replay-failed)$)}", (Guid id) => Results.Redirect($"/webhooks/{id}"));
        return app;
    }
}
