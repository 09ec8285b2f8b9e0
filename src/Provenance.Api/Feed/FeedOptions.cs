using System.ComponentModel.DataAnnotations;

namespace Provenance.Api.Feed;

/// <summary>Settings under <c>Provenance:Feed</c>: the pull feed and the Server-Sent Events stream.</summary>
public sealed class FeedOptions
{
    public const string Section = "Provenance:Feed";

    /// <summary>The CloudEvents <c>source</c> attribute of every event.</summary>
    [Required, RegularExpression("^/.*|^[a-z][a-z0-9+.-]*:.+", ErrorMessage = "Feed:Source must be a URI reference.")]
    public string Source { get; set; } = "/provenance";

    /// <summary>
    /// The CloudEvents <c>source</c> of the current archive's events: <see cref="Source"/> for the default archive, <c>&lt;Source&gt;/t/&lt;archive&gt;</c>
    /// for the others, so an integrator subscribed to several archives can tell their events apart (and <c>source</c> + <c>id</c> stays unique).
    /// </summary>
    public string SourceOfCurrentArchive => Tenancy.CurrentArchive.Id == Tenancy.Tenants.Default ? Source : $"{Source.TrimEnd('/')}/t/{Tenancy.CurrentArchive.Id}";

    /// <summary>
    /// The API's public base URL (<c>https://ledger.example.org</c>, no trailing slash): the prefix of each event's absolute
    /// <c>dataschema</c> and of the AsyncAPI document's server. Unset, the feed and the SSE stream use the request's scheme and
    /// host, and webhooks the address the server listens on.
    /// </summary>
    public string? PublicUrl { get; set; }

    public static bool IsValidPublicUrl(string? url)
        => url is null || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Query.Length == 0
            && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0 && !url.EndsWith('/'));

    /// <summary>How often an idle SSE stream sends a <c>: keep-alive</c> comment.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The SSE stream polls the store at most this often when idle; it backs off up to <see cref="MaxPollInterval"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>Settings under <c>Provenance:Webhooks</c>: delivery, retries and which targets may be called.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Provenance:Webhooks";

    /// <summary>
    /// Host names, IP addresses or CIDR ranges that may be called even though they are private, loopback or link-local
    /// (e.g. <c>127.0.0.1</c>, <c>10.0.0.0/8</c>, <c>hooks.internal</c>). Public addresses need no entry.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>How long one delivery attempt may take before it counts as a (retryable) timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A node leases each delivery it claims for 3 × <see cref="Timeout"/> plus this margin. If the node dies mid-attempt, the
    /// delivery (and the rest of its document's queue, which waits behind it) resumes on another node once the lease runs out;
    /// the receiver may then see that one event twice, with the same <c>webhook-id</c>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan LeaseMargin { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first retry waits about this long; each further one doubles it (with jitter) up to <see cref="MaxBackoff"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);

    /// <summary>After this many failed attempts in a row (any delivery), the subscription is disabled until resumed.</summary>
    [Range(1, 10_000)]
    public int MaxConsecutiveFailures { get; set; } = 20;

    /// <summary>How often the dispatcher looks for due deliveries when nothing woke it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// After a secret is rotated, deliveries are signed with the new and the previous secret for this long (Standard Webhooks
    /// allows several signatures), so a receiver can switch secrets without rejecting a delivery; afterwards only the new one signs.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan RotationGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Deliveries claimed per round by one node.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 32;
}
