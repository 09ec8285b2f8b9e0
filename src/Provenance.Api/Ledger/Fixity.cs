using System.Data;
using System.Security.Claims;
using System.Security.Cryptography;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Wolverine.Http;

namespace Provenance.Api.Ledger;

/// <summary>
/// A PREMIS fixity check of one stored content of a document: the bytes were re-hashed and did (<c>pass</c>) or did not
/// (<c>fail</c>) match the digest the document's events name. A failure is evidence; nothing repairs it.
/// </summary>
public sealed record FixityChecked(Guid DocumentId, string ContentDigest, string Outcome, string? Detail, string Actor);

public static class FixityOutcomes
{
    public const string Pass = "pass";
    public const string Fail = "fail";
}

public sealed record FixityFailure(Guid DocumentId, string ContentDigest, string? Detail);

public sealed record FixityReport(long BlobsChecked, long DocumentsRecorded, long Passed, long Failed, IReadOnlyList<FixityFailure> Failures);

/// <summary>Re-hashes every blob in <c>content_blobs</c> and appends a <see cref="FixityChecked"/> to each document naming it.</summary>
public sealed class FixityChecker(LedgerDatabase ledger, IDocumentStore store, ILogger<FixityChecker> logger)
{
    /// <summary>Marten's type name for <see cref="FixityChecked"/> in <c>mt_events.type</c>.</summary>
    public const string EventTypeName = "fixity_checked";
    readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<FixityReport> RunAsync(string actor, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var owners = await OwnersAsync(ct);
            var checks = new List<FixityChecked>();
            long blobs = 0;
            await using (var command = ledger.DataSource.CreateCommand(
                $"select digest, bytes from {ledger.Schema}.{ContentStore.TableName} order by digest"))
            await using (var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    var digest = reader.GetString(0);
                    string actual;
                    await using (var bytes = reader.GetStream(1))
                    {
                        actual = ContentDigest.Prefix + Convert.ToHexStringLower(await SHA256.HashDataAsync(bytes, ct));
                    }
                    blobs++;
                    var pass = actual == digest;
                    var detail = pass ? null : $"Stored bytes hash to {actual}.";
                    if (!pass) logger.LogError("Fixity failure: content {Digest} now hashes to {Actual}", digest, actual);
                    foreach (var document in owners.GetValueOrDefault(digest) ?? [])
                    {
                        checks.Add(new FixityChecked(document, digest, pass ? FixityOutcomes.Pass : FixityOutcomes.Fail, detail, actor));
                    }
                }
            }

            await using var session = store.LightweightSession();
            foreach (var check in checks) session.Events.Append(check.DocumentId, check);
            await session.SaveChangesAsync(ct);
            var failures = checks.Where(c => c.Outcome == FixityOutcomes.Fail).Select(c => new FixityFailure(c.DocumentId, c.ContentDigest, c.Detail)).ToList();
            logger.LogInformation("Fixity run: {Blobs} blobs, {Documents} results recorded, {Failed} failed", blobs, checks.Count, failures.Count);
            return new FixityReport(blobs, checks.Count, checks.Count - failures.Count, failures.Count, failures);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Which documents name each digest in their ingest, edit and translation events.</summary>
    async Task<Dictionary<string, List<Guid>>> OwnersAsync(CancellationToken ct)
    {
        await using var command = ledger.DataSource.CreateCommand(
            $"select distinct data->>'contentDigest', stream_id from {ledger.Schema}.mt_events " +
            $"where data ? 'contentDigest' and type <> '{EventTypeName}' order by 1, 2");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var owners = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            var digest = reader.GetString(0);
            if (!owners.TryGetValue(digest, out var list)) owners[digest] = list = [];
            list.Add(reader.GetGuid(1));
        }
        return owners;
    }

    /// <summary>Contents whose latest fixity check of a document failed.</summary>
    public async Task<IReadOnlyList<FixityFailure>> OpenFailuresAsync(CancellationToken ct)
    {
        await using var command = ledger.DataSource.CreateCommand(
            $"select stream_id, digest, detail from (select distinct on (stream_id, data->>'contentDigest') stream_id, " +
            $"data->>'contentDigest' as digest, data->>'outcome' as outcome, data->>'detail' as detail from {ledger.Schema}.mt_events " +
            $"where type = '{EventTypeName}' order by stream_id, data->>'contentDigest', seq_id desc) latest where outcome = '{FixityOutcomes.Fail}'");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<FixityFailure>();
        while (await reader.ReadAsync(ct)) list.Add(new FixityFailure(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        return list;
    }
}

/// <summary>Runs <see cref="FixityChecker"/> every <see cref="LedgerOptions.FixityInterval"/>.</summary>
public sealed class ScheduledFixity(FixityChecker checker, IOptions<ProvenanceOptions> options, TimeProvider time, ILogger<ScheduledFixity> logger)
    : BackgroundService
{
    public const string Actor = "provenance/fixity-schedule";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Ledger.FixityInterval;
        if (interval == TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await checker.RunAsync(Actor, stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                logger.LogError(e, "Scheduled fixity run failed; retrying at the next interval");
            }
        }
    }
}

/// <summary>Degraded while any document's latest fixity check failed; it clears only when a new check passes.</summary>
public sealed class FixityHealthCheck(FixityChecker checker) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failures = await checker.OpenFailuresAsync(cancellationToken);
        return failures.Count == 0
            ? HealthCheckResult.Healthy("Every content checked so far passed its latest fixity check.")
            : HealthCheckResult.Degraded($"Fixity failed for {failures.Count} document content(s): " +
                string.Join(", ", failures.Take(5).Select(f => $"{f.DocumentId} {f.ContentDigest}")) + ".");
    }
}

public static class FixityEndpoint
{
    [WolverinePost("/api/ledger/fixity"), Authorize(Roles = Roles.Auditor + "," + Roles.Admin)]
    public static Task<FixityReport> Post(FixityChecker checker, ClaimsPrincipal user, CancellationToken ct) => checker.RunAsync(user.Actor(), ct);
}
