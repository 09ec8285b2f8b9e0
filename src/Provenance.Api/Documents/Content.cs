using System.Data;
using System.Security.Cryptography;
using System.Text;
using DiffPlex;
using Marten;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;
using Wolverine.Marten;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Documents;

public static class ContentDigest
{
    public const string Prefix = "sha256:";

    public static string Of(ReadOnlySpan<byte> bytes) => Prefix + Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The RFC 9530 <c>Repr-Digest</c> field value for a digest of ours.</summary>
    public static string ReprDigestHeader(string digest)
        => $"sha-256=:{Convert.ToBase64String(Convert.FromHexString(digest[Prefix.Length..]))}:";
}

/// <summary>
/// Content-addressed storage in PostgreSQL: each distinct content is stored once, keyed by its digest.
/// Writes join the Marten session's transaction, so content and the event naming it commit together.
/// </summary>
public sealed class ContentStore(Archives archives, string schema) : IDisposable
{
    /// <summary>The current archive's database (<see cref="CurrentArchive"/>).</summary>
    NpgsqlDataSource DataSource => archives.Current.DataSource;

    public const string TableName = "content_blobs";
    /// <summary>Contents up to this size are kept in memory once seen: an edit diffs against the revision just written.</summary>
    public const int CacheableBytes = 1024 * 1024;
    private string Table => $"{schema}.{TableName}";

    // Content is addressed by its hash, so a cached entry can never be stale; only verified bytes are cached.
    private readonly MemoryCache _recent = new(new MemoryCacheOptions { SizeLimit = 64L * 1024 * 1024 });

    public static Table SchemaObject(string schema)
    {
        var table = new Table(new PostgresqlObjectName(schema, TableName, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("digest").AsPrimaryKey();
        table.AddColumn<long>("size").NotNull();
        table.AddColumn("bytes", "bytea").NotNull();
        table.AddColumn("stored_at", "timestamptz").NotNull().DefaultValueByExpression("now()");
        return table;
    }

    /// <summary>Keeps bytes just written in memory (by digest): the next edit of the document diffs against them without a read.</summary>
    public void Remember(ContentSubmission content)
    {
        if (content.Size <= CacheableBytes && content.InMemory) Remember(content.Digest, content.ReadAllBytes());
    }

    /// <summary>
    /// The bytes named by <paramref name="digest"/>, from memory when recently written or read, else as <see cref="ReadAsync"/> reads
    /// them; null when the store has no such content.
    /// </summary>
    /// <exception cref="ContentFixityException">The stored bytes no longer hash to <paramref name="digest"/>.</exception>
    public async Task<byte[]?> GetAsync(string digest, CancellationToken ct)
        => _recent.TryGetValue(Key(digest), out byte[]? cached) ? cached : await ReadAsync(digest, ct);

    /// <summary>
    /// The stored bytes, always read from the table and hashed before they are returned: what is served to people, so that a
    /// corrupted row is found on the read that would have shown it, never hidden by a copy in memory. Null when unknown.
    /// </summary>
    /// <exception cref="ContentFixityException">The stored bytes no longer hash to <paramref name="digest"/>.</exception>
    public async Task<byte[]?> ReadAsync(string digest, CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand($"select bytes from {Table} where digest = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = digest, NpgsqlDbType = NpgsqlDbType.Text });
        if (await command.ExecuteScalarAsync(ct) is not byte[] bytes) return null;
        var actual = ContentDigest.Of(bytes);
        if (actual != digest) throw new ContentFixityException(digest, actual);
        Remember(digest, bytes);
        return bytes;
    }

    private void Remember(string digest, byte[] bytes)
    {
        if (bytes.Length <= CacheableBytes) _recent.Set(Key(digest), bytes, new MemoryCacheEntryOptions { Size = bytes.Length });
    }

    /// <summary>Drops cached bytes: their content was erased (a redaction), and nothing on this node may serve them again.</summary>
    public void Forget(string digest) => _recent.Remove(Key(digest));

    /// <summary>A cached content is the current archive's: another archive holding the same bytes has its own row to read (and to erase).</summary>
    (string Archive, string Digest) Key(string digest) => (archives.Current.Id, digest);

    public void Dispose() => _recent.Dispose();

    /// <summary>
    /// Streams stored bytes to <paramref name="destination"/> without holding them; false when the digest is unknown. PostgreSQL hashes
    /// the same row version in the same statement, so the check is made before the first byte is copied.
    /// </summary>
    /// <exception cref="ContentFixityException">The stored bytes no longer hash to <paramref name="digest"/>; nothing was copied.</exception>
    /// <summary>Which of <paramref name="digests"/> the store holds: one primary-key lookup for a whole batch.</summary>
    public async Task<IReadOnlySet<string>> ExistingAsync(IReadOnlyCollection<string> digests, CancellationToken ct)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (digests.Count == 0) return found;
        await using var command = DataSource.CreateCommand($"select digest from {Table} where digest = any($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = digests.Distinct().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) found.Add(reader.GetString(0));
        return found;
    }

    public async Task<bool> CopyToAsync(string digest, Stream destination, CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand($"select 'sha256:' || encode(sha256(bytes), 'hex'), bytes from {Table} where digest = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = digest, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        if (!await reader.ReadAsync(ct)) return false;
        var actual = reader.GetString(0);
        if (actual != digest) throw new ContentFixityException(digest, actual);
        await using var stream = reader.GetStream(1);
        await stream.CopyToAsync(destination, ct);
        return true;
    }
}

/// <summary>Stored bytes no longer hash to the digest that names them: evidence of corruption or tampering, never served.</summary>
public sealed class ContentFixityException(string digest, string actual)
    : Exception($"Stored content {digest} now hashes to {actual}.")
{
    public string Digest { get; } = digest;
    public string Actual { get; } = actual;
}

/// <summary>
/// The side effect of recording content: its bytes go into the store in the same transaction as the event that names them
/// (a digest already stored is kept as it is). Large content is streamed from its upload file, not copied into memory.
/// </summary>
public sealed record StoreContent(ContentUpload Content) : IMartenOp
{
    public void Execute(IDocumentSession session) => InsertContent.Queue(session, [Content]);
}

/// <summary>
/// The content insert, as one of the session's own operations (in the batch and transaction of the events). Marten types a
/// <c>QueueSqlCommand</c> parameter by its .NET type, and a <see cref="Stream"/> is not one it knows (it was sent as text: 42804), so
/// the bytes go as an explicitly bytea parameter: straight from the temporary file of a large upload, or, for content in memory, all
/// of a batch's in one statement (three arrays unnested, not one insert each).
/// </summary>
internal sealed class InsertContent : Weasel.Storage.IStorageOperation, Weasel.Storage.NoDataReturnedCall
{
    private readonly string _schema;
    private readonly IReadOnlyList<ContentUpload> _inMemory;
    private readonly ContentUpload? _spilled;

    private InsertContent(string schema, IReadOnlyList<ContentUpload> inMemory, ContentUpload? spilled)
        => (_schema, _inMemory, _spilled) = (schema, inMemory, spilled);

    /// <summary>One statement for the contents held in memory, one per upload kept in a file; a digest repeated is stored once.</summary>
    public static void Queue(IDocumentSession session, IEnumerable<ContentUpload> contents)
    {
        var schema = session.DocumentStore.Options.DatabaseSchemaName;
        // "on conflict" does not see the rows of its own statement: the same digest twice in one batch is removed here.
        var distinct = contents.DistinctBy(c => c.Digest).ToList();
        var inMemory = distinct.Where(c => c.Source.InMemory).ToList();
        if (inMemory.Count > 0) session.QueueOperation(new InsertContent(schema, inMemory, null));
        foreach (var spilled in distinct.Where(c => !c.Source.InMemory)) session.QueueOperation(new InsertContent(schema, [], spilled));
    }

    public Type DocumentType => typeof(Marten.Storage.StorageFeatures); // what Marten's own SQL operations name: no document storage behind it

    public void ConfigureCommand(Weasel.Core.ICommandBuilder builder, Weasel.Storage.IStorageSession session)
    {
        builder.Append($"insert into {_schema}.{ContentStore.TableName} (digest, size, bytes) ");
        if (_spilled is { } file)
        {
            builder.Append("values (");
            builder.AppendParameter(file.Digest);
            builder.Append(", ");
            builder.AppendParameter(file.Size);
            builder.Append(", ");
            Typed(builder.AppendParameter(file.Source.OpenRead()), NpgsqlTypes.NpgsqlDbType.Bytea);
            builder.Append(")");
        }
        else
        {
            builder.Append("select * from unnest(");
            Typed(builder.AppendParameter(_inMemory.Select(c => c.Digest).ToArray()), NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text);
            builder.Append(", ");
            Typed(builder.AppendParameter(_inMemory.Select(c => c.Size).ToArray()), NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint);
            builder.Append(", ");
            Typed(builder.AppendParameter(_inMemory.Select(c => c.Source.ReadAllBytes()).ToArray()), NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bytea);
            builder.Append(")");
        }
        builder.Append(" on conflict (digest) do nothing");
    }

    private static void Typed(object parameter, NpgsqlTypes.NpgsqlDbType type) => ((Npgsql.NpgsqlParameter)parameter).NpgsqlDbType = type;

    public void Postprocess(System.Data.Common.DbDataReader reader, IList<Exception> exceptions) { }

    public Task PostprocessAsync(System.Data.Common.DbDataReader reader, IList<Exception> exceptions, CancellationToken token) => Task.CompletedTask;

    public Weasel.Core.OperationRole Role() => Weasel.Core.OperationRole.Insert;
}

/// <summary>Line-level change counts between two text revisions, recorded in <see cref="DocumentEdited"/>.</summary>
public sealed record LineChanges(int Added, int Removed)
{
    public static readonly LineChanges None = new(0, 0);

    public static LineChanges Between(byte[]? before, byte[] after)
    {
        if (before is null) return None;
        var diff = Differ.Instance.CreateLineDiffs(Encoding.UTF8.GetString(before), Encoding.UTF8.GetString(after), ignoreWhitespace: false);
        return new(diff.DiffBlocks.Sum(b => b.InsertCountB), diff.DiffBlocks.Sum(b => b.DeleteCountA));
    }
}
