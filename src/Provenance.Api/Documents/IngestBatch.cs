using System.Security.Claims;
using System.Text.Json.Serialization;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Provenance.Api.Access;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Wolverine.Http;
using Wolverine.Marten;

namespace Provenance.Api.Documents;

/// <summary>
/// Ingest many documents at once (a bulk import): each is the same <see cref="IngestDocument"/> as <c>POST /api/documents</c>,
/// validated by the same <see cref="Ingest.Validate"/> and decided by the same <see cref="Ingest.Decide"/>; the batch is one
/// transaction (all its streams started and their content stored, or nothing). With an <c>Idempotency-Key</c> per batch, a client
/// that lost the answer sends the batch again and gets the first answer back, so an interrupted import resumes without duplicates.
/// </summary>
/// <remarks>
/// With <c>skipDuplicates</c>, a document whose content a document of the same title and language already has (as any revision),
/// or that repeats an earlier document of the batch, is not ingested: its item names the document that has it
/// (<c>duplicate: true</c>). That is what lets <c>provenance import</c> be run again over the same folder.
/// </remarks>
public sealed record IngestBatchRequest(IReadOnlyList<IngestDocument>? Documents, bool SkipDuplicates = false);

/// <summary>A document of the batch that is not ingested: the existing document (or the batch's earlier item) that has its content.</summary>
public sealed record DuplicateOf(Guid Id, int Revision, string ETag, int? EarlierItem = null);

public sealed record IngestBatch(IReadOnlyList<IngestDocument> Documents)
{
    /// <summary>By position in <see cref="Documents"/>: the documents not to ingest (<see cref="IngestBatchRequest.SkipDuplicates"/>).</summary>
    public IReadOnlyDictionary<int, DuplicateOf> Duplicates { get; init; } = new Dictionary<int, DuplicateOf>();
}

/// <summary>What a batch recorded, in the order sent: each document's id, revision, ETag and URL.</summary>
public sealed record IngestBatchResource(IReadOnlyList<IngestBatchItem> Items) : IHttpAware
{
    public void Apply(HttpContext context) => context.Response.StatusCode = StatusCodes.Status201Created;

    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder) { }
}

public sealed record IngestBatchItem(Guid Id, int Revision, [property: JsonPropertyName("etag")] string ETag, string Location, string ContentDigest,
    bool Duplicate = false);

public static class IngestBatches
{
    public const int MaxDocuments = 1000;

    public static ProblemDetails? Validate(IngestBatch batch, long maxContentBytes)
    {
        if (batch.Documents.Count is 0 or > MaxDocuments)
        {
            return Problems.InvalidDetails(new FieldErrors().Add("documents", $"Send between 1 and {MaxDocuments} documents in a batch."));
        }
        var errors = new FieldErrors();
        for (var i = 0; i < batch.Documents.Count; i++)
        {
            switch (Ingest.Validate(batch.Documents[i], maxContentBytes))
            {
                case ValidationProblemDetails problem:
                    errors.AddAll($"documents[{i}].", problem.Errors);
                    break;
                case { } other:
                    errors.Add($"documents[{i}]", other.Detail ?? other.Title ?? "Not a valid document.");
                    break;
            }
        }
        return errors.Any ? Problems.InvalidDetails(errors) : null;
    }

    /// <summary>Every document's decision, and the answer: the views as the inline projection will store them.</summary>
    public static (IngestBatchResource, RecordBatch) Record(IngestBatch batch, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var items = new List<IngestBatchItem>(batch.Documents.Count);
        var decided = new List<(DocumentIngested, StoreContent)>(batch.Documents.Count);
        for (var i = 0; i < batch.Documents.Count; i++)
        {
            if (batch.Duplicates.TryGetValue(i, out var duplicate))
            {
                items.Add(duplicate.EarlierItem is { } earlier
                    ? items[earlier] with { Duplicate = true }
                    : new IngestBatchItem(duplicate.Id, duplicate.Revision, duplicate.ETag, $"/api/documents/{duplicate.Id}",
                        batch.Documents[i].Upload!.Digest, Duplicate: true));
                continue;
            }
            var d = Ingest.Decide(batch.Documents[i]);
            decided.Add(d);
            var view = DocumentViewProjection.Next(null, d.Ingested, now);
            items.Add(new IngestBatchItem(view.Id, view.Revision, view.ETag, $"/api/documents/{view.Id}", view.ContentDigest));
        }
        return (new IngestBatchResource(items), new RecordBatch(decided));
    }
}

/// <summary>The batch's side effect: one new stream per document and its content, in the request's one transaction.</summary>
public sealed record RecordBatch(IReadOnlyList<(DocumentIngested Ingested, StoreContent Store)> Documents) : IMartenOp
{
    public void Execute(IDocumentSession session)
    {
        foreach (var (ingested, _) in Documents) session.Events.StartStream<DocumentView>(ingested.DocumentId, ingested);
        InsertContent.Queue(session, Documents.Select(d => d.Store.Content));
    }
}

/// <summary>POST /api/documents/batch: JSON <c>{"documents":[…]}</c>, each as the JSON body of <c>POST /api/documents</c>.</summary>
public static class IngestBatchEndpoint
{
    public static async Task<(IngestBatch?, ProblemDetails)> LoadAsync(HttpRequest request, ClaimsPrincipal user, Identifiers ids,
        IOptions<ProvenanceOptions> options)
    {
        var (body, problem) = await DocumentRequests.ReadJsonAsync<IngestBatchRequest>(request, RequestBodies.JsonLimit(options.Value));
        if (problem is not null) return (null, problem);
        var documents = body!.Documents ?? [];
        var errors = new FieldErrors();
        var commands = new List<IngestDocument>(documents.Count);
        for (var i = 0; i < documents.Count; i++)
        {
            var json = documents[i];
            if (json is null)
            {
                errors.Add($"documents[{i}]", "A document is required, not null.");
                continue;
            }
            var contentErrors = new FieldErrors();
            var upload = ContentInput.FromJson(json.Content, json.ContentBase64, json.MediaType, json.OriginalFileName, contentErrors);
            errors.AddAll($"documents[{i}].", contentErrors.ToDictionary());
            commands.Add(json with { DocumentId = ids.NewId(), Actor = user.Actor(), Upload = upload });
        }
        if (errors.Any) return (null, Problems.InvalidDetails(errors));
        var batch = new IngestBatch(commands);
        if (body.SkipDuplicates && IngestBatches.Validate(batch, options.Value.MaxContentBytes) is null)
        {
            var services = request.HttpContext.RequestServices;
            batch = batch with
            {
                Duplicates = await DuplicatesAsync(commands, services.GetRequiredService<ContentStore>(), services.GetRequiredService<IQuerySession>(),
                    services.GetRequiredService<DocumentRecords>(), request.HttpContext.RequestAborted),
            };
        }
        return (batch, WolverineContinue.NoProblems);
    }

    /// <summary>
    /// The documents a document of the same title and language already has the content of, or that repeat an earlier one of the batch.
    /// New content (the usual case) costs one primary-key lookup of the content store for the whole batch; only content the store
    /// already holds is looked up by title.
    /// </summary>
    static async Task<IReadOnlyDictionary<int, DuplicateOf>> DuplicatesAsync(IReadOnlyList<IngestDocument> commands, ContentStore contents,
        IQuerySession session, DocumentRecords records, CancellationToken ct)
    {
        static (string, string, string) KeyOf(IngestDocument c) => (c.Title!.Trim(), Languages.Parse(c.Language).Tag!.ToLowerInvariant(), c.Upload!.Digest);
        var duplicates = new Dictionary<int, DuplicateOf>();
        var stored = await contents.ExistingAsync(commands.Select(c => c.Upload!.Digest).ToList(), ct);
        var titles = commands.Where(c => stored.Contains(c.Upload!.Digest)).Select(c => c.Title!.Trim()).Distinct().ToArray();
        var views = titles.Length == 0 ? [] : await session.Query<DocumentView>().Where(v => v.Title.IsOneOf(titles)).ToListAsync(ct);
        var seen = new Dictionary<(string, string, string), int>();
        for (var i = 0; i < commands.Count; i++)
        {
            var key = KeyOf(commands[i]);
            if (seen.TryGetValue(key, out var earlier))
            {
                duplicates[i] = duplicates.TryGetValue(earlier, out var first) ? first : new DuplicateOf(commands[earlier].DocumentId, 1, "", earlier);
                continue;
            }
            seen[key] = i;
            foreach (var view in views.Where(v => v.Title == key.Item1 && v.Language.Equals(key.Item2, StringComparison.OrdinalIgnoreCase)))
            {
                if (view.ContentDigest == key.Item3 || (await records.RevisionsAsync(view.Id, ct)).Any(r => r.ContentDigest == key.Item3))
                {
                    duplicates[i] = new DuplicateOf(view.Id, view.Revision, view.ETag);
                    break;
                }
            }
        }
        return duplicates;
    }

    public static ProblemDetails Validate(IngestBatch batch, IOptions<ProvenanceOptions> options)
        => IngestBatches.Validate(batch, options.Value.MaxContentBytes) ?? WolverineContinue.NoProblems;

    [WolverinePost("/api/documents/batch"), Authorize(Roles = Roles.Contributor), Idempotent]
    public static (IngestBatchResource, RecordBatch) Post([NotBody] IngestBatch batch, TimeProvider clock) => IngestBatches.Record(batch, clock);
}
