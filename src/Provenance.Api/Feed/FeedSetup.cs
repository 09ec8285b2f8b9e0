using Marten;
using Microsoft.Extensions.Options;
using Provenance.Api.Hosting;

namespace Provenance.Api.Feed;

public static class FeedSetup
{
    /// <summary>The change feed, its SSE stream and webhooks: options and the dispatcher.</summary>
    public static IServiceCollection AddProvenanceFeed(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FeedOptions>().Bind(configuration.GetSection(FeedOptions.Section)).ValidateDataAnnotations()
            .Validate(o => FeedOptions.IsValidPublicUrl(o.PublicUrl),
                "Provenance:Feed:PublicUrl must be an absolute http(s) URL without a trailing slash, query or fragment.")
            .ValidateOnStart();
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.Section)).ValidateDataAnnotations()
            .Validate(o => o.AllowedHosts.All(h => !string.IsNullOrWhiteSpace(h)), "Provenance:Webhooks:AllowedHosts has an empty entry.")
            .Validate(o => o.InitialBackoff <= o.MaxBackoff, "Provenance:Webhooks:InitialBackoff must not exceed MaxBackoff.")
            .ValidateOnStart();

        services.AddSingleton<EventCatalogue>();
        services.AddSingleton<PublicBaseUrl>();
        services.AddSingleton<FeedReader>();
        services.AddSingleton<WebhookSignal>();
        services.AddSingleton<WebhookTargets>();
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookSubscriptions>();
        services.AddHttpClient(WebhookDispatcher.ClientName, c =>
            {
                c.Timeout = Timeout.InfiniteTimeSpan;
                c.DefaultRequestHeaders.UserAgent.ParseAdd("Provenance-Webhooks/1");
            })
            .ConfigurePrimaryHttpMessageHandler(WebhookDispatcher.CreateHandler);
        services.AddHostedService<WebhookDispatcher>();
        // The webhook tables and the fan-out subscription are registered with the rest of the store (EventStoreSetup).
        return services;
    }
}
