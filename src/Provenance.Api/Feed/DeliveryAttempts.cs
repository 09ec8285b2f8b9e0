using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Provenance.Api.Hosting;

namespace Provenance.Api.Feed;

/// <summary>
/// One attempt to deliver a webhook, as the delivery log shows it: when, the receiver's status code (null when no response came),
/// the time to the response headers, a few of its headers and the first 4 KB of its body, or why the request failed.
/// </summary>
public sealed record DeliveryAttempt(DateTimeOffset At, int? StatusCode, int LatencyMs, IReadOnlyDictionary<string, string> ResponseHeaders,
    string? ResponseBody, string? Error);

/// <summary>What an attempt tells the dispatcher besides the log entry: a receiver's <c>Retry-After</c>.</summary>
public sealed record SentAttempt(DeliveryAttempt Attempt, TimeSpan? RetryAfter)
{
    public bool Succeeded => Attempt.StatusCode is >= 200 and < 300;
}

/// <summary>
/// A receiver's response is hostile input: any size, any bytes, any header. What the log keeps of it is bounded here, in one place:
/// the first <see cref="MaxBodyBytes"/> bytes of the body as text (invalid UTF-8 and control characters become U+FFFD, a character
/// cut at the limit is dropped), only the headers in <see cref="KeptHeaders"/>, each value printable ASCII of at most
/// <see cref="MaxHeaderValueLength"/> characters, and an error message of at most <see cref="MaxErrorLength"/> characters.
/// </summary>
public static class ResponseCapture
{
    public const int MaxBodyBytes = 4096;
    public const int MaxHeaderValueLength = 256;
    public const int MaxErrorLength = 1000;

    /// <summary>Headers that help an integrator tell why a receiver answered as it did; nothing that could carry a credential (no cookies).</summary>
    public static readonly IReadOnlyList<string> KeptHeaders =
    [
        "content-type", "content-length", "content-encoding", "date", "location", "retry-after", "server", "request-id", "x-request-id",
        "x-correlation-id", "traceparent",
    ];

    public static IReadOnlyDictionary<string, string> Headers(HttpResponseMessage response)
    {
        var kept = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in KeptHeaders)
        {
            if (response.Headers.NonValidated.TryGetValues(name, out var values) || response.Content.Headers.NonValidated.TryGetValues(name, out values))
            {
                kept[name] = HeaderValue(string.Join(", ", values));
            }
        }
        return kept;
    }

    public static string HeaderValue(string value)
    {
        var builder = new StringBuilder(Math.Min(value.Length, MaxHeaderValueLength));
        foreach (var c in value)
        {
            if (builder.Length == MaxHeaderValueLength) break;
            builder.Append(c is >= ' ' and <= '~' ? c : '?');
        }
        return builder.ToString();
    }

    /// <summary>Reads at most <see cref="MaxBodyBytes"/> bytes and stops: the rest of a huge (or endless) body is never read.</summary>
    public static async Task<string?> BodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxBodyBytes);
        try
        {
            var read = 0;
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(ct);
                while (read < MaxBodyBytes)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(read, MaxBodyBytes - read), ct);
                    if (n == 0) break;
                    read += n;
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
            {
                // A body that breaks off or drips past the timeout: keep what arrived; the status code already decided the outcome.
            }
            return read == 0 ? null : BodyText(buffer.AsSpan(0, read), truncated: read == MaxBodyBytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The bytes as text that is safe to store (PostgreSQL text holds no NUL), serialise and show.</summary>
    public static string BodyText(ReadOnlySpan<byte> bytes, bool truncated)
    {
        if (truncated)
        {
            // A multi-byte character cut by the limit is not the receiver's fault: drop its first bytes rather than show U+FFFD.
            var status = Rune.DecodeLastFromUtf8(bytes, out _, out var consumed);
            if (status == OperationStatus.NeedMoreData) bytes = bytes[..^consumed];
        }
        var text = Encoding.UTF8.GetString(bytes);
        var builder = new StringBuilder(text.Length);
        foreach (var c in text) builder.Append(char.IsControl(c) && c is not ('\n' or '\r' or '\t') ? '\uFFFD' : c);
        return builder.ToString();
    }

    public static string? Error(string? message)
    {
        if (message is null) return null;
        var clean = new string(message.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        return clean.Length <= MaxErrorLength ? clean : clean[..(MaxErrorLength - 1)] + "…";
    }

    public static string HeadersJson(IReadOnlyDictionary<string, string> headers) => JsonSerializer.Serialize(headers);

    public static IReadOnlyDictionary<string, string> ParseHeaders(string json)
        => JsonSerializer.Deserialize<SortedDictionary<string, string>>(json) ?? new SortedDictionary<string, string>();
}

/// <summary>
/// Sends one signed webhook request and captures the attempt. The named client's connect step (<see cref="WebhookTargets"/>) refuses
/// addresses a webhook may not call, so deliveries and test events obey the same target rules.
/// </summary>
public sealed class WebhookSender(IHttpClientFactory clients, WebhookSecrets secrets, IOptions<WebhookOptions> options, TimeProvider time)
{
    /// <summary>
    /// POSTs <paramref name="body"/> signed with every one of <paramref name="protectedSecrets"/> (the current secret first, then a
    /// rotated one still in its grace period): Standard Webhooks lists several signatures in <c>webhook-signature</c>, space-separated.
    /// </summary>
    public async Task<SentAttempt> SendAsync(string url, IReadOnlyList<string> protectedSecrets, string webhookId, byte[] body,
        CancellationToken stoppingToken)
    {
        var at = time.GetUtcNow();
        var timestamp = at.ToUnixTimeSeconds();
        int? status = null;
        string? error = null;
        string? responseBody = null;
        IReadOnlyDictionary<string, string> headers = new SortedDictionary<string, string>();
        TimeSpan? retryAfter = null;
        var watch = Stopwatch.StartNew();
        try
        {
            var signature = string.Join(' ', protectedSecrets.Select(s => WebhookSecrets.Sign(secrets.Unprotect(s), webhookId, timestamp, body)));
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(CloudEvent.MediaType + "; charset=utf-8");
            request.Headers.TryAddWithoutValidation("webhook-id", webhookId);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("webhook-signature", signature);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(options.Value.Timeout);
            using var response = await clients.CreateClient(WebhookDispatcher.ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            watch.Stop();
            status = (int)response.StatusCode;
            retryAfter = response.Headers.RetryAfter?.Delta;
            headers = ResponseCapture.Headers(response);
            if (!response.IsSuccessStatusCode) error = $"HTTP {status} {ResponseCapture.HeaderValue(response.ReasonPhrase ?? "")}".TrimEnd();
            responseBody = await ResponseCapture.BodyAsync(response, timeout.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            error = $"Timed out after {options.Value.Timeout.TotalSeconds:0.###} s.";
        }
        catch (HttpRequestException e)
        {
            error = "Connection failed: " + e.Message;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            error = "The subscription's secret cannot be decrypted with this node's key ring.";
        }
        catch (Exception e) when (e is InvalidOperationException or UriFormatException or NotSupportedException or IOException)
        {
            error = "Request failed: " + e.Message;
        }
        watch.Stop();
        return new SentAttempt(new DeliveryAttempt(at, status, (int)Math.Min(int.MaxValue, watch.ElapsedMilliseconds), headers, responseBody,
            ResponseCapture.Error(error)), retryAfter);
    }
}

/// <summary>The SQL of the attempt log: one row per attempt, newest last, read back as <see cref="DeliveryAttempt"/>.</summary>
public static class AttemptLog
{
    /// <summary>
    /// Inserts the attempt when <paramref name="condition"/> holds (parameters: $1 attempt id, $2 delivery id or null, $3 subscription id).
    /// The id is a UUIDv7 from <see cref="Identifiers"/>: attempts with the same (fake) time still read back in the order they were made.
    /// </summary>
    public static NpgsqlBatchCommand Insert(string schema, Guid id, Guid subscriptionId, Guid? deliveryId, DeliveryAttempt attempt, string condition)
    {
        var command = new NpgsqlBatchCommand($"""
            insert into {schema}.{WebhookTables.Attempts}
                (id, delivery_id, subscription_id, at, status_code, latency_ms, response_headers, response_body, error)
            select $1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9 where {condition}
            """);
        command.Parameters.AddWithValue(id);
        command.Parameters.Add(new NpgsqlParameter<Guid?> { TypedValue = deliveryId, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.AddWithValue(subscriptionId);
        command.Parameters.AddWithValue(attempt.At);
        command.Parameters.Add(new NpgsqlParameter<int?> { TypedValue = attempt.StatusCode, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.AddWithValue(attempt.LatencyMs);
        command.Parameters.AddWithValue(ResponseCapture.HeadersJson(attempt.ResponseHeaders));
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = attempt.ResponseBody, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = attempt.Error, NpgsqlDbType = NpgsqlDbType.Text });
        return command;
    }

    /// <summary>Keeps the newest <paramref name="keep"/> attempts of a delivery (or of a subscription's test events when it is null).</summary>
    public static NpgsqlBatchCommand Prune(string schema, Guid subscriptionId, Guid? deliveryId, int keep)
    {
        var command = new NpgsqlBatchCommand($"""
            delete from {schema}.{WebhookTables.Attempts} where subscription_id = $1 and delivery_id is not distinct from $2 and id not in (
                select id from {schema}.{WebhookTables.Attempts} where subscription_id = $1 and delivery_id is not distinct from $2
                order by at desc, id desc limit $3)
            """);
        command.Parameters.AddWithValue(subscriptionId);
        command.Parameters.Add(new NpgsqlParameter<Guid?> { TypedValue = deliveryId, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.AddWithValue(keep);
        return command;
    }

    /// <summary>The attempts of a delivery (or the test attempts of a subscription when <paramref name="deliveryId"/> is null), oldest first.</summary>
    public static async Task<List<DeliveryAttempt>> ReadAsync(NpgsqlDataSource db, string schema, Guid subscriptionId, Guid? deliveryId, int limit,
        CancellationToken ct)
    {
        await using var command = db.CreateCommand($"""
            select at, status_code, latency_ms, response_headers::text, response_body, error from (
                select * from {schema}.{WebhookTables.Attempts}
                where subscription_id = $1 and delivery_id is not distinct from $2
                order by at desc, id desc limit $3) newest
            order by at, id
            """);
        command.Parameters.AddWithValue(subscriptionId);
        command.Parameters.Add(new NpgsqlParameter<Guid?> { TypedValue = deliveryId, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.AddWithValue(limit);
        var attempts = new List<DeliveryAttempt>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            attempts.Add(new DeliveryAttempt(reader.GetFieldValue<DateTimeOffset>(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.GetInt32(2),
                ResponseCapture.ParseHeaders(reader.GetString(3)), reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        }
        return attempts;
    }
}
