using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Audit;

/// <summary>
/// The searchable text of every document: one row for its current revision and one per translated language (the latest
/// translation), with a tsvector under the text search configuration of that language. Binary content is not indexed.
/// </summary>
public static class SearchIndex
{
    public const string TableName = "search_texts";
    public const string Revision = "revision";
    public const string Translation = "translation";

    /// <summary>PostgreSQL text search configuration for a language tag: stemming where PostgreSQL has it for us, else <c>simple</c>.</summary>
    public static string ConfigurationFor(string language) => language.Split('-')[0].ToLowerInvariant() switch
    {
        "en" => "english",
        "fr" => "french",
        _ => "simple",
    };

    public static Table SchemaObject(string schema)
    {
        var table = new Table(new PostgresqlObjectName(schema, TableName, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<Guid>("document_id").AsPrimaryKey();
        table.AddColumn<string>("kind").AsPrimaryKey();
        table.AddColumn<string>("language").AsPrimaryKey();
        table.AddColumn<int>("revision").NotNull();
        table.AddColumn<string>("content_digest").NotNull();
        table.AddColumn("config", "regconfig").NotNull();
        table.AddColumn<string>("body").NotNull();
        table.AddColumn("tsv", "tsvector").NotNull();
        table.Indexes.Add(new IndexDefinition($"ix_{TableName}_tsv") { Method = IndexMethod.gin, Columns = ["tsv"] });
        return table;
    }
}

/// <summary>Keeps <see cref="SearchIndex"/> in the same transaction as the event; the text is read from the content store in SQL.</summary>
public sealed partial class SearchIndexProjection(string schema) : EventProjection
{
    private string Upsert(string languageSql) => $"""
        insert into {schema}.{SearchIndex.TableName} as s (document_id, kind, language, revision, content_digest, config, body, tsv)
        select ?, ?, l.language, ?, b.digest, l.config::regconfig, convert_from(b.bytes, 'UTF8'), to_tsvector(l.config::regconfig, convert_from(b.bytes, 'UTF8'))
        from {schema}.{ContentStore.TableName} b, ({languageSql}) l(language, config)
        where b.digest = ? and position('\x00'::bytea in b.bytes) = 0
        on conflict (document_id, kind, language) do update set revision = excluded.revision, content_digest = excluded.content_digest,
            config = excluded.config, body = excluded.body, tsv = excluded.tsv
        """;

    public void Project(IEvent<DocumentIngested> e, IDocumentOperations ops)
    {
        if (!MediaTypes.IsText(e.Data.MediaType)) return;
        ops.QueueSqlCommand(Upsert("select ?::text, ?::text"), e.StreamId, SearchIndex.Revision, 1, e.Data.Language,
            SearchIndex.ConfigurationFor(e.Data.Language), e.Data.ContentDigest);
    }

    public void Project(IEvent<DocumentEdited> e, IDocumentOperations ops)
    {
        if (!MediaTypes.IsText(e.Data.MediaType))
        {
            ops.QueueSqlCommand($"delete from {schema}.{SearchIndex.TableName} where document_id = ? and kind = ?", e.StreamId, SearchIndex.Revision);
            return;
        }
        // The edit does not restate the language: it is the document's, from the view (the ingestion committed before), read inside the
        // queued upsert itself (no round trip), hence SQL on Marten's view table.
        var language = $"""
            select v.data ->> 'language', case split_part(lower(v.data ->> 'language'), '-', 1) when 'en' then 'english' when 'fr' then 'french' else 'simple' end
            from {schema}.mt_doc_documentview v where v.id = ?
            """;
        ops.QueueSqlCommand(Upsert(language), e.StreamId, SearchIndex.Revision, e.Data.Revision, e.StreamId, e.Data.ContentDigest);
    }

    public void Project(IEvent<DocumentTranslated> e, IDocumentOperations ops)
    {
        if (!MediaTypes.IsText(e.Data.MediaType))
        {
            ops.QueueSqlCommand($"delete from {schema}.{SearchIndex.TableName} where document_id = ? and kind = ? and language = ?",
                e.StreamId, SearchIndex.Translation, e.Data.Language);
            return;
        }
        ops.QueueSqlCommand(Upsert("select ?::text, ?::text"), e.StreamId, SearchIndex.Translation, e.Data.SourceRevision, e.Data.Language,
            SearchIndex.ConfigurationFor(e.Data.Language), e.Data.ContentDigest);
    }
}

public sealed record SearchHit(
    Guid DocumentId, string Title, string Kind, string Language, int Revision, string ContentDigest, double Rank, string Snippet, string Content);

public sealed record SearchResults(string Query, IReadOnlyList<SearchHit> Items);

public static class SearchEndpoint
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;
    private static readonly string[] Configurations = ["english", "french", "simple"];

    /// <summary>
    /// Full-text search (web-search syntax: words, "phrases", -exclusions, or) over the current text of every document and
    /// translation, best first, with the matches marked in a snippet by &lt;mark&gt;…&lt;/mark&gt;.
    /// </summary>
    [WolverineGet("/api/search", OperationId = "searchDocuments"), Authorize]
    [Tags(ApiTags.Search), EndpointSummary("Full-text search over current texts and translations")]
    [ProducesResponseType<SearchResults>(200, "application/json"), ProblemResponses(422)]
    public static async Task<IResult> Get(string? q, string? language, int? limit, int? offset, HttpContext context, Archives archives,
        IOptions<ProvenanceOptions> options)
    {
        var dataSource = archives.Current.DataSource;
        var errors = new FieldErrors();
        errors.Require("q", q, 500);
        var size = limit ?? DefaultLimit;
        if (size is < 1 or > MaxLimit) errors.Add("limit", $"'limit' must be between 1 and {MaxLimit}.");
        if (offset is < 0 or > 10_000) errors.Add("offset", "'offset' must be between 0 and 10000.");
        var tag = Languages.ParseOptional(language, "language", errors);
        if (errors.Any) return Problems.Invalid(errors);

        var hits = await QueryAsync(dataSource, options.Value.Schema, q!.Trim(), tag, size, offset ?? 0, context.RequestAborted,
            Documents.ErasedReads.SeesWithdrawn(context.User));
        return Results.Ok(new SearchResults(q.Trim(), hits));
    }

    /// <summary>
    /// The ranked hits for a validated query; snippets carry unescaped text with &lt;mark&gt; tags. Plain SQL: the search index is our
    /// own table (tsvector, ts_rank, ts_headline), joined to Marten's view table for titles and withdrawals in the same statement,
    /// which Marten's LINQ cannot express.
    /// </summary>
    public static async Task<IReadOnlyList<SearchHit>> QueryAsync(NpgsqlDataSource dataSource, string schema, string q, string? tag, int limit,
        int offset, CancellationToken ct, bool includeWithdrawn = true)
    {
        // One branch per configuration, each matching its rows against a query parsed the same way, so the GIN index serves every branch.
        var configurations = tag is null ? Configurations : [SearchIndex.ConfigurationFor(tag)];
        var branches = string.Join(" or ", configurations.Select(c => $"(s.config = '{c}'::regconfig and s.tsv @@ websearch_to_tsquery('{c}', $1))"));
        var sql = $"""
            select s.document_id, coalesce(v.data ->> 'title', ''), s.kind, s.language, s.revision, s.content_digest,
                   ts_rank(s.tsv, websearch_to_tsquery(s.config, $1)) as rank,
                   ts_headline(s.config, s.body, websearch_to_tsquery(s.config, $1), 'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=8, MaxFragments=2')
            from {schema}.{SearchIndex.TableName} s
            left join {schema}.mt_doc_documentview v on v.id = s.document_id
            where ({branches})
              and ($2::text is null or lower(s.language) = lower($2) or lower(s.language) like lower($2) || '-%')
              and ($5 or coalesce(jsonb_typeof(v.data -> 'withdrawal'), 'null') = 'null')
            order by rank desc, s.document_id, s.kind, s.language
            limit $3 offset $4
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = q });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tag ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        command.Parameters.Add(new NpgsqlParameter { Value = offset });
        command.Parameters.Add(new NpgsqlParameter { Value = includeWithdrawn });
        var hits = new List<SearchHit>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetGuid(0);
            var kind = reader.GetString(2);
            var hitLanguage = reader.GetString(3);
            var revision = reader.GetInt32(4);
            var content = kind == SearchIndex.Translation
                ? $"/api/documents/{id}/content?language={Uri.EscapeDataString(hitLanguage)}&revision={revision}"
                : $"/api/documents/{id}/content?revision={revision}";
            hits.Add(new SearchHit(id, reader.GetString(1), kind, hitLanguage, revision, reader.GetString(5), reader.GetFloat(6), reader.GetString(7), content));
        }
        return hits;
    }
}
