using System.Globalization;
using System.Text.Json;
using Provenance.Api.Access;
using Provenance.Api.Ledger;
using Shouldly;

namespace Provenance.Tests.Ledger;

/// <summary>
/// A rogue DBA flips one byte of a stored content. Every read hashes the bytes before the first one leaves: the API, mementos, diffs
/// and pages refuse with <c>fixity-failed</c> naming the digest, a failed <see cref="FixityChecked"/> is recorded once, readiness turns
/// Degraded, and the bytes are never served under the digest they no longer match.
/// </summary>
public sealed class Reading_checks_fixity(AppFixture fixture) : LedgerContext(fixture)
{
    Task<int> FlipFirstByteAsync(string digest) =>
        SqlAsync($"update {{schema}}.content_blobs set bytes = set_byte(bytes, 0, get_byte(bytes, 0) # 1) where digest = '{digest}'");

    async Task<string> FixityReadinessAsync()
    {
        var result = await Host.Scenario(s => { s.Get.Url("/health/ready"); s.IgnoreStatusCode(); });
        return JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("checks").GetProperty("fixity").GetProperty("status").GetString()!;
    }

    async Task<List<FixityChecked>> FixityEventsAsync(Guid id) => (await EventsOfAsync(id)).Select(e => e.Data).OfType<FixityChecked>().ToList();

    [Fact]
    public async Task Content_that_fails_its_hash_is_refused_everywhere_it_is_read_and_recorded_once()
    {
        var marker = Guid.NewGuid().ToString("N");
        var t = Fixture.Clock.GetUtcNow();
        var doc = await IngestAsync(content: $"Checked on every read {marker}\nSecond line.\n", title: "Read-checked");
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        await EditAsync(doc.Id, 1, $"Checked on every read {marker}, revised\nSecond line.\n");
        var digest = doc.ContentDigest;
        try
        {
            (await FlipFirstByteAsync(digest)).ShouldBe(1);

            async Task ShouldRefuseAsync(string url, params (string, string)[] headers)
            {
                var result = await As(Roles.Reader, s =>
                {
                    s.Get.Url(url);
                    foreach (var (name, value) in headers) s.WithRequestHeader(name, value);
                });
                var body = await result.ReadAsTextAsync();
                await ShouldBeProblemAsync(result, 500, "fixity-failed");
                body.ShouldContain(digest);
                body.ShouldNotContain(marker, customMessage: "never the bytes");
                result.Context.Response.Headers.ETag.ToString().ShouldBeEmpty("no ETag vouches for bytes that fail their digest");
                result.Context.Response.Headers["Repr-Digest"].ToString().ShouldBeEmpty();
            }

            await ShouldRefuseAsync($"/api/documents/{doc.Id}/content?revision=1");
            await ShouldRefuseAsync($"/api/documents/{doc.Id}/content", ("Accept-Datetime", t.ToString("r", CultureInfo.InvariantCulture)));
            await ShouldRefuseAsync($"/api/documents/{doc.Id}/diff?from=1&to=2");
            await ShouldRefuseAsync($"/api/documents/{doc.Id}/diff?from=1&to=2", ("Accept", "text/x-diff"));

            var page = await As(Roles.Reader, s => s.Get.Url($"/documents/{doc.Id}?revision=1"));
            var html = await page.ReadAsTextAsync();
            page.Context.Response.StatusCode.ShouldBe(200, "the page stays readable and says what is wrong");
            html.ShouldNotContain(marker);
            html.ShouldContain(digest);
            html.ShouldContain("no longer match");

            var compare = await As(Roles.Reader, s => s.Get.Url($"/documents/{doc.Id}/compare?from=1&to=2"));
            var compareHtml = await compare.ReadAsTextAsync();
            compare.Context.Response.StatusCode.ShouldBe(500);
            compare.Context.Response.ContentType.ShouldNotBeNull().ShouldStartWith("text/html");
            compareHtml.ShouldContain(digest);
            compareHtml.ShouldNotContain(marker);

            var failures = await FixityEventsAsync(doc.Id);
            var failure = failures.ShouldHaveSingleItem("repeated reads of the same broken content record one failure");
            (failure.ContentDigest, failure.Outcome).ShouldBe((digest, FixityOutcomes.Fail));
            failure.Detail.ShouldNotBeNull().ShouldContain("sha256:");
            (await FixityReadinessAsync()).ShouldBe("Degraded");

            // The current revision's bytes are intact and still served.
            var current = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{doc.Id}/content"));
            current.Context.Response.StatusCode.ShouldBe(200);
            (await current.ReadAsTextAsync()).ShouldContain("revised");
        }
        finally
        {
            await FlipFirstByteAsync(digest);
            var run = await As(Roles.Auditor, s => s.Post.Url("/api/ledger/fixity"));
            run.Context.Response.StatusCode.ShouldBe(200, await run.ReadAsTextAsync());
        }
        (await FixityReadinessAsync()).ShouldBe("Healthy", "a passing check clears the failure");
        var restored = await As(Roles.Reader, s => s.Get.Url($"/api/documents/{doc.Id}/content?revision=1"));
        restored.Context.Response.StatusCode.ShouldBe(200);
        (await restored.ReadAsTextAsync()).ShouldContain(marker);
    }
}
