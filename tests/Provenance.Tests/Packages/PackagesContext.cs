using System.Text;
using Provenance.Api.Access;
using Provenance.Tests.Reports;
using Shouldly;

namespace Provenance.Tests.Packages;

/// <summary>A document with a life worth packaging, the package endpoints, and a scratch folder per test.</summary>
public abstract class PackagesContext(AppFixture fixture) : ReportsContext(fixture), IDisposable
{
    protected readonly DirectoryInfo Scratch = Directory.CreateTempSubdirectory("provenance-packages-");

    public void Dispose() => Scratch.Delete(recursive: true);

    /// <summary>Ingested under a hostile title, edited twice, translated into fr-CA twice (once from each of two revisions) and into de, verified.</summary>
    protected async Task<Guid> DocumentWithAHistoryAsync(string title = "../../etc/passwd%00 \u202e txt.exe")
    {
        var id = (await IngestAsync("First text.\nSecond line.\n", title: title)).Id;
        await TranslateAsync(id, "fr-CA", "Premier texte.\n");
        await EditAsync(id, 1, "First text, corrected.\nSecond line.\n");
        await TranslateAsync(id, "de", "Erster Text, korrigiert.\n");
        await TranslateAsync(id, "fr-CA", "Premier texte, corrigé.\n");
        await EditAsync(id, 2, "First text, corrected twice.\nSecond line.\n");
        var verified = await As(Roles.Verifier, s => s.Post.Json(new { revision = 3, method = "source-comparison", verdict = "verified", notes = "Matches the source." })
            .ToUrl($"/api/documents/{id}/verifications"));
        verified.Context.Response.StatusCode.ShouldBe(201, await verified.ReadAsTextAsync());
        await SignCheckpointAsync();
        return id;
    }

    protected async Task<(byte[] Body, string ContentType, int Status)> GetPackageAsync(string url, string? accept = null, string role = Roles.Auditor)
    {
        var result = await As(role, s =>
        {
            s.Get.Url(url);
            if (accept is not null) s.WithRequestHeader("Accept", accept);
            s.IgnoreStatusCode();
        });
        var response = result.Context.Response;
        using var buffer = new MemoryStream();
        await response.Body.CopyToAsync(buffer);
        return (buffer.ToArray(), response.ContentType ?? "", response.StatusCode);
    }

    protected async Task<byte[]> PackageAsync(Guid id, string? accept = null)
    {
        var (body, _, status) = await GetPackageAsync($"/api/documents/{id}/package?format=bagit", accept);
        status.ShouldBe(200, Encoding.UTF8.GetString(body));
        return body;
    }

    protected async Task<byte[]> ContentAsync(Guid id, int revision, string? language = null)
    {
        var result = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{id}/content?revision={revision}" + (language is null ? "" : $"&language={language}")));
        using var buffer = new MemoryStream();
        await result.Context.Response.Body.CopyToAsync(buffer);
        result.Context.Response.StatusCode.ShouldBe(200);
        return buffer.ToArray();
    }

    protected string Save(string name, byte[] bytes)
    {
        var path = Path.Combine(Scratch.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
