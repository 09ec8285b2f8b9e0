using System.Text.Json;
using System.Text.Json.Nodes;
using Alba;
using Npgsql;
using Provenance.Api.Access;
using Shouldly;

namespace Provenance.Tests.Feed;

/// <summary>
/// A subscription belongs to the API key that created it: another integrator gets the same 404 as for an id that never existed,
/// on every endpoint, and never sees it in a list; admins see and manage all.
/// </summary>
public sealed class Subscriptions_belong_to_their_owner(AppFixture fixture) : FeedContext(fixture)
{
    private sealed record Owned(Guid Id, Guid DeliveryId, string OwnerName, string OwnerKey, string OtherKey);

    private Task<IScenarioResult> With(string key, Action<Scenario> configure) => Host.Scenario(s =>
    {
        s.WithRequestHeader("Authorization", $"Bearer {key}");
        s.IgnoreStatusCode();
        configure(s);
    });

    /// <summary>Two fresh integrators; the first owns a paused subscription (nothing is sent) with one delivery in its log.</summary>
    private async Task<Owned> OwnedSubscriptionAsync()
    {
        var ownerName = $"integrator.owner.{Guid.NewGuid():N}";
        var owner = await Fixture.CreateKeyAsync(ownerName, Roles.Integrator);
        var other = await Fixture.CreateKeyAsync($"integrator.other.{Guid.NewGuid():N}", Roles.Integrator);
        var document = await IngestAsync("Owned.\n", title: "Owned subscription");
        var created = await With(owner, s => s.Post.Json(new { url = "http://127.0.0.1:9/hook", document = document.Id }).ToUrl("/api/subscriptions"));
        created.Context.Response.StatusCode.ShouldBe(201, await created.ReadAsTextAsync());
        var id = JsonDocument.Parse(await created.ReadAsTextAsync()).RootElement.GetProperty("id").GetGuid();
        (await With(owner, s => s.Patch.Json(new { status = "paused" }).ToUrl($"/api/subscriptions/{id}"))).Context.Response.StatusCode.ShouldBe(200);
        await CatchUpAsync();
        (await With(owner, s => s.Post.Url($"/api/subscriptions/{id}/replay"))).Context.Response.StatusCode.ShouldBe(202);
        var deliveries = await With(owner, s => s.Get.Url($"/api/subscriptions/{id}/deliveries"));
        var deliveryId = JsonDocument.Parse(await deliveries.ReadAsTextAsync()).RootElement.GetProperty("items")[0].GetProperty("id").GetGuid();
        return new Owned(id, deliveryId, ownerName, owner, other);
    }

    /// <summary>Everything stored about one subscription and its deliveries, to check that a refused request changed nothing.</summary>
    private async Task<string> RowsOfAsync(Guid id)
    {
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"""
            select coalesce((select row_to_json(s)::text from {Fixture.Schema}.webhook_subscriptions s where s.id = $1), '')
                || coalesce((select string_agg(row_to_json(d)::text, ',' order by d.id) from {Fixture.Schema}.webhook_deliveries d where d.subscription_id = $1), '')
            """, connection);
        command.Parameters.AddWithValue(id);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public static TheoryData<string> Endpoints => new()
    {
        "GET one", "PATCH url", "PATCH status", "PATCH rotateSecret", "PATCH types", "DELETE", "GET deliveries", "GET delivery", "POST retry", "POST replay",
        "POST replay failed", "POST test",
    };

    private static Action<Scenario> Request(string endpoint, Owned s) => endpoint switch
    {
        "GET one" => x => x.Get.Url($"/api/subscriptions/{s.Id}"),
        "PATCH url" => x => x.Patch.Json(new { url = "http://127.0.0.1:10/elsewhere" }).ToUrl($"/api/subscriptions/{s.Id}"),
        "PATCH status" => x => x.Patch.Json(new { status = "active" }).ToUrl($"/api/subscriptions/{s.Id}"),
        "PATCH rotateSecret" => x => x.Patch.Json(new { rotateSecret = true }).ToUrl($"/api/subscriptions/{s.Id}"),
        "PATCH types" => x => x.Patch.Json(new { types = new[] { "org.provenance.document.edited.v1" } }).ToUrl($"/api/subscriptions/{s.Id}"),
        "DELETE" => x => x.Delete.Url($"/api/subscriptions/{s.Id}"),
        "GET deliveries" => x => x.Get.Url($"/api/subscriptions/{s.Id}/deliveries"),
        "POST retry" => x => x.Post.Url($"/api/subscriptions/{s.Id}/deliveries/{s.DeliveryId}/retry"),
        "POST replay" => x => x.Post.Url($"/api/subscriptions/{s.Id}/replay"),
        "GET delivery" => x => x.Get.Url($"/api/subscriptions/{s.Id}/deliveries/{s.DeliveryId}"),
        "POST replay failed" => x => x.Post.Url($"/api/subscriptions/{s.Id}/replay?status=failed"),
        "POST test" => x => x.Post.Url($"/api/subscriptions/{s.Id}/test"),
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
    };

    /// <summary>Status, content type and body without the per-request trace id: what a caller could compare.</summary>
    private static async Task<string> Observable(IScenarioResult result)
    {
        var body = JsonNode.Parse(await result.ReadAsTextAsync())!.AsObject();
        body.Remove("traceId");
        return $"{result.Context.Response.StatusCode} {result.Context.Response.ContentType} {body.ToJsonString()}";
    }

    [Theory, MemberData(nameof(Endpoints))]
    public async Task Another_integrator_gets_the_404_of_an_unknown_id_and_changes_nothing(string endpoint)
    {
        var owned = await OwnedSubscriptionAsync();
        var before = await RowsOfAsync(owned.Id);

        var refused = await With(owned.OtherKey, Request(endpoint, owned));
        await ShouldBeProblemAsync(refused, 404, "not-found");
        var seen = await Observable(refused);
        (await RowsOfAsync(owned.Id)).ShouldBe(before);

        // The same request once the subscription is truly gone: not one byte tells the two apart.
        (await With(owned.OwnerKey, s => s.Delete.Url($"/api/subscriptions/{owned.Id}"))).Context.Response.StatusCode.ShouldBe(204);
        (await Observable(await With(owned.OtherKey, Request(endpoint, owned)))).ShouldBe(seen);
    }

    [Theory, MemberData(nameof(Endpoints))]
    public async Task The_owner_and_an_admin_can_use_every_endpoint(string endpoint)
    {
        foreach (var key in new Func<Owned, string>[] { o => o.OwnerKey, _ => AppFixture.AdminKey })
        {
            var owned = await OwnedSubscriptionAsync();
            var result = await With(key(owned), Request(endpoint, owned));
            result.Context.Response.StatusCode.ShouldBeOneOf([200, 202, 204], await result.ReadAsTextAsync());
        }
    }

    [Fact]
    public async Task Lists_show_an_integrator_only_its_own_subscriptions_and_an_admin_all()
    {
        var owned = await OwnedSubscriptionAsync();
        var others = await With(owned.OtherKey, s => s.Post.Json(new { url = "http://127.0.0.1:9/other" }).ToUrl("/api/subscriptions"));
        var othersId = JsonDocument.Parse(await others.ReadAsTextAsync()).RootElement.GetProperty("id").GetGuid();

        async Task<List<Guid>> ListAsync(string key)
        {
            var result = await With(key, s => s.Get.Url("/api/subscriptions"));
            result.Context.Response.StatusCode.ShouldBe(200);
            return JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement.GetProperty("items").EnumerateArray()
                .Select(i => i.GetProperty("id").GetGuid()).ToList();
        }

        (await ListAsync(owned.OwnerKey)).ShouldBe([owned.Id]);
        (await ListAsync(owned.OtherKey)).ShouldBe([othersId]);
        var all = await ListAsync(AppFixture.AdminKey);
        all.ShouldContain(owned.Id);
        all.ShouldContain(othersId);
    }

    [Fact]
    public async Task The_owner_is_the_creating_key_and_an_admins_subscription_is_not_an_integrators()
    {
        var owned = await OwnedSubscriptionAsync();
        var ownerKeyId = (await GetJsonAsync("/api/keys", Roles.Admin)).EnumerateArray()
            .Single(k => k.GetProperty("name").GetString() == owned.OwnerName)
            .GetProperty("id").GetGuid();
        var seen = await With(AppFixture.AdminKey, s => s.Get.Url($"/api/subscriptions/{owned.Id}"));
        JsonDocument.Parse(await seen.ReadAsTextAsync()).RootElement.GetProperty("ownerKeyId").GetGuid().ShouldBe(ownerKeyId);

        var admins = await With(AppFixture.AdminKey, s => s.Post.Json(new { url = "http://127.0.0.1:9/admin" }).ToUrl("/api/subscriptions"));
        admins.Context.Response.StatusCode.ShouldBe(201);
        var adminsId = JsonDocument.Parse(await admins.ReadAsTextAsync()).RootElement.GetProperty("id").GetGuid();
        await ShouldBeProblemAsync(await With(owned.OwnerKey, s => s.Get.Url($"/api/subscriptions/{adminsId}")), 404, "not-found");
    }

    [Fact]
    public async Task A_subscription_from_before_owners_were_recorded_is_managed_by_admins_only()
    {
        var owned = await OwnedSubscriptionAsync();
        await using (var connection = new NpgsqlConnection(Fixture.ConnectionString))
        {
            await connection.OpenAsync();
            await using var orphan = new NpgsqlCommand($"update {Fixture.Schema}.webhook_subscriptions set owner_key_id = null where id = $1", connection);
            orphan.Parameters.AddWithValue(owned.Id);
            (await orphan.ExecuteNonQueryAsync()).ShouldBe(1);
        }

        await ShouldBeProblemAsync(await With(owned.OwnerKey, s => s.Get.Url($"/api/subscriptions/{owned.Id}")), 404, "not-found");
        (await (await With(owned.OwnerKey, s => s.Get.Url("/api/subscriptions"))).ReadAsTextAsync()).ShouldNotContain(owned.Id.ToString());
        var admin = await With(AppFixture.AdminKey, s => s.Get.Url($"/api/subscriptions/{owned.Id}"));
        admin.Context.Response.StatusCode.ShouldBe(200);
        JsonDocument.Parse(await admin.ReadAsTextAsync()).RootElement.GetProperty("ownerKeyId").ValueKind.ShouldBe(JsonValueKind.Null);
        (await With(AppFixture.AdminKey, s => s.Delete.Url($"/api/subscriptions/{owned.Id}"))).Context.Response.StatusCode.ShouldBe(204);
    }
}
