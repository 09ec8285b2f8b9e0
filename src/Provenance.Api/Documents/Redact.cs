using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.EventStore;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Provenance.Api.Ledger;
using Provenance.Ledger;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;
using Wolverine.Http;
using Wolverine.Marten;

namespace Provenance.Api.Documents;

/// <summary>
/// Erase content (revisions, translations) and field values of earlier events under a legal basis (GDPR art. 17, a court order, a
/// takedown). The ledger keeps every leaf: format-2 events keep their fields' commitments (README of Provenance.Ledger §2a), an erased
/// format-1 event keeps its leaf hash and is reported as not recomputable. Every copy of what was erased goes in the same transaction.
/// </summary>
public sealed record RedactDocument(List<int>? Revisions, List<RedactTranslationTarget>? Translations, List<RedactFieldTarget>? Fields,
    string? Reason, RedactLegalBasis? LegalBasis, string? Reference)
{
    [JsonIgnore] public Guid DocumentId { get; init; }
    [JsonIgnore] public string Actor { get; init; } = "";
}

public sealed record RedactTranslationTarget(string? Language, int? SourceRevision);
public sealed record RedactFieldTarget(long? Version, string? Field);
public sealed record RedactLegalBasis(string? Code, string? Text);

/// <summary>A redaction as the API shows it; 201 with <c>Location</c> when recorded, 200 when the same request was already answered.</summary>
public sealed record RedactionResource(Guid Id, Guid DocumentId, DateTimeOffset RedactedAt, string RedactedBy, string Reason, LegalBasis LegalBasis,
    string? Reference, IReadOnlyList<RedactedRevision> Revisions, IReadOnlyList<RedactedTranslation> Translations, IReadOnlyList<RedactedField> Fields,
    string Placeholder, long Version) : IHttpAware
{
    [JsonIgnore] public bool Created { get; init; }

    public static RedactionResource From(Guid documentId, RedactionState r) => new(r.Id, documentId, r.RedactedAt, r.RedactedBy, r.Reason, r.LegalBasis,
        r.Reference, r.Revisions, r.Translations, r.Fields, r.Placeholder, r.Version);

    void IHttpAware.Apply(HttpContext context)
    {
        context.Response.StatusCode = Created ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        if (Created) context.Response.Headers.Location = $"/api/documents/{DocumentId}/redactions/{Id}";
    }

    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder) { }
}

/// <summary>What a redaction will do, worked out from the stream before anything is written: the event and every copy to purge.</summary>
public sealed record RedactionPlan(
    string RequestDigest,
    IReadOnlyList<RedactedRevision> Revisions,
    IReadOnlyList<RedactedTranslation> Translations,
    IReadOnlyList<RedactedField> Fields,
    string Placeholder,
    IReadOnlyList<(long Sequence, string Data)> MaskedEvents,
    IReadOnlyList<(long Sequence, string Path)> DroppedSalts,
    IReadOnlyList<(long Sequence, string Property)> AuditFields,
    IReadOnlyList<(string Principal, string Key, byte[] Body)> IdempotentBodies,
    IReadOnlyList<(long Bundle, byte[] Old, byte[] New)> BundleEntries);

public static class LegalBasisCodes
{
    /// <summary>The codes a client will usually send; any lower-case slug is accepted, so an archive can name its own.</summary>
    public static readonly IReadOnlyList<string> Common = ["gdpr-art17", "court-order", "copyright"];

    public static bool IsSlug(string code) => code.Length is >= 2 and <= 64 && code.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
                                              && char.IsAsciiLetterOrDigit(code[0]);
}

public static class Redact
{
    public const int ReferenceLength = 300;

    /// <summary>Field errors of the request itself (before the stream is read), or the bad-input problem.</summary>
    public static ProblemDetails? ValidateShape(RedactDocument c)
    {
        var errors = new FieldErrors();
        if ((c.Revisions?.Count ?? 0) + (c.Translations?.Count ?? 0) + (c.Fields?.Count ?? 0) == 0)
        {
            errors.Add("revisions", "Name at least one of 'revisions', 'translations' or 'fields' to erase.");
        }
        if ((c.Revisions?.Count ?? 0) + (c.Translations?.Count ?? 0) + (c.Fields?.Count ?? 0) > 1000)
        {
            errors.Add("fields", "A redaction names at most 1000 items.");
        }
        errors.Require("reason", c.Reason, FieldLimits.Reason, multiLine: true);
        if (c.LegalBasis is null) errors.Add("legalBasis", "'legalBasis' is required: {\"code\": \"gdpr-art17\", \"text\": \"…\"}.");
        else
        {
            errors.Require("legalBasis.code", c.LegalBasis.Code, 64);
            if (c.LegalBasis.Code is { } code && !LegalBasisCodes.IsSlug(code))
            {
                errors.Add("legalBasis.code", $"'legalBasis.code' is a lower-case slug such as {string.Join(", ", LegalBasisCodes.Common)}.");
            }
            errors.Optional("legalBasis.text", c.LegalBasis.Text, FieldLimits.Reason, multiLine: true);
        }
        errors.Optional("reference", c.Reference, ReferenceLength);
        foreach (var (t, i) in (c.Translations ?? []).Select((t, i) => (t, i)))
        {
            if (t is null || t.Language is null || t.SourceRevision is null) errors.Add($"translations[{i}]", "Each translation names 'language' and 'sourceRevision'.");
        }
        foreach (var (f, i) in (c.Fields ?? []).Select((f, i) => (f, i)))
        {
            if (f is null || f.Version is null || f.Field is null) errors.Add($"fields[{i}]", "Each field names 'version' and 'field'.");
            else if (!SealedFields.PathOf.ContainsKey(f.Field))
            {
                errors.Add($"fields[{i}].field", $"'{f.Field}' cannot be erased; the erasable fields are {string.Join(", ", SealedFields.PathOf.Keys)}.");
            }
        }
        return errors.Any ? Problems.InvalidDetails(errors) : null;
    }

    /// <summary>The identity of a request: the SHA-256 of its normalised content, so the same request again is answered, not repeated.</summary>
    public static string DigestOf(RedactDocument c)
    {
        var normal = new
        {
            revisions = (c.Revisions ?? []).Distinct().Order().ToArray(),
            translations = (c.Translations ?? []).Select(t => $"{t.Language!.ToLowerInvariant()}@{t.SourceRevision}").Distinct().Order(StringComparer.Ordinal).ToArray(),
            fields = (c.Fields ?? []).Select(f => $"{f.Version}:{f.Field}").Distinct().Order(StringComparer.Ordinal).ToArray(),
            reason = c.Reason!.Trim(), code = c.LegalBasis!.Code, text = c.LegalBasis.Text?.Trim(), reference = c.Reference?.Trim(),
        };
        return Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Canonicalize(JsonSerializer.Serialize(normal))));
    }

    public static ProblemDetails? HoldProblem(DocumentView document, DateTimeOffset now, string what)
        => document.ActiveHold(now) is { } hold
            ? Problems.Details(Problems.LegalHold,
                $"Legal hold {hold.Id} (\"{hold.Reason}\", placed {hold.PlacedAt:yyyy-MM-dd} by {hold.PlacedBy}{(hold.Until is { } u ? $", until {u:yyyy-MM-dd}" : "")}) forbids {what}; nothing was changed.",
                extensions: new Dictionary<string, object?> { ["holdId"] = hold.Id, ["holdReason"] = hold.Reason, ["until"] = hold.Until })
            : null;

    /// <summary>
    /// Resolves the request against the document's stream: every named revision, translation and field must exist (422 otherwise), and the
    /// masked payloads, the dropped salts and the copies to purge are computed here, so the handler only records them.
    /// </summary>
    public static async Task<(RedactionPlan?, ProblemDetails?)> PlanAsync(RedactDocument c, DateTimeOffset now, StoredEvents store, EventTypeNames names,
        LedgerDatabase ledger, string schema, CancellationToken ct)
    {
        var events = await store.OfStreamAsync(c.DocumentId, ct);
        if (events.Count == 0) return (null, null);
        var records = new DocumentRecords(store, names);
        var all = await records.AllAsync(c.DocumentId, ct);
        var errors = new FieldErrors();
        var placeholder = Placeholders.For(now, c.LegalBasis!.Code!);

        var revisions = new List<RedactedRevision>();
        foreach (var (n, i) in (c.Revisions ?? []).Distinct().Select((n, i) => (n, i)))
        {
            if (all.Revisions.FirstOrDefault(r => r.Revision == n) is { } r) revisions.Add(new RedactedRevision(n, r.Version, r.ContentDigest));
            else errors.Add($"revisions[{i}]", $"Revision {n} does not exist.");
        }
        var translations = new List<RedactedTranslation>();
        foreach (var (t, i) in (c.Translations ?? []).Select((t, i) => (t, i)))
        {
            var matching = all.Translations.Where(x => string.Equals(x.Language, t.Language, StringComparison.OrdinalIgnoreCase) && x.SourceRevision == t.SourceRevision).ToList();
            if (matching.Count == 0) errors.Add($"translations[{i}]", $"There is no translation of revision {t.SourceRevision} into '{t.Language}'.");
            translations.AddRange(matching.Where(m => translations.All(x => x.Version != m.Version))
                .Select(m => new RedactedTranslation(m.Language, m.SourceRevision, m.Version, m.ContentDigest)));
        }

        var fields = new List<RedactedField>();
        var masked = new Dictionary<long, JsonObject>();
        var erasedValues = new List<string>();
        var drops = new List<(long, string)>();
        var audit = new List<(long, string)>();
        foreach (var (f, i) in (c.Fields ?? []).Select((f, i) => (f, i)).DistinctBy(x => (x.f.Version, x.f.Field)))
        {
            var e = events.FirstOrDefault(x => x.Version == f.Version);
            var path = SealedFields.PathOf[f.Field!];
            if (e is null || !SealedFields.For(e.Type, names).Contains(path))
            {
                errors.Add($"fields[{i}]", e is null ? $"Event {f.Version} does not exist." : $"Event {f.Version} ({e.Type}) has no field '{f.Field}'.");
                continue;
            }
            var root = masked.TryGetValue(e.Sequence, out var m) ? m : (JsonObject)JsonNode.Parse(e.Data)!;
            var names2 = path.Split('.');
            var parent = names2[..^1].Aggregate<string, JsonObject?>(root, (o, n) => o?[n] as JsonObject);
            if (parent?[names2[^1]] is not { } value)
            {
                errors.Add($"fields[{i}]", $"Event {f.Version} has no value for '{f.Field}'.");
                continue;
            }
            erasedValues.AddRange(value is JsonArray array ? array.Select(x => x?.GetValue<string>() ?? "") : [value.GetValue<string>()]);
            parent[names2[^1]] = value is JsonArray ? new JsonArray(placeholder) : JsonValue.Create(placeholder);
            masked[e.Sequence] = root;
            fields.Add(new RedactedField(f.Version!.Value, f.Field!, path));
            drops.Add((e.Sequence, path));
            if (f.Field is "reason") audit.Add((e.Sequence, "reason"));
            if (f.Field is "claimQuote") audit.Add((e.Sequence, "claimQuote"));
        }
        if (errors.Any) return (null, Problems.InvalidDetails(errors));

        var maskedEvents = masked.Select(p => (p.Key, p.Value.ToJsonString())).ToList();
        if (!await LeafedAsync(ledger, c.DocumentId, masked.Keys.ToList(), ct))
        {
            return (null, Problems.Details(Problems.LedgerBehind,
                "The events to erase are not committed to the ledger's tree yet (it follows within about a second); nothing was changed. Retry shortly.",
                extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = 1 }));
        }
        var bodies = await IdempotentBodiesAsync(ledger.DataSource, schema, c.DocumentId, erasedValues, placeholder, ct);
        var bundles = await FormatOneEntriesAsync(ledger, events, maskedEvents, ct);
        return (new RedactionPlan(DigestOf(c), revisions, translations, fields, placeholder, maskedEvents, drops, audit, bodies, bundles), null);
    }

    /// <summary>
    /// Whether every event whose fields are to be erased already has its leaf (and so its seals, written in the same transaction), waiting a
    /// few seconds for the daemon if not: erasing a field while the Merkle subscription is sealing it would commit the old value's salt.
    /// </summary>
    static async Task<bool> LeafedAsync(LedgerDatabase ledger, Guid id, IReadOnlyList<long> sequences, CancellationToken ct)
    {
        for (var attempt = 0; sequences.Count > 0; attempt++)
        {
            var leafed = (await ledger.LeavesOfStreamAsync(id, ct)).Select(l => l.Sequence).ToHashSet();
            if (sequences.All(leafed.Contains)) return true;
            if (attempt == 50) return false;
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        }
        return true;
    }

    /// <summary>Stored idempotent responses that mention the document, with every erased value replaced by the placeholder.</summary>
    static async Task<IReadOnlyList<(string, string, byte[])>> IdempotentBodiesAsync(NpgsqlDataSource dataSource, string schema, Guid id,
        IReadOnlyList<string> erased, string placeholder, CancellationToken ct)
    {
        var values = erased.Where(v => v.Length > 0).Distinct().OrderByDescending(v => v.Length).ToList();
        if (values.Count == 0) return [];
        await using var command = dataSource.CreateCommand(
            $"select principal, key, body from {schema}.{IdempotentResponses.TableName} where position(convert_to($1, 'UTF8') in body) > 0");
        command.Parameters.Add(new NpgsqlParameter { Value = id.ToString() });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var result = new List<(string, string, byte[])>();
        while (await reader.ReadAsync(ct))
        {
            var body = (byte[])reader[2];
            if (JsonNode.Parse(body) is not { } json) continue;
            if (Replace(json, values, placeholder)) result.Add((reader.GetString(0), reader.GetString(1), Encoding.UTF8.GetBytes(json.ToJsonString())));
        }
        return result;

        static bool Replace(JsonNode node, IReadOnlyList<string> values, string placeholder)
        {
            var changed = false;
            switch (node)
            {
                case JsonObject o:
                    foreach (var (key, child) in o.ToList())
                    {
                        if (child is JsonValue v && v.TryGetValue<string>(out var s) && Scrub(s, values, placeholder) is { } scrubbed) { o[key] = scrubbed; changed = true; }
                        else if (child is not null) changed |= Replace(child, values, placeholder);
                    }
                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        if (a[i] is JsonValue v && v.TryGetValue<string>(out var s) && Scrub(s, values, placeholder) is { } scrubbed) { a[i] = scrubbed; changed = true; }
                        else if (a[i] is { } child) changed |= Replace(child, values, placeholder);
                    }
                    break;
            }
            return changed;
        }

        static string? Scrub(string s, IReadOnlyList<string> values, string placeholder)
        {
            var result = values.Aggregate(s, (acc, v) => acc.Replace(v, placeholder, StringComparison.Ordinal));
            return result == s ? null : result;
        }
    }

    /// <summary>
    /// For an erased event whose leaf is format 1, the entry bundle publishes its payload: the entry is rewritten from the masked payload
    /// (so it no longer hashes to its leaf, README of Provenance.Ledger §2a). Format-2 entries carry only a digest and stay as they are.
    /// </summary>
    static async Task<IReadOnlyList<(long, byte[], byte[])>> FormatOneEntriesAsync(LedgerDatabase ledger, IReadOnlyList<EventStore.StoredEvent> events,
        IReadOnlyList<(long Sequence, string Data)> masked, CancellationToken ct)
    {
        if (masked.Count == 0) return [];
        var leaves = (await ledger.LeavesOfStreamAsync(events[0].StreamId, ct)).Where(l => l.Format == LeafEncoding.FormatVersion)
            .ToDictionary(l => l.Sequence);
        var affected = masked.Where(m => leaves.ContainsKey(m.Sequence)).ToList();
        if (affected.Count == 0) return [];
        var entries = await ledger.EntriesAsync(affected.Select(m => leaves[m.Sequence].LeafIndex).ToList(), ct);
        var result = new List<(long, byte[], byte[])>();
        foreach (var (sequence, data) in affected)
        {
            var leaf = leaves[sequence];
            if (!entries.TryGetValue(leaf.LeafIndex, out var old)) continue;
            var e = events.First(x => x.Sequence == sequence);
            var row = e with { Data = data, Seals = null };
            var encoded = LeafEncoding.Encode(row.ToEntry(leaf.ChainPrev).Entry);
            result.Add((leaf.LeafIndex / TlogTiles.Width, EntryBundle.Encode([old]), EntryBundle.Encode([encoded])));
        }
        return result;
    }

    public static (RedactionResource, Events, EraseCopies) Record(RedactDocument c, DocumentView document, RedactionPlan plan, ContentStore contents,
        TimeProvider clock)
    {
        if (document.Redactions.FirstOrDefault(r => r.RequestDigest == plan.RequestDigest) is { } earlier)
        {
            return (RedactionResource.From(document.Id, earlier), [], new EraseCopies(null, contents));
        }
        var redacted = new DocumentRedacted(document.Id, Guid.CreateVersion7(), plan.Revisions, plan.Translations, plan.Fields, c.Reason!.Trim(),
            new LegalBasis(c.LegalBasis!.Code!, c.LegalBasis.Text?.Trim()), c.Reference?.Trim(), plan.RequestDigest, c.Actor) { Placeholder = plan.Placeholder };
        var after = DocumentViewProjection.Next(document, redacted, clock.GetUtcNow());
        return (RedactionResource.From(document.Id, after.Redactions[^1]) with { Created = true }, [redacted], new EraseCopies(plan, contents) { DocumentId = document.Id });
    }
}

/// <summary>
/// The purge, in the transaction of the <see cref="DocumentRedacted"/> event: masked payloads in <c>mt_events</c>, dropped salts, audit
/// entries, search text, idempotent responses, format-1 entry bundles, content bytes (unless another document still holds the digest)
/// and the content cache. Marten's own masking (<c>ApplyEventDataMasking</c>) applies one rule per event type to whole streams or
/// queries; a redaction erases named fields of named versions, so the payloads are rewritten here by sequence. These are the only
/// writes to Marten's tables outside Marten; they are queued on the session (one batch, one transaction), so they stay SQL here rather
/// than beside the reads in <see cref="EventStore.StoredEvents"/>.
/// </summary>
public sealed record EraseCopies(RedactionPlan? Plan, ContentStore Contents) : IMartenOp
{
    public Guid DocumentId { get; init; }

    public void Execute(IDocumentSession session)
    {
        if (Plan is not { } plan) return;
        var schema = session.DocumentStore.Options.DatabaseSchemaName;
        foreach (var (sequence, data) in plan.MaskedEvents)
        {
            session.QueueSqlCommand($"update {schema}.mt_events set data = ?::jsonb where seq_id = ?", data, sequence);
        }
        if (plan.DroppedSalts.Count > 0)
        {
            session.QueueSqlCommand(
                $"update {schema}.{LedgerTables.FieldSeals} s set salt = null from unnest(?::bigint[], ?::text[]) d(seq_id, path) where s.seq_id = d.seq_id and s.path = d.path",
                plan.DroppedSalts.Select(d => d.Sequence).ToArray(), plan.DroppedSalts.Select(d => d.Path).ToArray());
        }
        foreach (var (sequence, property) in plan.AuditFields)
        {
            session.QueueSqlCommand($"update {schema}.mt_doc_auditentry set data = jsonb_set(data, ?::text[], to_jsonb(?::text)) where id = ?",
                new[] { property }, plan.Placeholder, sequence);
        }
        foreach (var (principal, key, body) in plan.IdempotentBodies)
        {
            session.QueueSqlCommand($"update {schema}.{IdempotentResponses.TableName} set body = ? where principal = ? and key = ?", body, principal, key);
        }
        foreach (var (bundle, old, replacement) in plan.BundleEntries)
        {
            session.QueueSqlCommand(
                $"update {schema}.{LedgerTables.EntryBundles} set entries = overlay(entries placing ? from position(? in entries) for ?) " +
                "where idx = ? and position(? in entries) > 0", replacement, old, old.Length, bundle, old);
        }

        var contents = plan.Revisions.Select(r => (r.Version, r.ContentDigest)).Concat(plan.Translations.Select(t => (t.Version, t.ContentDigest))).ToList();
        if (contents.Count == 0) return;
        var digests = contents.Select(x => x.ContentDigest).Distinct().ToArray();
        session.QueueSqlCommand(
            $"insert into {schema}.{ContentRedactions.TableName} (stream_id, version, digest) select ?, * from unnest(?::bigint[], ?::text[]) on conflict do nothing",
            DocumentId, contents.Select(x => x.Version).ToArray(), contents.Select(x => x.ContentDigest).ToArray());
        session.QueueSqlCommand($"delete from {schema}.{Audit.SearchIndex.TableName} where document_id = ? and content_digest = any(?)", DocumentId, digests);
        // Bytes another document still holds (by a record not itself erased) stay; this document's access to them has ended all the same.
        session.QueueSqlCommand($"""
            delete from {schema}.{ContentStore.TableName} b where b.digest = any(?) and not exists (
                select 1 from {schema}.mt_events e where e.stream_id <> ? and e.data ->> 'contentDigest' = b.digest
                and not exists (select 1 from {schema}.{ContentRedactions.TableName} r where r.stream_id = e.stream_id and r.version = e.version))
            """, digests, DocumentId);
        foreach (var digest in digests) Contents.Forget(digest);
    }
}

/// <summary>Which content records were erased (by stream and version): what the content store's purge and the reads consult.</summary>
public static class ContentRedactions
{
    public const string TableName = "content_redactions";

    public static Table SchemaObject(string schema)
    {
        var table = new Table(new PostgresqlObjectName(schema, TableName, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<Guid>("stream_id").AsPrimaryKey();
        table.AddColumn<long>("version").AsPrimaryKey();
        table.AddColumn<string>("digest").NotNull();
        table.Indexes.Add(new IndexDefinition($"ix_{TableName}_digest") { Columns = ["digest"] });
        return table;
    }
}

/// <summary>POST /api/documents/{id}/redactions (steward, admin).</summary>
public static class RedactEndpoint
{
    public static async Task<(RedactDocument?, RedactionPlan?, ProblemDetails)> LoadAsync(Guid id, HttpRequest request, ClaimsPrincipal user,
        IOptions<ProvenanceOptions> options, StoredEvents store, EventTypeNames names, LedgerDatabase ledger, TimeProvider clock)
    {
        var (body, problem) = await DocumentRequests.ReadJsonAsync<RedactDocument>(request, 1024 * 1024);
        if (problem is not null) return (null, null, problem);
        var command = body! with { DocumentId = id, Actor = user.Actor() };
        if (Redact.ValidateShape(command) is { } invalid) return (null, null, invalid);
        var (plan, unresolved) = await Redact.PlanAsync(command, clock.GetUtcNow(), store, names, ledger, options.Value.Schema, request.HttpContext.RequestAborted);
        if (unresolved is not null) return (null, null, unresolved);
        if (plan is null) return (null, null, Problems.Details(Problems.NotFound, $"No document with id {id}."));
        return (command, plan, WolverineContinue.NoProblems);
    }

    public static ProblemDetails Validate(RedactDocument command, RedactionPlan? plan, DocumentView document, TimeProvider clock)
    {
        // The same request again is answered with the first redaction, hold or not: it changes nothing.
        if (plan is not null && document.Redactions.Any(r => r.RequestDigest == plan.RequestDigest)) return WolverineContinue.NoProblems;
        return Redact.HoldProblem(document, clock.GetUtcNow(), "erasing anything from it") ?? WolverineContinue.NoProblems;
    }

    /// <summary>Erases content and fields of the document; the same body again answers 200 with the first redaction and records nothing.</summary>
    [WolverinePost("/api/documents/{id}/redactions", OperationId = "redactDocument"), Authorize(Roles = Roles.Steward), Tags("Erasure")]
    [EndpointSummary("Erase content and named fields; every proof stays valid (the same body again answers the first redaction)")]
    [Contract.AcceptsBody(typeof(RedactDocument), "application/json", RequiredMembers = ["reason", "legalBasis"])]
    [ProducesResponseType<RedactionResource>(StatusCodes.Status201Created)]
    [ProducesResponseType<RedactionResource>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    public static (RedactionResource, Events, EraseCopies) Post([NotBody] RedactDocument command, [NotBody] RedactionPlan plan,
        [WriteAggregate("id")] DocumentView document, ContentStore contents, TimeProvider clock) => Redact.Record(command, document, plan, contents, clock);
}

public static class ListRedactionsEndpoint
{
    /// <summary>Every redaction of the document, oldest first.</summary>
    [WolverineGet("/api/documents/{id}/redactions", OperationId = "listRedactions"), Authorize(Roles = Roles.Steward + "," + Roles.Auditor), Tags("Erasure")]
    [EndpointSummary("Every redaction of a document, oldest first")]
    [ProducesResponseType<IReadOnlyList<RedactionResource>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> List(Guid id, IQuerySession session, CancellationToken ct)
        => await session.LoadAsync<DocumentView>(id, ct) is { } view
            ? Results.Ok(view.Redactions.Select(r => RedactionResource.From(id, r)).ToList())
            : Problems.DocumentNotFound(id);
}

/// <summary>How reads answer for what was erased or withdrawn.</summary>
public static class ErasedReads
{
    /// <summary>410 <c>redacted</c>, with the date and basis in <c>detail</c> and as extension members.</summary>
    public static IResult Gone(RedactionState r, string what) => Problems.Result(Problems.Redacted,
        $"The content of {what} was erased on {r.RedactedAt:yyyy-MM-dd} under {r.LegalBasis.Code}{(r.LegalBasis.Text is { } t ? $" ({t})" : "")}; its digest and ledger entry remain.",
        extensions: new Dictionary<string, object?>
        {
            ["redactedAt"] = r.RedactedAt, ["legalBasis"] = r.LegalBasis, ["redactionId"] = r.Id,
        });

    /// <summary>
    /// 451 (RFC 7725) for a withdrawn document, unless <paramref name="user"/> is an auditor or steward (admins hold both roles); null when
    /// it may be read.
    /// </summary>
    /// <summary>Auditors and stewards (admins hold both) read withdrawn documents and see them in lists and search.</summary>
    public static bool SeesWithdrawn(ClaimsPrincipal user) => user.IsInRole(Roles.Auditor) || user.IsInRole(Roles.Steward);

    public static IResult? Withdrawn(DocumentView view, ClaimsPrincipal user, HttpResponse response)
    {
        if (view.Withdrawal is not { } w || user.IsInRole(Roles.Auditor) || user.IsInRole(Roles.Steward)) return null;
        // RFC 7725 §3: a Link with rel="blocked-by" may name who requires the block; we name the legal basis in the problem instead.
        return Problems.Result(Problems.Withdrawn,
            $"Document {view.Id} was withdrawn from view on {w.WithdrawnAt:yyyy-MM-dd} under {w.LegalBasis.Code}{(w.LegalBasis.Text is { } t ? $" ({t})" : "")}.",
            extensions: new Dictionary<string, object?> { ["withdrawnAt"] = w.WithdrawnAt, ["legalBasis"] = w.LegalBasis, ["reference"] = w.Reference });
    }
}
