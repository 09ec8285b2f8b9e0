using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;
using Org.BouncyCastle.X509;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Provenance.Ledger;
using Wolverine.Http;

namespace Provenance.Api.Ledger;

/// <summary>One configured RFC 3161 authority, its trust anchors and its retry state.</summary>
public sealed class TimestampAuthority(string url, IReadOnlyList<X509Certificate> anchors)
{
    public string Url { get; } = url;
    public IReadOnlyList<X509Certificate> Anchors { get; } = anchors;
    public int Failures { get; set; }
    public DateTimeOffset NextAttempt { get; set; }
    public string? LastError { get; set; }
    public double? LastOverheadMs { get; set; }
}

public sealed class TimestampAuthorities(IOptions<ProvenanceOptions> options)
{
    public IReadOnlyList<TimestampAuthority> All { get; } = options.Value.Ledger.TimestampAuthorities
        .Select(a => new TimestampAuthority(a.Url, RfcTimestamp.ReadCertificates(File.ReadAllText(a.TrustAnchorFile!)))).ToList();
}

/// <summary>A stored time-stamp: the authority's URL, the DER TimeStampResp and the time it vouches for.</summary>
public sealed record CheckpointTimestamp(string Authority, byte[] Response, DateTimeOffset GenTime);

public sealed record CheckpointTimestampList(long TreeSize, IReadOnlyList<CheckpointTimestamp> Items);

/// <summary>
/// Dates every checkpoint independently: its note as the log signed it (before cosignatures) is sent to each configured RFC 3161
/// authority (SHA-256 imprint, nonce, certReq), and the reply is kept only once it verifies (<see cref="RfcTimestamp.VerifyReply"/>).
/// Background work, like witnessing: an authority that is down delays the time-stamp, never an append.
/// </summary>
public sealed class CheckpointTimestamping(TimestampAuthorities authorities, LedgerDatabase ledger, Tenancy.Archives archives, IHttpClientFactory clients,
    IOptions<ProvenanceOptions> options, TimeProvider time, ILogger<CheckpointTimestamping> logger) : BackgroundService
{
    public const string ClientName = "timestamp-authorities";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (authorities.All.Count == 0) return;
        using var timer = new PeriodicTimer(options.Value.Ledger.WitnessPollInterval, time);
        do
        {
            try
            {
                // Every archive's checkpoints, in its own database; an authority's back-off is its own, whichever log it failed for.
                await archives.ForEachAsync((_, ct) => RoundAsync(ct), logger, stoppingToken);
            }
            catch (NpgsqlException e)
            {
                logger.LogWarning(e, "Listing the archives to time-stamp failed; retrying at the next tick");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    async Task RoundAsync(CancellationToken ct)
    {
        foreach (var authority in authorities.All)
        {
            if (time.GetUtcNow() < authority.NextAttempt) continue;
            try
            {
                foreach (var (size, note) in await UnstampedAsync(authority, ct))
                {
                    if (!await StampAsync(authority, size, note, ct)) break;
                }
            }
            catch (NpgsqlException e)
            {
                logger.LogWarning(e, "Time-stamping round failed; retrying at the next tick");
            }
        }
    }

    /// <summary>The newest checkpoints this authority has not stamped yet, a few at a time.</summary>
    async Task<List<(long Size, string Note)>> UnstampedAsync(TimestampAuthority authority, CancellationToken ct)
    {
        await using var command = ledger.DataSource.CreateCommand(
            $"select c.tree_size, c.note from {ledger.Schema}.{LedgerTables.Checkpoints} c where not exists (select 1 from " +
            $"{ledger.Schema}.{LedgerTables.Timestamps} t where t.tree_size = c.tree_size and t.authority = $1) order by c.tree_size desc limit 8");
        command.Parameters.Add(new NpgsqlParameter { Value = authority.Url });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<(long, string)>();
        while (await reader.ReadAsync(ct)) list.Add((reader.GetInt64(0), reader.GetString(1)));
        return list;
    }

    async Task<bool> StampAsync(TimestampAuthority authority, long size, string note, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var (der, request) = RfcTimestamp.CreateRequest(NoteBytes(note));
        byte[] reply;
        try
        {
            using var http = clients.CreateClient(ClientName);
            http.Timeout = options.Value.Ledger.WitnessTimeout;
            using var content = new ByteArrayContent(der);
            content.Headers.ContentType = new MediaTypeHeaderValue(RfcTimestamp.RequestContentType);
            using var response = await http.PostAsync(authority.Url, content, ct);
            if (!response.IsSuccessStatusCode) return Fail(authority, size, $"{(int)response.StatusCode} {response.ReasonPhrase}");
            if (response.Content.Headers.ContentLength > 1024 * 1024) return Fail(authority, size, "the reply is larger than 1 MiB");
            reply = await response.Content.ReadAsByteArrayAsync(ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return Fail(authority, size, $"unreachable: {e.Message}");
        }
        var verified = RfcTimestamp.VerifyReply(reply, request, authority.Anchors);
        if (!verified.IsValid) return Fail(authority, size, verified.Reason!);
        authority.LastOverheadMs = clock.Elapsed.TotalMilliseconds;

        await using var command = ledger.DataSource.CreateCommand(
            $"insert into {ledger.Schema}.{LedgerTables.Timestamps} (tree_size, authority, response, gen_time, received_at) values ($1, $2, $3, $4, $5) " +
            "on conflict (tree_size, authority) do nothing");
        command.Parameters.Add(new NpgsqlParameter { Value = size });
        command.Parameters.Add(new NpgsqlParameter { Value = authority.Url });
        command.Parameters.Add(new NpgsqlParameter { Value = reply });
        command.Parameters.Add(new NpgsqlParameter { Value = verified.GenTime!.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await command.ExecuteNonQueryAsync(ct);
        authority.Failures = 0;
        authority.LastError = null;
        logger.LogInformation("Time-stamped checkpoint {TreeSize} at {Authority} ({GenTime:O}) in {Milliseconds:F1} ms", size, authority.Url,
            verified.GenTime, authority.LastOverheadMs);
        return true;
    }

    /// <summary>The bytes stamped: the note exactly as the log signed it, UTF-8.</summary>
    static byte[] NoteBytes(string note) => new System.Text.UTF8Encoding(false).GetBytes(note);

    bool Fail(TimestampAuthority authority, long size, string why)
    {
        authority.Failures++;
        authority.LastError = why;
        var wait = options.Value.Ledger.WitnessRetryInterval * Math.Pow(2, Math.Min(authority.Failures - 1, 6));
        authority.NextAttempt = time.GetUtcNow() + wait;
        logger.LogWarning("Time-stamp authority {Authority} did not stamp checkpoint {TreeSize}: {Reason}; retrying in {Wait}", authority.Url, size, why, wait);
        return false;
    }

    /// <summary>The stored time-stamps of the checkpoint at <paramref name="treeSize"/>, in authority order.</summary>
    public static async Task<IReadOnlyList<CheckpointTimestamp>> OfAsync(LedgerDatabase ledger, long treeSize, CancellationToken ct)
    {
        await using var command = ledger.DataSource.CreateCommand(
            $"select authority, response, gen_time from {ledger.Schema}.{LedgerTables.Timestamps} where tree_size = $1 order by authority");
        command.Parameters.Add(new NpgsqlParameter { Value = treeSize });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<CheckpointTimestamp>();
        while (await reader.ReadAsync(ct)) list.Add(new CheckpointTimestamp(reader.GetString(0), (byte[])reader[1], reader.GetFieldValue<DateTimeOffset>(2)));
        return list;
    }
}

public static class TimestampEndpoints
{
    /// <summary>
    /// The RFC 3161 time-stamps of the checkpoint of <paramref name="treeSize"/> leaves: each a base64 DER TimeStampResp over the
    /// checkpoint's note as the log signed it (<c>openssl ts -verify -data note -in response -CAfile anchor.pem</c> checks one).
    /// </summary>
    [WolverineGet("/api/ledger/checkpoints/{treeSize}/timestamps", OperationId = "getCheckpointTimestamps"), AllowAnonymous, Tags("Ledger")]
    [EndpointSummary("The RFC 3161 time-stamps of a checkpoint's note, as the authorities answered them (base64 DER TimeStampResp)")]
    [ProducesResponseType<CheckpointTimestampList>(StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(long treeSize, CheckpointWriter checkpoints, LedgerDatabase ledger, CancellationToken ct)
    {
        if (treeSize < 1 || await checkpoints.AtSizeAsync(treeSize, ct) is null)
        {
            return Problems.Result(Problems.NotFound, $"No checkpoint was signed at tree size {treeSize}.");
        }
        return Results.Json(new CheckpointTimestampList(treeSize, await CheckpointTimestamping.OfAsync(ledger, treeSize, ct)));
    }
}
