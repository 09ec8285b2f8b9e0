using System.Globalization;
using System.Text;
using Marten;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Wolverine;
using static Provenance.Api.Web.Html;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Web;

/// <summary>
/// Edit, translate and verify from the document page. Each form goes through the very decision the API makes
/// — the same commands (<see cref="EditDocument"/>, <see cref="TranslateDocument"/>, <see cref="VerifyDocument"/>), sent
/// through the message bus to the same use cases — and shows their messages.
/// </summary>
public static class DocumentForms
{
    /// <summary>A form behind its action: closed until asked for, open when it comes back with the use case's messages.</summary>
    private static Markup Panel(string id, string summary, bool open, Markup content)
        => H($"<details class=\"form-panel\" id=\"{id}\"{(open ? new Markup(" open") : Markup.Empty)}><summary>{summary}</summary>{content}</details>");

    private static Markup Invalid(FormState? form, string field, string id)
        => form?.Errors.ContainsKey(field) == true ? H($" aria-invalid=\"true\" aria-describedby=\"{id}-error\"") : Markup.Empty;

    private static Markup FieldError(FormState? form, string field, string id)
        => form?.Errors.TryGetValue(field, out var messages) == true
            ? H($"<span class=\"bad\" id=\"{id}-error\" lang=\"en\">{string.Join(" ", messages)}</span>")
            : Markup.Empty;

    public static Markup EditForm(UiContext ui, DocumentView view, string? currentText, FormState? form, bool open)
    {
        var baseRevision = form?.Value("baseRevision") ?? view.Revision.ToString(CultureInfo.InvariantCulture);
        var content = form?.Value("content") ?? currentText ?? "";
        return Panel("edit", ui.T("edit.title"), open || form is not null, H($"""
            <form method="post" action="/documents/{view.Id}/edit" enctype="multipart/form-data" class="stack">
            {ui.AntiforgeryField()}
            <input type="hidden" name="baseRevision" value="{baseRevision}">
            <p class="hint">{ui.T("edit.based-on", baseRevision)}</p>
            <div class="field"><label for="edit-content">{ui.T("form.text")}</label>
            <textarea id="edit-content" name="content" lang="{view.Language}" rows="10"{Invalid(form, "content", "edit-content")}>{content}</textarea>{FieldError(form, "content", "edit-content")}</div>
            <div class="field"><label for="edit-file">{ui.T("form.file")} <span class="hint">{ui.T("form.file-hint")}</span></label>
            <input id="edit-file" name="file" type="file"{Invalid(form, "file", "edit-file")}>{FieldError(form, "file", "edit-file")}</div>
            <div class="field"><label for="edit-reason">{ui.T("form.reason")}</label>
            <input id="edit-reason" name="reason" value="{form?.Value("reason")}" maxlength="2000"{Invalid(form, "reason", "edit-reason")}>{FieldError(form, "reason", "edit-reason")}</div>
            <div><button type="submit">{ui.T("edit.submit")}</button></div>
            </form>
            """));
    }

    private static Markup RevisionOptions(IReadOnlyList<RevisionRecord> revisions, string? selected)
        => Join(revisions.Select(r => r.Revision.ToString(CultureInfo.InvariantCulture) == selected
            ? H($"<option value=\"{r.Revision}\" selected>{r.Revision}</option>")
            : H($"<option value=\"{r.Revision}\">{r.Revision}</option>")));

    private static Markup Options(UiContext ui, IEnumerable<string> values, string prefix, string? selected, bool empty = false)
        => H($"{(empty ? H($"<option value=\"\"></option>") : Markup.Empty)}{Join(values.Order(StringComparer.Ordinal).Select(v => v == selected ? H($"<option value=\"{v}\" selected>{ui.T(prefix + v)}</option>") : H($"<option value=\"{v}\">{ui.T(prefix + v)}</option>")))}");

    public static Markup TranslateForm(UiContext ui, DocumentView view, IReadOnlyList<RevisionRecord> revisions, FormState? form, bool open)
    {
        var source = form?.Value("sourceRevision") ?? view.Revision.ToString(CultureInfo.InvariantCulture);
        return Panel("translate", ui.T("translate.title"), open || form is not null, H($"""
            <form method="post" action="/documents/{view.Id}/translate" enctype="multipart/form-data" class="stack">
            {ui.AntiforgeryField()}
            <div class="field"><label for="tr-language">{ui.T("translate.language")}</label>
            <input id="tr-language" name="language" value="{form?.Value("language")}" placeholder="fr" size="10"{Invalid(form, "language", "tr-language")}>{FieldError(form, "language", "tr-language")}</div>
            <div class="field"><label for="tr-sourceRevision">{ui.T("doc.source-revision")}</label>
            <select id="tr-sourceRevision" name="sourceRevision"{Invalid(form, "sourceRevision", "tr-sourceRevision")}>{RevisionOptions(revisions, source)}</select>{FieldError(form, "sourceRevision", "tr-sourceRevision")}</div>
            <div class="field"><label for="tr-translator">{ui.T("doc.translator")}</label>
            <input id="tr-translator" name="translator" value="{form?.Value("translator")}"{Invalid(form, "translator", "tr-translator")}>{FieldError(form, "translator", "tr-translator")}</div>
            <div class="field"><label for="tr-method">{ui.T("doc.method")}</label>
            <select id="tr-method" name="method"{Invalid(form, "method", "tr-method")}>{Options(ui, TranslationMethods.All, "method.", form?.Value("method") ?? TranslationMethods.Human)}</select>{FieldError(form, "method", "tr-method")}</div>
            <div class="field"><label for="tr-content">{ui.T("form.text")}</label>
            <textarea id="tr-content" name="content" rows="8"{Invalid(form, "content", "tr-content")}>{form?.Value("content")}</textarea>{FieldError(form, "content", "tr-content")}</div>
            <div class="field"><label for="tr-file">{ui.T("form.file")} <span class="hint">{ui.T("form.file-hint")}</span></label>
            <input id="tr-file" name="file" type="file"{Invalid(form, "file", "tr-file")}>{FieldError(form, "file", "tr-file")}</div>
            <div class="field"><label for="tr-reason">{ui.T("form.reason-optional")}</label><input id="tr-reason" name="reason" value="{form?.Value("reason")}"></div>
            <div><button type="submit">{ui.T("translate.submit")}</button></div>
            </form>
            """));
    }

    public static Markup VerifyForm(UiContext ui, DocumentView view, IReadOnlyList<RevisionRecord> revisions, FormState? form, bool open)
    {
        var revision = form?.Value("revision") ?? view.Revision.ToString(CultureInfo.InvariantCulture);
        var languages = view.Translations.Select(t => t.Language).ToList();
        var selectedLanguage = form?.Value("language") ?? "";
        var languageOptions = Join(new[] { H($"<option value=\"\">{ui.T("verify.original", view.Language)}</option>") }
            .Concat(languages.Select(l => l == selectedLanguage ? H($"<option value=\"{l}\" selected>{l}</option>") : H($"<option value=\"{l}\">{l}</option>"))));
        return Panel("verify", ui.T("verify.title"), open || form is not null, H($"""
            <form method="post" action="/documents/{view.Id}/verify" class="stack">
            {ui.AntiforgeryField()}
            <div class="field"><label for="vf-revision">{ui.T("doc.revision")}</label>
            <select id="vf-revision" name="revision"{Invalid(form, "revision", "vf-revision")}>{RevisionOptions(revisions, revision)}</select>{FieldError(form, "revision", "vf-revision")}</div>
            <div class="field"><label for="vf-language">{ui.T("verify.which-text")}</label>
            <select id="vf-language" name="language"{Invalid(form, "language", "vf-language")}>{languageOptions}</select>{FieldError(form, "language", "vf-language")}</div>
            <div class="field"><label for="vf-claim-quote">{ui.T("verify.quote")} <span class="hint">{ui.T("verify.quote-hint")}</span></label>
            <input id="vf-claim-quote" name="quote" value="{form?.Value("quote")}"{Invalid(form, "claim.quote", "vf-claim-quote")}>{FieldError(form, "claim.quote", "vf-claim-quote")}{FieldError(form, "claim", "vf-claim")}</div>
            <div class="field"><label for="vf-method">{ui.T("doc.method")}</label>
            <select id="vf-method" name="method"{Invalid(form, "method", "vf-method")}>{Options(ui, VerificationMethods.All, "vmethod.", form?.Value("method"), empty: true)}</select>{FieldError(form, "method", "vf-method")}</div>
            <div class="field"><label for="vf-verdict">{ui.T("doc.verdict")}</label>
            <select id="vf-verdict" name="verdict"{Invalid(form, "verdict", "vf-verdict")}>{Options(ui, Verdicts.All, "verdict.", form?.Value("verdict"), empty: true)}</select>{FieldError(form, "verdict", "vf-verdict")}</div>
            <div class="field"><label for="vf-evidence">{ui.T("doc.evidence")} <span class="hint">{ui.T("verify.evidence-hint")}</span></label>
            <textarea id="vf-evidence" name="evidence" rows="3"{Invalid(form, "evidence", "vf-evidence")}>{form?.Value("evidence")}</textarea>{FieldError(form, "evidence", "vf-evidence")}</div>
            <div class="field"><label for="vf-notes">{ui.T("verify.notes")}</label><textarea id="vf-notes" name="notes" rows="3">{form?.Value("notes")}</textarea></div>
            <div><button type="submit">{ui.T("verify.submit")}</button></div>
            </form>
            """));
    }

    /// <summary>Text from the textarea, or the uploaded file when one was chosen: the same submission the API's bodies make.</summary>
    public static async Task<ContentSubmission?> ContentFromAsync(IFormCollection form, long limit, CancellationToken ct)
    {
        if (form.Files.GetFile("file") is { Length: > 0 } file)
        {
            await using var stream = file.OpenReadStream();
            var declared = string.IsNullOrEmpty(file.ContentType) || file.ContentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase)
                ? null : file.ContentType;
            // Over the limit: an empty submission of that size is refused by the command's own check.
            return await ContentSubmission.ReadAsync(stream, limit, declared, file.FileName, ct) ?? ContentSubmission.TooLarge(file.Length);
        }
        var text = form["content"].FirstOrDefault();
        return string.IsNullOrEmpty(text) ? null : ContentSubmission.FromText(text.Replace("\r\n", "\n"));
    }

    private static async Task<(UiContext Ui, DocumentView? View, IFormCollection? Form, IResult? Stop)> BeginAsync(Guid id, HttpContext http,
        IAntiforgery antiforgery, IQuerySession session)
    {
        var ui = UiContext.For(http);
        if (!await antiforgery.IsRequestValidAsync(http)) return (ui, null, null, WebErrors.BadForm(ui));
        var view = await session.LoadAsync<DocumentView>(id, http.RequestAborted);
        if (view is null) return (ui, null, null, WebErrors.NotFound(ui, ui.T("doc.not-found", id)));
        return (ui, view, await http.Request.ReadFormAsync(http.RequestAborted), null);
    }

    private static IResult Done(Guid id, string anchor) => Results.Redirect($"/documents/{id}?done={anchor}#{anchor}");

    /// <summary>
    /// Sends the command the API would send and presents the outcome: the page again with the use case's own messages when it
    /// is refused, or the document's newer state when another writer got there first.
    /// </summary>
    private static async Task<IResult> SendAsync(UiContext ui, IMessageBus bus, IQuerySession session, ContentStore contents, DocumentView view,
        string which, object command, IFormCollection form, Func<DocumentView, string>? staleMessage, string doneAnchor, CancellationToken ct)
    {
        try
        {
            await bus.InvokeForTenantAsync<DocumentResource>(CurrentArchive.Id, command, ct);
            return Done(view.Id, doneAnchor);
        }
        catch (CommandRejected rejected)
        {
            var status = rejected.Problem.Status ?? StatusCodes.Status422UnprocessableEntity;
            var message = status == StatusCodes.Status412PreconditionFailed && staleMessage is not null ? staleMessage(view)
                : rejected.Errors.Count > 0 ? null : rejected.Problem.Detail;
            return await Failed(ui, session, contents, view, which, rejected.Errors, message, form, status);
        }
        catch (JasperFx.ConcurrencyException)
        {
            var current = await session.LoadAsync<DocumentView>(view.Id, ct) ?? view;
            var message = staleMessage?.Invoke(current) ?? ui.T("form.changed");
            return await Failed(ui, session, contents, current, which, new Dictionary<string, string[]>(), message, form, StatusCodes.Status412PreconditionFailed);
        }
    }

    public static async Task<IResult> Edit(Guid id, HttpContext http, IAntiforgery antiforgery, IQuerySession session, ContentStore contents,
        IMessageBus bus, IOptions<ProvenanceOptions> options)
    {
        var (ui, view, form, stop) = await BeginAsync(id, http, antiforgery, session);
        if (stop is not null) return stop;
        int? baseRevision = int.TryParse(form!["baseRevision"], NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0 ? b : null;
        if (baseRevision is null)
        {
            return await Failed(ui, session, contents, view!, "edit",
                new Dictionary<string, string[]> { ["baseRevision"] = ["The form does not name the revision it is based on; reload the page."] }, null, form, 422);
        }
        var command = new EditDocument(null, null, null, form["reason"].FirstOrDefault())
        {
            DocumentId = id, BaseRevision = baseRevision, Actor = ui.Actor!,
            Upload = await ContentFromAsync(form, options.Value.MaxContentBytes, http.RequestAborted),
        };
        return await SendAsync(ui, bus, session, contents, view!, "edit", command, form, current => ui.T("edit.stale", baseRevision, current.Revision),
            "timeline", http.RequestAborted);
    }

    public static async Task<IResult> Translate(Guid id, HttpContext http, IAntiforgery antiforgery, IQuerySession session, ContentStore contents,
        IMessageBus bus, IOptions<ProvenanceOptions> options)
    {
        var (ui, view, form, stop) = await BeginAsync(id, http, antiforgery, session);
        if (stop is not null) return stop;
        string? Field(string name) => string.IsNullOrWhiteSpace(form![name]) ? null : form[name].ToString();
        int? source = null;
        if (Field("sourceRevision") is { } text)
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) source = n;
            else return await Failed(ui, session, contents, view!, "translate",
                new Dictionary<string, string[]> { ["sourceRevision"] = ["'sourceRevision' must be a whole number."] }, null, form, 422);
        }
        var command = new TranslateDocument(Field("language"), source, null, null, null, Field("translator"), Field("method"), Field("reason"))
        {
            DocumentId = id, Actor = ui.Actor!, Upload = await ContentFromAsync(form!, options.Value.MaxContentBytes, http.RequestAborted),
        };
        return await SendAsync(ui, bus, session, contents, view!, "translate", command, form!, null, "translations", http.RequestAborted);
    }

    public static async Task<IResult> Verify(Guid id, HttpContext http, IAntiforgery antiforgery, IQuerySession session, ContentStore contents,
        IMessageBus bus)
    {
        var (ui, view, form, stop) = await BeginAsync(id, http, antiforgery, session);
        if (stop is not null) return stop;
        string? Field(string name) => string.IsNullOrWhiteSpace(form![name]) ? null : form[name].ToString().Trim();
        int? revision = int.TryParse(Field("revision"), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : null;
        var evidence = (Field("evidence") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var quote = form!["quote"].FirstOrDefault();
        var command = new VerifyDocument(revision, Field("language"), null, Field("method"), Field("verdict"), evidence, Field("notes"), null)
        {
            DocumentId = id, Actor = ui.Actor!,
        };
        var ct = http.RequestAborted;
        if (!string.IsNullOrEmpty(quote))
        {
            // People quote; the command wants the span: the first place the quote occurs (the use case's own check then confirms it).
            var target = await Documents.Verify.TargetAsync(command with { Claim = new VerifiedClaim(quote, 0, 0) }, view!, http.RequestServices.GetRequiredService<DocumentRecords>(), contents, ct);
            var start = target.Text?.IndexOf(quote, StringComparison.Ordinal) ?? -1;
            if (target.Text is not null && start < 0)
            {
                return await Failed(ui, session, contents, view!, "verify", new Dictionary<string, string[]>
                {
                    ["claim.quote"] = [$"The quoted text does not occur in the {(target.Language ?? "original")} text of revision {revision ?? view!.Revision}."],
                }, null, form, 422);
            }
            command = command with { Claim = new VerifiedClaim(quote, Math.Max(start, 0), Math.Max(start, 0) + quote.Length) };
        }
        return await SendAsync(ui, bus, session, contents, view!, "verify", command, form, null, "verifications", ct);
    }

    private static Task<IResult> Failed(UiContext ui, IQuerySession session, ContentStore contents, DocumentView view, string which,
        IDictionary<string, string[]> errors, string? message, IFormCollection? form, int status)
        => DocumentPage.RenderAsync(ui, session, contents, view, new FormState(which, errors, message, form), status);
}
