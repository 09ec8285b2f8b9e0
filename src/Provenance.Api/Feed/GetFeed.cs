using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Http;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Feed;

public sealed record FeedPage(IReadOnlyList<CloudEvent> Items, string NextCursor, string HighWaterMark);

/// <summary>The filters shared by the pull feed and the SSE stream, checked before anything is read.</summary>
public sealed record FeedRequest(long After, int Limit, FeedFilter Filter)
{
    public const int DefaultLimit = 100;

    public static (FeedRequest? Request, IResult? Problem) Parse(string? after, int? limit, string? types, Guid? document,
        IDocumentStore store, string cursorField = "after")
    {
        var errors = new FieldErrors();
        long position = 0;
        if (!string.IsNullOrEmpty(after))
        {
            if (Cursors.Decode(after) is { } p) position = p;
            else errors.Add(cursorField, $"'{cursorField}' is not a cursor this API issued.");
        }
        var size = limit ?? DefaultLimit;
        if (size is < 1 or > FeedReader.MaxPage) errors.Add("limit", $"'limit' must be between 1 and {FeedReader.MaxPage}.");
        var typeList = ParseTypes(types, store, errors);
        if (errors.Any) return (null, Problems.Invalid(errors));
        return (new FeedRequest(position, size, new FeedFilter(typeList, document)), null);
    }

    /// <summary>Comma-separated CloudEvents types, each one the store knows.</summary>
    public static IReadOnlyList<string>? ParseTypes(string? types, IDocumentStore store, FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(types)) return null;
        var list = types.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        CheckTypes("types", list, store, errors);
        return list;
    }

    public static void CheckTypes(string field, IReadOnlyCollection<string> types, IDocumentStore store, FieldErrors errors)
    {
        var known = new EventCatalogue(store).Types;
        foreach (var unknown in types.Where(t => !known.Contains(t)))
        {
            errors.Add(field, $"'{unknown}' is not an event type; known types: {string.Join(", ", known.Order())}.");
        }
    }
}

public static class GetFeedEndpoint
{
    /// <summary>
    /// Events in global order as CloudEvents, up to the safe high-water mark (see <see cref="FeedReader"/>).
    /// Pass <c>nextCursor</c> back as <c>after</c>; an empty page means "caught up, ask again later".
    /// </summary>
    [WolverineGet("/api/feed", OperationId = "getFeed"), Authorize(Roles = Roles.Integrator)]
    [Tags(ApiTags.Feed), EndpointSummary("A page of the change feed, as CloudEvents")]
    [ProducesResponseType<FeedPage>(200, "application/json"), ProblemResponses(422)]
    public static async Task<IResult> Get(string? after, int? limit, string? types, Guid? document, HttpContext context,
        IDocumentStore store, FeedReader feed, IOptions<FeedOptions> options, PublicBaseUrl baseUrl)
    {
        var (request, problem) = FeedRequest.Parse(after, limit, types, document, store);
        if (problem is not null) return problem;

        var slice = await feed.ReadAsync(request!.After, request.Limit, request.Filter, context.RequestAborted);
        var next = Cursors.Encode(slice.Next);
        var query = context.Request.Query.Where(p => p.Key != "after").Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value.ToString())}")
            .Append($"after={next}");
        context.Response.Headers.Link = $"<{context.Request.Path}?{string.Join('&', query)}>; rel=\"next\"";
        var (source, schemas) = (options.Value.SourceOfCurrentArchive, baseUrl.For(context.Request));
        return Results.Ok(new FeedPage(slice.Events.Select(e => CloudEvent.From(e, source, schemas)).ToList(), next, Cursors.Encode(slice.HighWaterMark)));
    }
}
