using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Feed;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using static Provenance.Api.Web.Html;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Web;

/// <summary>
/// The integrator portal: the signed-in key's own webhook subscriptions (an admin's: all), created, paused, resumed, rotated and tested
/// through <see cref="WebhookSubscriptions"/>, the same decisions the API makes, and the delivery log with every attempt. Whatever a
/// receiver answered is shown as text: the Html builder encodes every hole, and bodies are shown in <c>pre</c>, never as markup.
/// </summary>
public static class WebhooksPage
{
    public const int DeliveriesShown = 50;

    private static SubscriptionViewer Viewer(UiContext ui) => SubscriptionViewer.Of(ui.User);

    private static string Schema(HttpContext http) => http.RequestServices.GetRequiredService<IOptions<ProvenanceOptions>>().Value.Schema;

    private static IResult NotFound(UiContext ui, Guid id) => WebErrors.NotFound(ui, ui.T("webhooks.not-found", id));

    public static async Task<IResult> List(HttpContext http, WebhookSubscriptions subscriptions)
        => await RenderListAsync(UiContext.For(http), subscriptions, null, null, StatusCodes.Status200OK);

    private static async Task<IResult> RenderListAsync(UiContext ui, WebhookSubscriptions subscriptions, FieldErrors? errors, IFormCollection? form, int status)
    {
        var items = await subscriptions.ListAsync(Viewer(ui), ui.Http.RequestAborted);
        var rows = Join(items.Select(s => H($"""
            <tr>
            <th scope="row"><a href="/webhooks/{s.Id}" class="uri">{s.Url}</a></th>
            <td data-label="{ui.T("webhooks.status")}">{StatusBadge(ui, s.Status)}</td>
            <td data-label="{ui.T("webhooks.types")}">{TypesText(ui, s.Types)}</td>
            <td data-label="{ui.T("webhooks.document")}">{(s.Document is { } d ? H($"<a href=\"/documents/{d}\">{d}</a>") : H($"{ui.T("webhooks.all-documents")}"))}</td>
            <td data-label="{ui.T("webhooks.failures")}">{s.ConsecutiveFailures}</td>
            <td data-label="{ui.T("webhooks.created")}" class="when">{Time(s.CreatedAt, ui)}</td>
            </tr>
            """)));
        var table = items.Count == 0
            ? H($"<p>{ui.T("webhooks.none")}</p>")
            : H($"""
                <div class="table-wrap"><table class="stackable">
                <caption>{ui.T("webhooks.caption")}</caption>
                <thead><tr><th scope="col">{ui.T("webhooks.url")}</th><th scope="col">{ui.T("webhooks.status")}</th><th scope="col">{ui.T("webhooks.types")}</th>
                <th scope="col">{ui.T("webhooks.document")}</th><th scope="col">{ui.T("webhooks.failures")}</th><th scope="col">{ui.T("webhooks.created")}</th></tr></thead>
                <tbody>{rows}</tbody></table></div>
                """);
        var body = H($"""
            {Layout.Errors(ui, errors?.ToDictionary(), formId: "new-")}
            <h1>{ui.T("webhooks.title")}</h1>
            <p>{ui.T(ui.Can(Access.Roles.Admin) ? "webhooks.intro-admin" : "webhooks.intro")}</p>
            {table}
            <section aria-labelledby="new-title">
            <h2 id="new-title">{ui.T("webhooks.new")}</h2>
            <form method="post" action="/webhooks" class="stack">
            {ui.AntiforgeryField()}
            <div class="field"><label for="new-url">{ui.T("webhooks.url")}</label>
            <input id="new-url" name="url" type="url" required maxlength="2048" size="60" spellcheck="false" value="{form?["url"].ToString()}"{Invalid(errors, "url", "new-url")}>{FieldError(errors, "url", "new-url")}</div>
            <div class="field"><label for="new-types">{ui.T("webhooks.types")} <span class="hint">{ui.T("webhooks.types-hint")}</span></label>
            <input id="new-types" name="types" size="60" spellcheck="false" value="{form?["types"].ToString()}"{Invalid(errors, "types", "new-types")}>{FieldError(errors, "types", "new-types")}</div>
            <div class="field"><label for="new-document">{ui.T("webhooks.document")} <span class="hint">{ui.T("webhooks.document-hint")}</span></label>
            <input id="new-document" name="document" size="36" spellcheck="false" value="{form?["document"].ToString()}"{Invalid(errors, "document", "new-document")}>{FieldError(errors, "document", "new-document")}</div>
            <div><button type="submit">{ui.T("webhooks.create")}</button></div>
            </form>
            </section>
            """);
        return Layout.Page(ui, ui.T("webhooks.title"), body, status);
    }

    private static Markup Invalid(FieldErrors? errors, string field, string id)
        => errors?.ToDictionary().ContainsKey(field) == true ? H($" aria-invalid=\"true\" aria-describedby=\"{id}-error\"") : Markup.Empty;

    private static Markup FieldError(FieldErrors? errors, string field, string id)
        => errors?.ToDictionary().TryGetValue(field, out var messages) == true
            ? H($"<span class=\"bad\" id=\"{id}-error\" lang=\"en\">{string.Join(" ", messages)}</span>")
            : Markup.Empty;

    private static Markup StatusBadge(UiContext ui, string status)
        => H($"<span class=\"badge {(status == SubscriptionStatus.Active ? "ok" : status == SubscriptionStatus.Disabled ? "bad" : "outdated")}\">{ui.T("webhooks.status." + status)}</span>");

    private static Markup DeliveryBadge(UiContext ui, string status)
        => H($"<span class=\"badge {(status == "succeeded" ? "ok" : status == "failed" ? "bad" : "outdated")}\">{ui.T("webhooks.delivery." + status)}</span>");

    private static Markup TypesText(UiContext ui, IReadOnlyList<string> types)
        => types.Count == 0 ? H($"{ui.T("webhooks.all-types")}") : Join(types.Select((t, i) => H($"{(i > 0 ? ", " : "")}<code>{t}</code>")));

    private static async Task<(UiContext Ui, IFormCollection? Form, IResult? Stop)> BeginAsync(HttpContext http, IAntiforgery antiforgery)
    {
        var ui = UiContext.For(http);
        if (!await antiforgery.IsRequestValidAsync(http)) return (ui, null, WebErrors.BadForm(ui));
        return (ui, await http.Request.ReadFormAsync(http.RequestAborted), null);
    }

    public static async Task<IResult> Create(HttpContext http, IAntiforgery antiforgery, WebhookSubscriptions subscriptions)
    {
        var (ui, form, stop) = await BeginAsync(http, antiforgery);
        if (stop is not null) return stop;
        var errors = new FieldErrors();
        Guid? document = null;
        var documentText = form!["document"].ToString().Trim();
        if (documentText.Length > 0)
        {
            if (Guid.TryParse(documentText, out var parsed)) document = parsed;
            else errors.Add("document", "'document' must be a document id (a UUID).");
        }
        if (errors.Any) return await RenderListAsync(ui, subscriptions, errors, form, StatusCodes.Status422UnprocessableEntity);
        var types = form["types"].ToString().Split([' ', ',', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var (created, refused) = await subscriptions.CreateAsync(new CreateSubscription(form["url"].ToString(), types, document), ui.User, http.RequestAborted);
        if (created is null) return await RenderListAsync(ui, subscriptions, refused, form, StatusCodes.Status422UnprocessableEntity);
        return await RenderAsync(ui, subscriptions, created.Id, Layout.Notice(ui.T("webhooks.created-notice"), "success"), created.Secret, null);
    }

    public static async Task<IResult> Get(Guid id, HttpContext http, WebhookSubscriptions subscriptions)
    {
        var ui = UiContext.For(http);
        var done = http.Request.Query["done"].ToString();
        var notice = done is "paused" or "resumed" or "replayed" ? Layout.Notice(ui.T("webhooks.done." + done), "success") : Markup.Empty;
        return await RenderAsync(ui, subscriptions, id, notice, null, null);
    }

    /// <summary>Pause or resume (which also re-enables a disabled subscription).</summary>
    public static async Task<IResult> SetStatus(Guid id, string status, HttpContext http, IAntiforgery antiforgery, WebhookSubscriptions subscriptions)
    {
        var (ui, _, stop) = await BeginAsync(http, antiforgery);
        if (stop is not null) return stop;
        var wanted = status == "pause" ? SubscriptionStatus.Paused : SubscriptionStatus.Active;
        var (updated, _) = await subscriptions.UpdateAsync(id, new UpdateSubscription(wanted, null, null, null), Viewer(ui), http.RequestAborted);
        if (updated is null) return NotFound(ui, id);
        return Results.Redirect($"/webhooks/{id}?done={(status == "pause" ? "paused" : "resumed")}");
    }

    /// <summary>A new secret, shown on this page once; the previous one keeps signing through the grace period.</summary>
    public static async Task<IResult> Rotate(Guid id, HttpContext http, IAntiforgery antiforgery, WebhookSubscriptions subscriptions)
    {
        var (ui, _, stop) = await BeginAsync(http, antiforgery);
        if (stop is not null) return stop;
        var (updated, _) = await subscriptions.UpdateAsync(id, new UpdateSubscription(null, true, null, null), Viewer(ui), http.RequestAborted);
        if (updated is null) return NotFound(ui, id);
        return await RenderAsync(ui, subscriptions, id, Layout.Notice(ui.T("webhooks.rotated-notice"), "success"), updated.Secret, null);
    }

    public static async Task<IResult> Test(Guid id, HttpContext http, IAntiforgery antiforgery, WebhookSubscriptions subscriptions)
    {
        var (ui, _, stop) = await BeginAsync(http, antiforgery);
        if (stop is not null) return stop;
        var attempt = await subscriptions.TestAsync(id, Viewer(ui), http.RequestAborted);
        if (attempt is null) return NotFound(ui, id);
        var notice = attempt.Succeeded
            ? Layout.Notice(ui.T("webhooks.test-succeeded", attempt.StatusCode ?? 0), "success")
            : Layout.Notice(ui.T("webhooks.test-failed", attempt.StatusCode is { } code ? code.ToString(CultureInfo.InvariantCulture) : "—"), "bad");
        return await RenderAsync(ui, subscriptions, id, notice, null, attempt);
    }

    public static async Task<IResult> ReplayFailed(Guid id, HttpContext http, IAntiforgery antiforgery, WebhookSubscriptions subscriptions,
        Archives archives, TimeProvider time, WebhookSignal signal)
    {
        var db = archives.Current.DataSource;
        var (ui, _, stop) = await BeginAsync(http, antiforgery);
        if (stop is not null) return stop;
        if (await subscriptions.FindAsync(id, Viewer(ui), http.RequestAborted) is null) return NotFound(ui, id);
        await DeliveriesEndpoint.ReplayFailedAsync(db, Schema(http), id, 0, time.GetUtcNow(), http.RequestAborted);
        signal.Wake();
        return Results.Redirect($"/webhooks/{id}?done=replayed");
    }

    private static async Task<IResult> RenderAsync(UiContext ui, WebhookSubscriptions subscriptions, Guid id, Markup notice, string? secret,
        TestAttempt? tested)
    {
        var http = ui.Http;
        var viewer = Viewer(ui);
        var s = await subscriptions.FindAsync(id, viewer, http.RequestAborted);
        if (s is null) return NotFound(ui, id);
        var db = http.RequestServices.GetRequiredService<Archives>().Current.DataSource;
        var deliveries = await DeliveriesEndpoint.ListAsync(db, Schema(http), id, null, DeliveriesShown, viewer, http.RequestAborted) ?? [];
        var tests = await subscriptions.TestAttemptsAsync(id, http.RequestAborted);
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();

        var secretNotice = secret is null ? Markup.Empty : H($"""
            <div class="notice warn" role="status"><p>{ui.T("webhooks.secret-once")}</p><p><code class="digest" id="secret">{secret}</code></p></div>
            """);
        Markup Action(string action, string label, string css = "")
            => H($"<form method=\"post\" action=\"/webhooks/{id}/{action}\" class=\"inline\">{ui.AntiforgeryField()}<button type=\"submit\"{(css.Length > 0 ? H($" class=\"{css}\"") : Markup.Empty)}>{label}</button></form>");
        var toggle = s.Status == SubscriptionStatus.Active ? Action("pause", ui.T("webhooks.pause"), "secondary") : Action("resume", ui.T("webhooks.resume"));
        var overlap = s.PreviousSecretExpiresAt is { } until && until > now
            ? H($"<div><dt>{ui.T("webhooks.previous-secret")}</dt><dd>{ui.T("webhooks.previous-secret-until")} {Time(until, ui)}</dd></div>")
            : Markup.Empty;
        var rows = Join(deliveries.Select(d => H($"""
            <tr>
            <th scope="row"><a href="/webhooks/{id}/deliveries/{d.Id}"><code>{d.WebhookId}</code></a></th>
            <td data-label="{ui.T("webhooks.event")}"><code>{d.Type}</code> <span class="hint">· <a href="/documents/{d.DocumentId}">{ui.T("webhooks.document-link")}</a></span></td>
            <td data-label="{ui.T("webhooks.status")}">{DeliveryBadge(ui, d.Status)}</td>
            <td data-label="{ui.T("webhooks.attempts")}">{d.Attempts}</td>
            <td data-label="{ui.T("webhooks.last-status")}">{(d.LastStatusCode is { } c ? c.ToString(CultureInfo.InvariantCulture) : "—")}{(d.LastError is null ? Markup.Empty : H($" <span class=\"hint\" lang=\"en\">{DocumentPage.Shorten(d.LastError, 120)}</span>"))}</td>
            <td data-label="{ui.T("webhooks.last-attempt")}" class="when">{(d.LastAttemptAt is { } at ? Time(at, ui) : Markup.Empty)}</td>
            </tr>
            """)));
        var deliveriesTable = deliveries.Count == 0
            ? H($"<p>{ui.T("webhooks.no-deliveries")}</p>")
            : H($"""
                <div class="table-wrap"><table class="stackable">
                <caption>{ui.T("webhooks.deliveries-caption", DeliveriesShown)}</caption>
                <thead><tr><th scope="col">webhook-id</th><th scope="col">{ui.T("webhooks.event")}</th><th scope="col">{ui.T("webhooks.status")}</th>
                <th scope="col">{ui.T("webhooks.attempts")}</th><th scope="col">{ui.T("webhooks.last-status")}</th><th scope="col">{ui.T("webhooks.last-attempt")}</th></tr></thead>
                <tbody>{rows}</tbody></table></div>
                """);
        var testList = tests.Count == 0 ? H($"<p>{ui.T("webhooks.no-tests")}</p>") : AttemptsTable(ui, tests, ui.T("webhooks.tests-caption"), "test");

        var body = H($"""
            {notice}
            {secretNotice}
            <p><a href="/webhooks">{ui.T("webhooks.back")}</a></p>
            <h1>{ui.T("webhooks.subscription")} <span class="uri">{s.Url}</span></h1>
            <dl class="facts" id="facts">
            <div><dt>{ui.T("webhooks.status")}</dt><dd>{StatusBadge(ui, s.Status)}{(s.StatusReason is null ? Markup.Empty : H($" <span lang=\"en\">{s.StatusReason}</span>"))}</dd></div>
            <div><dt>{ui.T("webhooks.types")}</dt><dd>{TypesText(ui, s.Types)}</dd></div>
            <div><dt>{ui.T("webhooks.document")}</dt><dd>{(s.Document is { } doc ? H($"<a href=\"/documents/{doc}\">{doc}</a>") : H($"{ui.T("webhooks.all-documents")}"))}</dd></div>
            <div><dt>{ui.T("webhooks.failures")}</dt><dd>{s.ConsecutiveFailures}</dd></div>
            <div><dt>{ui.T("webhooks.created")}</dt><dd>{Time(s.CreatedAt, ui)} · {s.CreatedBy}</dd></div>
            {overlap}
            <div><dt>{ui.T("webhooks.id")}</dt><dd><code>{s.Id}</code></dd></div>
            </dl>
            <div class="actions">{toggle} {Action("rotate", ui.T("webhooks.rotate"), "secondary")} {Action("test", ui.T("webhooks.test"))} {Action("replay-failed", ui.T("webhooks.replay-failed"), "secondary")}</div>
            {(tested is null ? Markup.Empty : H($"<section aria-labelledby=\"tested-title\"><h2 id=\"tested-title\">{ui.T("webhooks.test-result")}</h2>{AttemptDetails(ui, new DeliveryAttempt(tested.At, tested.StatusCode, tested.LatencyMs, tested.ResponseHeaders, tested.ResponseBody, tested.Error), "tested")}</section>"))}
            <section aria-labelledby="deliveries-title">
            <h2 id="deliveries-title">{ui.T("webhooks.deliveries")}</h2>
            {deliveriesTable}
            </section>
            <section aria-labelledby="tests-title">
            <h2 id="tests-title">{ui.T("webhooks.tests")}</h2>
            {testList}
            </section>
            """);
        return Layout.Page(ui, ui.T("webhooks.subscription") + " " + s.Url, body);
    }

    public static async Task<IResult> Delivery(Guid id, Guid deliveryId, HttpContext http, Archives archives)
    {
        var db = archives.Current.DataSource;
        var ui = UiContext.For(http);
        var delivery = await DeliveriesEndpoint.FindAsync(db, Schema(http), id, deliveryId, Viewer(ui), http.RequestAborted);
        if (delivery is null) return WebErrors.NotFound(ui, ui.T("webhooks.delivery-not-found", deliveryId));
        var attempts = delivery.Attempts.Count == 0 ? H($"<p>{ui.T("webhooks.no-attempts")}</p>") : AttemptsTable(ui, delivery.Attempts, ui.T("webhooks.attempts-caption"), "attempt");
        var body = H($"""
            <p><a href="/webhooks/{id}">{ui.T("webhooks.back-to-subscription")}</a></p>
            <h1>{ui.T("webhooks.delivery")} <code>{delivery.WebhookId}</code></h1>
            <dl class="facts">
            <div><dt>{ui.T("webhooks.event")}</dt><dd><code>{delivery.Type}</code> · <a href="/documents/{delivery.DocumentId}">{ui.T("webhooks.document-link")}</a></dd></div>
            <div><dt>{ui.T("webhooks.status")}</dt><dd>{DeliveryBadge(ui, delivery.Status)}</dd></div>
            <div><dt>{ui.T("webhooks.attempts")}</dt><dd>{delivery.AttemptCount}</dd></div>
            <div><dt>{ui.T("webhooks.cursor")}</dt><dd><code>{delivery.Cursor}</code></dd></div>
            {(delivery.Status == "pending" ? H($"<div><dt>{ui.T("webhooks.next-attempt")}</dt><dd>{Time(delivery.NextAttemptAt, ui)}</dd></div>") : Markup.Empty)}
            {(delivery.DeliveredAt is { } at ? H($"<div><dt>{ui.T("webhooks.delivered")}</dt><dd>{Time(at, ui)}</dd></div>") : Markup.Empty)}
            </dl>
            <section aria-labelledby="attempts-title">
            <h2 id="attempts-title">{ui.T("webhooks.attempts")}</h2>
            {attempts}
            </section>
            """);
        return Layout.Page(ui, ui.T("webhooks.delivery") + " " + delivery.WebhookId, body);
    }

    /// <summary>Attempts oldest first, each with its headers and body behind a disclosure; the body is text in <c>pre</c>.</summary>
    private static Markup AttemptsTable(UiContext ui, IReadOnlyList<DeliveryAttempt> attempts, string caption, string idPrefix)
    {
        var rows = Join(attempts.Select((a, i) => H($"""
            <tr{(a.StatusCode is >= 200 and < 300 ? Markup.Empty : H($" class=\"failed\""))}>
            <th scope="row">{i + 1}</th>
            <td data-label="{ui.T("webhooks.when")}" class="when">{Time(a.At, ui)}</td>
            <td data-label="{ui.T("webhooks.status-code")}">{(a.StatusCode is { } c ? c.ToString(CultureInfo.InvariantCulture) : "—")}</td>
            <td data-label="{ui.T("webhooks.latency")}">{ui.T("webhooks.ms", a.LatencyMs)}</td>
            <td data-label="{ui.T("webhooks.response")}">{AttemptDetails(ui, a, $"{idPrefix}-{i + 1}")}</td>
            </tr>
            """)));
        return H($"""
            <div class="table-wrap"><table class="stackable">
            <caption>{caption}</caption>
            <thead><tr><th scope="col">#</th><th scope="col">{ui.T("webhooks.when")}</th><th scope="col">{ui.T("webhooks.status-code")}</th>
            <th scope="col">{ui.T("webhooks.latency")}</th><th scope="col">{ui.T("webhooks.response")}</th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            """);
    }

    private static Markup AttemptDetails(UiContext ui, DeliveryAttempt a, string id)
    {
        var headers = a.ResponseHeaders.Count == 0 ? Markup.Empty
            : H($"<dl class=\"facts\">{Join(a.ResponseHeaders.Select(h => H($"<div><dt><code>{h.Key}</code></dt><dd><code>{h.Value}</code></dd></div>")))}</dl>");
        var body = a.ResponseBody is null ? H($"<p class=\"hint\">{ui.T("webhooks.no-body")}</p>")
            : H($"<pre class=\"text\" id=\"{id}-body\" role=\"region\" aria-label=\"{ui.T("webhooks.body")}\" tabindex=\"0\">{a.ResponseBody}</pre>");
        return H($"""
            {(a.Error is null ? Markup.Empty : H($"<p class=\"bad\" lang=\"en\">{a.Error}</p>"))}
            <details><summary>{ui.T("webhooks.headers-and-body")}</summary>{headers}{body}</details>
            """);
    }
}
