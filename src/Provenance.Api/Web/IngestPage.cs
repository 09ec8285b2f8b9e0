using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Wolverine;
using static Provenance.Api.Web.Html;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Web;

/// <summary>Ingest a document from typed text or an uploaded file, by sending the API's own <see cref="IngestDocument"/> command.</summary>
public static class IngestPage
{
    public static IResult Get(HttpContext http) => Render(UiContext.For(http), null, StatusCodes.Status200OK);

    public static async Task<IResult> Post(HttpContext http, IAntiforgery antiforgery, IMessageBus bus, Identifiers ids, IOptions<ProvenanceOptions> options)
    {
        var ui = UiContext.For(http);
        if (!await antiforgery.IsRequestValidAsync(http)) return WebErrors.BadForm(ui);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        string? Field(string name) => string.IsNullOrWhiteSpace(form[name]) ? null : form[name].ToString().Trim();
        DateTimeOffset? published = null;
        if (Field("publishedAt") is { } day)
        {
            if (DateTime.TryParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d))
                published = new DateTimeOffset(d, TimeSpan.Zero);
            else return Render(ui, new FormState("ingest", new Dictionary<string, string[]> { ["publishedAt"] = ["'publishedAt' must be a date."] }, null, form),
                StatusCodes.Status422UnprocessableEntity);
        }
        var command = new IngestDocument(Field("title"), Field("language"), null, null, null, form.Files.GetFile("file")?.FileName, Field("sourceUri"),
            Field("publisher"), published, "web", Field("reason"))
        {
            DocumentId = ids.NewId(), Actor = ui.Actor!,
            Upload = await DocumentForms.ContentFromAsync(form, options.Value.MaxContentBytes, http.RequestAborted),
        };
        try
        {
            var created = await bus.InvokeForTenantAsync<DocumentResource>(CurrentArchive.Id, command, http.RequestAborted);
            return Results.Redirect($"/documents/{created.Id}?done=ingested");
        }
        catch (CommandRejected rejected)
        {
            return Render(ui, new FormState("ingest", rejected.Errors, null, form), StatusCodes.Status422UnprocessableEntity);
        }
    }

    private static Markup Field(UiContext ui, FormState? form, string name, string label, Markup control)
    {
        var error = form?.Errors.TryGetValue(name, out var messages) == true
            ? H($"<span class=\"bad\" id=\"in-{name}-error\" lang=\"en\">{string.Join(" ", messages)}</span>")
            : Markup.Empty;
        return H($"<div class=\"field\"><label for=\"in-{name}\">{label}</label>{control}{error}</div>");
    }

    private static Markup Invalid(FormState? form, string name)
        => form?.Errors.ContainsKey(name) == true ? H($" aria-invalid=\"true\" aria-describedby=\"in-{name}-error\"") : Markup.Empty;

    private static IResult Render(UiContext ui, FormState? form, int status)
    {
        var body = H($"""
            <h1>{ui.T("ingest.title")}</h1>
            <p>{ui.T("ingest.intro")}</p>
            {Layout.Errors(ui, form?.Errors, null, "in-")}
            <form method="post" action="/documents/new" enctype="multipart/form-data" class="stack">
            {ui.AntiforgeryField()}
            {Field(ui, form, "title", ui.T("ingest.doc-title"), H($"<input id=\"in-title\" name=\"title\" value=\"{form?.Value("title")}\" required maxlength=\"500\"{Invalid(form, "title")}>"))}
            {Field(ui, form, "language", ui.T("ingest.language"), H($"<input id=\"in-language\" name=\"language\" value=\"{form?.Value("language")}\" required placeholder=\"en, fr-CA\" size=\"10\"{Invalid(form, "language")}>"))}
            {Field(ui, form, "content", ui.T("form.text"), H($"<textarea id=\"in-content\" name=\"content\" rows=\"10\"{Invalid(form, "content")}>{form?.Value("content")}</textarea>"))}
            {Field(ui, form, "file", $"{ui.T("form.file")} ({ui.T("form.file-hint")})", H($"<input id=\"in-file\" name=\"file\" type=\"file\"{Invalid(form, "file")}>"))}
            {Field(ui, form, "sourceUri", ui.T("doc.source"), H($"<input id=\"in-sourceUri\" name=\"sourceUri\" type=\"url\" value=\"{form?.Value("sourceUri")}\"{Invalid(form, "sourceUri")}>"))}
            {Field(ui, form, "publisher", ui.T("doc.publisher"), H($"<input id=\"in-publisher\" name=\"publisher\" value=\"{form?.Value("publisher")}\"{Invalid(form, "publisher")}>"))}
            {Field(ui, form, "publishedAt", ui.T("doc.published"), H($"<input id=\"in-publishedAt\" name=\"publishedAt\" type=\"date\" value=\"{form?.Value("publishedAt")}\"{Invalid(form, "publishedAt")}>"))}
            {Field(ui, form, "reason", ui.T("form.reason-optional"), H($"<input id=\"in-reason\" name=\"reason\" value=\"{form?.Value("reason")}\"{Invalid(form, "reason")}>"))}
            <div><button type="submit">{ui.T("ingest.submit")}</button></div>
            </form>
            """);
        return Layout.Page(ui, ui.T("ingest.title"), body, status);
    }
}
