using System.Text.Json;
using Provenance.Api.Access;
using Provenance.Tests.Ledger;
using Shouldly;

namespace Provenance.Tests.Erasure;

/// <summary>
/// A withdrawn document is out of view for readers everywhere, not only at its own URL: the document list, the search API and the web
/// pages leave it out (its title is what a takedown is usually about); auditors and stewards still find it.
/// </summary>
public sealed class Withdrawn_documents_leave_lists_and_search(AppFixture fixture) : LedgerContext(fixture)
{
    [Fact]
    public async Task Readers_no_longer_list_or_find_a_withdrawn_document_and_auditors_still_do()
    {
        var marker = $"Takedown{Guid.NewGuid():N}"[..20];
        var doc = await IngestAsync(content: $"The text about {marker}.\n", title: $"Withdrawn {marker}");
        await WaitForLedgerAsync();
        async Task<(bool Listed, bool Found, bool OnPage)> SeenBy(string role)
        {
            var list = await GetJsonAsync(role, $"/api/documents?q={marker}");
            var search = await GetJsonAsync(role, $"/api/search?q={marker}");
            var page = (await As(role, s => s.Get.Url($"/documents?q={marker}"))).ReadAsText();
            return (list.GetProperty("items").EnumerateArray().Any(d => d.GetProperty("id").GetGuid() == doc.Id),
                search.GetProperty("items").EnumerateArray().Any(h => h.GetProperty("documentId").GetGuid() == doc.Id),
                page.Contains(doc.Id.ToString()));
        }
        (await SeenBy(Roles.Reader)).ShouldBe((true, true, true), "before the withdrawal");

        (await As(Roles.Steward, s => s.Post.Json(new { reason = "Court order.", legalBasis = new { code = "court-order" } })
            .ToUrl($"/api/documents/{doc.Id}/withdrawals"))).Context.Response.StatusCode.ShouldBe(201);
        (await SeenBy(Roles.Reader)).ShouldBe((false, false, false), "a reader after the withdrawal");
        (await SeenBy(Roles.Auditor)).ShouldBe((true, true, true), "an auditor after the withdrawal");

        (await As(Roles.Steward, s => s.Delete.Url($"/api/documents/{doc.Id}/withdrawals/current"))).Context.Response.StatusCode.ShouldBe(204);
        (await SeenBy(Roles.Reader)).ShouldBe((true, true, true), "after the document is reinstated");
    }
}
