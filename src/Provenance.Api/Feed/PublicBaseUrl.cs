using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Provenance.Api.Feed;

/// <summary>
/// The absolute base of the URLs events carry (<c>dataschema</c>): <see cref="FeedOptions.PublicUrl"/> when configured, else the
/// request's own scheme and host, else (for webhooks, sent with no request) the first address the server listens on.
/// </summary>
public sealed class PublicBaseUrl(IOptions<FeedOptions> options, IServer server)
{
    public string For(HttpRequest request) => options.Value.PublicUrl ?? $"{request.Scheme}://{request.Host}";

    public string WithoutRequest()
    {
        if (options.Value.PublicUrl is { } configured) return configured;
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null || !Uri.TryCreate(address.Replace("://+", "://localhost").Replace("://*", "://localhost"), UriKind.Absolute, out var uri))
        {
            return "http://localhost";
        }
        var host = uri.Host is "0.0.0.0" or "[::]" or "::" ? "localhost" : uri.Host;
        return uri.IsDefaultPort ? $"{uri.Scheme}://{host}" : $"{uri.Scheme}://{host}:{uri.Port}";
    }
}
