using System.Data;
using System.Security.Claims;
using System.Security.Cryptography;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Documents;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Provenance.Api.Web;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;
using Provenance.Api.Tenancy;

namespace Provenance.Api.Ledger;

/// <summary>
/// A PREMIS fixity check of one stored content of a document: the bytes were re-hashed and did (<c>pass</c>) or did not
/// (<c>fail</c>) match the digest the document's events name. A failure is evidence; nothing repairs it.
/// </summary>
[System.ComponentModel.Description("A fixity check re-hashed stored content the document names and recorded the outcome.")]
public sealed record FixityChecked(
    Guid DocumentId,
    [property: System.ComponentModel.Description(Documents.EventFacets.Digest),
        System.ComponentModel.DataAnnotations.RegularExpression(Documents.EventFacets.DigestPattern)] string ContentDigest,
    [property: System.ComponentModel.Description("pass or fail.")] string Outcome,
    string? Detail,
    [property: System.ComponentModel.Description(Documents.EventFacets.Actor)] string Actor,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    Documents.ImportedFrom? ImportedFrom = null);

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
    /// <summary>The actor of a failure found by a read rather than by a fixity run.</summary>
    public const string ReadActor = "provenance/read-check";
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

            await RecordAsync(checks, ct);
            var failures = checks.Where(c => c.Outcome == FixityOutcomes.Fail).Select(c => new FixityFailure(c.DocumentId, c.ContentDigest, c.Detail)).ToList();
            logger.LogInformation("Fixity run: {Blobs} blobs, {Documents} results recorded, {Failed} failed", blobs, checks.Count, failures.Count);
            return new FixityReport(blobs, checks.Count, checks.Count - failures.Count, failures.Count, failures);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Appends each check to its document in one transaction. A check decides nothing about the stream's state, so it never takes an
    /// expected version; but a quick append racing another append to the same stream loses on Marten's (stream, version) key
    /// (<see cref="JasperFx.Events.EventStreamUnexpectedMaxEventIdException"/>). The checks are then appended again, at the stream's new end, a few times.
    /// </summary>
    public async Task RecordAsync(IReadOnlyList<FixityChecked> checks, CancellationToken ct)
    {
        const int attempts = 20;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var session = store.LightweightSession(CurrentArchive.Id);
                foreach (var check in checks) session.Events.Append(check.DocumentId, check);
                await session.SaveChangesAsync(ct);
                return;
            }
            catch (Exception e) when (attempt < attempts && Http.CommitFailures.Find<JasperFx.ConcurrencyException>(e) is not null)
            {
                logger.LogDebug("Fixity checks met another append to the same document; appending again ({Attempt})", attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, Math.Min(200, 5 << attempt))), ct);
            }
        }
    }

    /// <summary>
    /// What a read found (<see cref="ContentFixityException"/>): a failed check of <paramref name="digest"/> for each document naming it
    /// whose latest check of it has not already failed, so readiness turns Degraded and repeated reads of the same bytes add nothing.
    /// </summary>
    public async Task<int> RecordReadFailureAsync(string digest, string actual, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var owners = (await OwnersAsync(ct, digest)).GetValueOrDefault(digest) ?? [];
            var open = (await OpenFailuresAsync(ct)).Where(f => f.ContentDigest == digest).Select(f => f.DocumentId).ToHashSet();
            var failed = owners.Where(document => !open.Contains(document)).ToList();
            logger.LogError("Fixity failure on read: content {Digest} now hashes to {Actual}; {Recorded} document(s) recorded", digest, actual, failed.Count);
            if (failed.Count == 0) return 0;
            await RecordAsync(failed.Select(document => new FixityChecked(document, digest, FixityOutcomes.Fail,
                $"Stored bytes hash to {actual} (found when they were read).", ReadActor)).ToList(), ct);
            return failed.Count;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Which documents name each digest (or <paramref name="only"/> that one) in their ingest, edit and translation events.</summary>
    async Task<Dictionary<string, List<Guid>>> OwnersAsync(CancellationToken ct, string? only = null)
    {
        var owners = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        foreach (var (digest, stream) in await ledger.Events.StreamsNamingDigestAsync(ledger.Events.Names.Of<FixityChecked>(), only, ct))
        {
            if (!owners.TryGetValue(digest, out var list)) owners[digest] = list = [];
            list.Add(stream);
        }
        return owners;
    }

    /// <summary>Contents whose latest fixity check of a document failed.</summary>
    public async Task<IReadOnlyList<FixityFailure>> OpenFailuresAsync(CancellationToken ct)
        => (await ledger.Events.LatestPerDigestWithOutcomeAsync(ledger.Events.Names.Of<FixityChecked>(), FixityOutcomes.Fail, ct))
            .Select(f => new FixityFailure(f.Stream, f.Digest, f.Detail)).ToList();
}

/// <summary>Runs <see cref="FixityChecker"/> every <see cref="LedgerOptions.FixityInterval"/>.</summary>
public sealed class ScheduledFixity(FixityChecker checker, Tenancy.Archives archives, IOptions<ProvenanceOptions> options, TimeProvider time,
    ILogger<ScheduledFixity> logger) : BackgroundService
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
                // Every archive's content, in its own database.
                await archives.ForEachAsync(async (archive, ct) =>
                {
                    try
                    {
                        await checker.RunAsync(Actor, ct);
                    }
                    catch (Exception e) when (e is NpgsqlException or InvalidOperationException or JasperFx.ConcurrencyException)
                    {
                        logger.LogError(e, "Scheduled fixity run of archive '{Archive}' failed; retrying at the next interval", archive.Id);
                    }
                }, logger, stoppingToken);
            }
            catch (NpgsqlException e)
            {
                logger.LogError(e, "Listing the archives for the fixity run failed; retrying at the next interval");
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

/// <summary>
/// A read found broken bytes (<see cref="ContentFixityException"/>, thrown by <see cref="ContentStore"/> wherever content is read):
/// the failure is recorded and the answer is 500 <c>fixity-failed</c> naming the digest, a problem on the API and a page on the web
/// interface. Never the bytes, and no <c>ETag</c> or <c>Repr-Digest</c> set before the read survives (the response is cleared).
/// </summary>
public sealed class FixityFailureHandler(FixityChecker checker) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not ContentFixityException failure) return false;
        // Evidence outlives the request: a client that hangs up does not undo the record.
        await checker.RecordReadFailureAsync(failure.Digest, failure.Actual, CancellationToken.None);
        IResult answer;
        if (WebAuthentication.IsApi(http.Request))
        {
            ServedContent.Protect(http.Response);
            answer = Problems.Result(Problems.FixityFailed,
                $"The stored bytes of {failure.Digest} no longer hash to that digest, so they are not served; a failed fixity check was recorded.",
                extensions: new Dictionary<string, object?> { ["digest"] = failure.Digest });
        }
        else
        {
            answer = WebErrors.FixityFailed(UiContext.For(http), failure.Digest);
        }
        await answer.ExecuteAsync(http);
        return true;
    }
}

public static class FixityEndpoint
{
    [WolverinePost("/api/ledger/fixity", OperationId = "runFixityCheck"), Authorize(Roles = Roles.Auditor + "," + Roles.Admin)]
    [Tags(ApiTags.Ledger), EndpointSummary("Check every stored content against its digest")]
    [ProducesResponseType<FixityReport>(200, "application/json")]
    public static Task<FixityReport> Post(FixityChecker checker, ClaimsPrincipal user, CancellationToken ct) => checker.RunAsync(user.Actor(), ct);
}
