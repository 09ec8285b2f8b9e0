using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Npgsql;
using Provenance.Api.Access;
using Provenance.Api.Hosting;
using Provenance.Api.Http;
using Provenance.Ledger;
using Wolverine.Http;
using Microsoft.AspNetCore.Mvc;
using Provenance.Api.Contract;

namespace Provenance.Api.Ledger;

/// <summary>
/// The ledger as a c2sp.org/tlog-tiles log under <c>/log/</c>: the signed checkpoint, hash tiles and entry bundles, each one indexed
/// read of what the daemon materialized with the nodes. Anyone can mirror it and audit it (<c>provenance monitor</c>).
/// </summary>
public static class PublicLogEndpoints
{
    public const string Prefix = "/log";
    const string Immutable = "max-age=31536000, immutable";
    // A partial tile stays valid, but a client should soon find the full one (the spec lets a log drop partial tiles).
    const string ShortLived = "max-age=60";

    /// <summary>
    /// The published checkpoint with its witnesses' cosignatures (the newest one the quorum cosigned), the same note as
    /// <c>/api/ledger/checkpoint</c>; mutable, so cached for seconds only.
    /// </summary>
    [WolverineGet(Prefix + "/checkpoint", OperationId = "getLogCheckpoint"), AllowAnonymous]
    [Tags(ApiTags.PublicLog), EndpointSummary("The log's published checkpoint with its cosignatures (a C2SP signed note)")]
    [ProducesResponseType<string>(200, "text/plain"), ProblemResponses(404)]
    public static async Task<IResult> Checkpoint(HttpResponse response, CheckpointWriter writer, CancellationToken ct)
    {
        var latest = await writer.PublishedAsync(ct);
        if (latest is null) return Problems.Result(Problems.NoCheckpoint, "No checkpoint has been signed yet.");
        response.Headers.CacheControl = "public, max-age=5";
        return Results.Text(latest.Note, "text/plain; charset=utf-8");
    }

    /// <summary><c>/log/tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c> and <c>/log/tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c>; 404 for anything the tree has not reached.</summary>
    [WolverineGet(Prefix + "/tile/{**path}", OperationId = "getLogTile"), AllowAnonymous]
    [Tags(ApiTags.PublicLog), EndpointSummary("A hash tile or an entry bundle (C2SP tlog-tiles)")]
    [ProducesResponseType<Stream>(200, "application/octet-stream"), ProblemResponses(401, 404)]
    public static async Task<IResult> Tile(string path, HttpResponse response, ClaimsPrincipal user, LedgerDatabase ledger,
        IOptions<ProvenanceOptions> options, CancellationToken ct)
    {
        if (!TlogTiles.TryParsePath("tile/" + path, out var tile)) return NotATile(path);
        var publicEntries = options.Value.Ledger.PublicEntries;
        if (tile.IsEntries && !publicEntries && user.Identity?.IsAuthenticated != true)
        {
            // Entries name actors and titles: behind a key of any role unless the operator made them public.
            return Results.Challenge(authenticationSchemes: [ApiKeyAuthentication.SchemeName]);
        }

        var bytes = tile.IsEntries ? await EntriesAsync(ledger, tile, ct) : await HashesAsync(ledger, tile, ct);
        if (bytes is null) return NotATile(path);
        var scope = tile.IsEntries && !publicEntries ? "private" : "public";
        response.Headers.CacheControl = $"{scope}, {(tile.IsFull ? Immutable : ShortLived)}";
        return Results.Bytes(bytes, "application/octet-stream");
    }

    static IResult NotATile(string path) => Problems.Result(Problems.NotFound, $"No tile at 'tile/{path}': not a tile path, or beyond the tree.");

    /// <summary>
    /// Tile (L, N) of width W: the hashes of nodes (8·L, 256·N + i), i &lt; W, from one range of <c>ledger_nodes</c>' primary key (level 0:
    /// of <c>ledger_leaves</c>', the leaf hashes). Only perfect subtrees are stored, so a tile beyond the tree has fewer than W nodes and
    /// is not served.
    /// </summary>
    static async Task<byte[]?> HashesAsync(LedgerDatabase ledger, TileRef tile, CancellationToken ct)
    {
        // Level 0 is the leaf hashes, kept in ledger_leaves (one range of its primary key).
        await using var command = ledger.DataSource.CreateCommand(tile.Level == 0
            ? $"select count(*), string_agg(leaf_hash, ''::bytea order by leaf_index) from {ledger.Schema}.{LedgerTables.Leaves} " +
              "where leaf_index >= $1 and leaf_index < $1 + $2"
            : $"select count(*), string_agg(hash, ''::bytea order by idx) from {ledger.Schema}.{LedgerTables.Nodes} " +
              "where level = $3 and idx >= $1 and idx < $1 + $2");
        command.Parameters.Add(new NpgsqlParameter { Value = tile.Index * TlogTiles.Width });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)tile.Width });
        if (tile.Level > 0) command.Parameters.Add(new NpgsqlParameter { Value = tile.Level * TlogTiles.Height });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct) || reader.GetInt64(0) != tile.Width) return null;
        return (byte[])reader[1];
    }

    static async Task<byte[]?> EntriesAsync(LedgerDatabase ledger, TileRef tile, CancellationToken ct)
    {
        await using var command = ledger.DataSource.CreateCommand(
            $"select sum(width)::int, string_agg(entries, ''::bytea order by first) from {ledger.Schema}.{LedgerTables.EntryBundles} where idx = $1 having sum(width) >= $2");
        command.Parameters.Add(new NpgsqlParameter { Value = tile.Index });
        command.Parameters.Add(new NpgsqlParameter { Value = tile.Width });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var width = reader.GetInt32(0);
        var entries = (byte[])reader[1];
        return width == tile.Width ? entries : entries[..EntryBundle.PrefixLength(entries, tile.Width)];
    }
}
