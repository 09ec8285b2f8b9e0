using System.Collections.Concurrent;
using Marten;
using Marten.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Hosting;
using Weasel.Postgresql;

namespace Provenance.Api.Tenancy;

/// <summary>
/// An archive (a tenant, issue #20) as the code serving it needs it: its database's pool, and its log's origin and public path.
/// Everything raw SQL reads or writes goes through <see cref="DataSource"/>, so it lands in the archive's own database.
/// </summary>
public sealed record Archive(string Id, string DisplayName, NpgsqlDataSource DataSource, string Origin)
{
    /// <summary>The public log's path: the default archive keeps <c>/log</c>, every other one is under <c>/t/{id}/log</c> (CONTRACTS.md).</summary>
    public string LogPrefix => Id == Tenants.Default ? "/log" : $"/t/{Id}/log";
}

/// <summary>
/// The archive the current request or background pass works in. Set once per request by <see cref="ArchiveMiddleware"/> (from the key's
/// tenant, or from <c>/t/{tenant}/</c> for anonymous public-log reads) and by every background loop for each archive it serves
/// (<see cref="Archives.ForEachAsync"/>); async calls below inherit it. Unset means the default archive: start-up, the seed loader
/// and an installation with one archive.
/// </summary>
public static class CurrentArchive
{
    static readonly AsyncLocal<Archive?> Value = new();

    public static Archive? Archive => Value.Value;

    /// <summary>The current archive's tenant id (the default archive's when none is set).</summary>
    public static string Id => Value.Value?.Id ?? Tenants.Default;

    public static Scope Enter(Archive archive)
    {
        var previous = Value.Value;
        Value.Value = archive;
        return new Scope(previous);
    }

    public readonly struct Scope(Archive? previous) : IDisposable
    {
        public void Dispose() => Value.Value = previous;
    }
}

/// <summary>The registry's row of an archive (a Marten document in the default archive's database; only the system key reads it).</summary>
public sealed class ArchiveRecord
{
    public string Id { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public string Server { get; set; } = "";
    /// <summary>The database's name on <see cref="Server"/>.</summary>
    public string Database { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset? DisabledAt { get; set; }
    public string? DisabledBy { get; set; }
}

/// <summary>
/// Every archive this installation serves: the default one (the database of <c>Provenance:ConnectionString</c>, the container's pool) and
/// those created by <c>POST /api/tenants</c>, whose pools are Marten's own for their tenant database. An archive's record is read at most
/// once per <see cref="CacheFor"/> per node, so disabling one reaches every node within that time (immediately on the disabling node).
/// The store comes lazily: the store's own configuration (the Merkle subscription's ledger reader) holds this before the store exists.
/// </summary>
public sealed class Archives(Func<IDocumentStore> store, NpgsqlDataSource defaultPool, IOptions<ProvenanceOptions> options, IMemoryCache cache)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);
    readonly ConcurrentDictionary<string, Archive> _open = new(StringComparer.Ordinal);
    Archive? _default;

    public Archive Default => _default ??= new Archive(Tenants.Default, "Default archive", defaultPool, options.Value.Ledger.Origin);

    /// <summary>The archive of the current request or pass (<see cref="CurrentArchive"/>), else the default one.</summary>
    public Archive Current => CurrentArchive.Archive ?? Default;

    /// <summary>
    /// The log origin of archive <paramref name="id"/>: the configured one for the default archive, <c>&lt;id&gt;.&lt;host&gt;/ledger</c>
    /// for the others, where host is the configured origin's first segment (CONTRACTS.md "Tenants").
    /// </summary>
    public string OriginOf(string id)
    {
        var configured = options.Value.Ledger.Origin;
        if (id == Tenants.Default) return configured;
        var slash = configured.IndexOf('/');
        return $"{id}.{(slash < 0 ? configured : configured[..slash])}/ledger";
    }

    /// <summary>
    /// The archive whose tenant database <paramref name="database"/> is (what Marten's daemon hands a subscription), whether or not it is
    /// enabled: a disabled archive's daemon may still finish a page, and must finish it in its own database.
    /// </summary>
    public Archive OfDatabase(IMartenDatabase database)
    {
        // Obsolete in favour of Id (server and database name), yet it is what master-table tenancy names a tenant's database by.
#pragma warning disable CS0618
        var id = database.Identifier;
#pragma warning restore CS0618
        if (id == Tenants.Default) return Default;
        if (_open.TryGetValue(id, out var open) && ReferenceEquals(open.DataSource, ((PostgresqlDatabase)database).DataSource)) return open;
        return new Archive(id, id, ((PostgresqlDatabase)database).DataSource, OriginOf(id));
    }

    /// <summary>The enabled archive <paramref name="id"/>, or null when there is none (unknown, disabled, or not a tenant id at all).</summary>
    public async ValueTask<Archive?> FindAsync(string id, CancellationToken ct)
    {
        if (id == Tenants.Default) return Default;
        if (!Tenants.Id.IsMatch(id)) return null;
        var record = await RecordAsync(id, ct);
        if (record is null || record.DisabledAt is not null)
        {
            _open.TryRemove(id, out _);
            return null;
        }
        if (_open.TryGetValue(id, out var open)) return open;
        // GetTenantAsync caches the database (FindOrCreateDatabase does not: it would build a pool per call).
        var tenant = await store().Options.Tenancy.GetTenantAsync(id);
        var archive = new Archive(id, record.DisplayName, ((PostgresqlDatabase)tenant.Database).DataSource, OriginOf(id));
        return _open.GetOrAdd(id, archive);
    }

    /// <summary>Every enabled archive, the default one first.</summary>
    public async Task<IReadOnlyList<Archive>> AllAsync(CancellationToken ct)
    {
        var list = new List<Archive> { Default };
        foreach (var id in await EnabledIdsAsync(ct))
        {
            if (id != Tenants.Default && await FindAsync(id, ct) is { } archive) list.Add(archive);
        }
        return list;
    }

    /// <summary>Runs <paramref name="pass"/> once in each enabled archive, in turn; one archive's failure does not stop the others'.</summary>
    public async Task ForEachAsync(Func<Archive, CancellationToken, Task> pass, ILogger logger, CancellationToken ct)
    {
        foreach (var archive in await AllAsync(ct))
        {
            using var scope = CurrentArchive.Enter(archive);
            try
            {
                await pass(archive, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogError(e, "A background pass failed in archive '{Archive}'", archive.Id);
            }
        }
    }

    /// <summary>Forgets what this node knows of <paramref name="id"/> (after it was created or disabled here).</summary>
    public void Forget(string id)
    {
        cache.Remove(RecordKey(id));
        cache.Remove(EnabledKey);
        _open.TryRemove(id, out _);
    }

    async Task<ArchiveRecord?> RecordAsync(string id, CancellationToken ct)
        => await cache.GetOrCreateAsync(RecordKey(id), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheFor;
            await using var session = store().QuerySession(Tenants.Default);
            return await session.LoadAsync<ArchiveRecord>(id, ct);
        });

    async Task<IReadOnlyList<string>> EnabledIdsAsync(CancellationToken ct)
        => await cache.GetOrCreateAsync(EnabledKey, async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheFor;
            await using var session = store().QuerySession(Tenants.Default);
            var ids = await session.Query<ArchiveRecord>().Where(r => r.DisabledAt == null).Select(r => r.Id).ToListAsync(ct);
            return (IReadOnlyList<string>)ids.Order(StringComparer.Ordinal).ToList();
        }) ?? [];

    static string RecordKey(string id) => "archive:" + id;
    const string EnabledKey = "archives:enabled";
}
