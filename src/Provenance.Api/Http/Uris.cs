namespace Provenance.Api.Http;

public static class Uris
{
    public static bool IsAbsoluteWeb(string value)
        => value.Length <= 2048 && TextRules.FirstControl(value, multiLine: false) < 0 && !value.Any(char.IsWhiteSpace)
           && Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    /// <summary>Evidence may be any absolute URI (https, doi:, urn:, ...).</summary>
    public static bool IsAbsolute(string value) => value.Length <= 2048 && TextRules.FirstControl(value, multiLine: false) < 0
        && !value.Any(char.IsWhiteSpace) && Uri.TryCreate(value, UriKind.Absolute, out _);
}
