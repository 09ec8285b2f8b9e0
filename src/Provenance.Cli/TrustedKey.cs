using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using Provenance.Ledger;

namespace Provenance.Cli;

/// <summary>What the verify commands exit with (README: "Exit codes").</summary>
static class ExitCodes
{
    /// <summary>Every check passed against a trusted key.</summary>
    public const int Verified = 0;
    /// <summary>A check failed: the bytes, signature, checkpoint or proof do not verify.</summary>
    public const int NotVerified = 1;
    /// <summary>Nothing was verified: no trusted key, a missing file or signature, the wrong command for the file, or bad arguments.</summary>
    public const int CannotVerify = 2;
    /// <summary><c>verify-report --trust-embedded-key</c>: consistent with the key the report names, which nobody vouched for.</summary>
    public const int UntrustedKey = 3;

    public static int Cannot(string why)
    {
        Console.Error.WriteLine(why);
        return CannotVerify;
    }
}

/// <summary>
/// The key a verify command trusts: exactly one of <c>--key</c>, <c>--key-file</c> or <c>--key-url</c>. A verifier fails closed:
/// without one nothing passes, and the key a file names about itself is never taken for it.
/// </summary>
sealed class TrustedKey
{
    public const string Missing =
        "No trusted key: give the ledger's verifier key with --key <key>, --key-file FILE or --key-url URL (the ledger's /api/ledger/key). " +
        "A key written inside the file is not trusted: anyone can sign with a key of their own.";

    readonly Option<string?> key = new("--key") { Description = "The ledger's verifier key, <name>+<key id>+<base64> (GET /api/ledger/key)." };
    readonly Option<FileInfo?> keyFile = new("--key-file") { Description = "A file holding the ledger's verifier key." };
    readonly Option<string?> keyUrl = new("--key-url")
    {
        Description = "Fetch the verifier key from the ledger at this URL (its base or its /api/ledger/key); trust it as much as the URL (use https).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(key);
        command.Options.Add(keyFile);
        command.Options.Add(keyUrl);
    }

    public bool Given(ParseResult result) => result.GetValue(key) is not null || result.GetValue(keyFile) is not null || result.GetValue(keyUrl) is not null;

    /// <summary>The trusted key, or null after printing why there is none (the command then exits <see cref="ExitCodes.CannotVerify"/>).</summary>
    public async Task<NoteVerifier?> ResolveAsync(ParseResult result, Func<string, string, HttpClient> connect, CancellationToken ct)
    {
        var (text, file, url) = (result.GetValue(key), result.GetValue(keyFile), result.GetValue(keyUrl));
        if ((text is null ? 0 : 1) + (file is null ? 0 : 1) + (url is null ? 0 : 1) > 1) return Refuse("Give only one of --key, --key-file and --key-url.");
        if (text is not null) return Parse(text, "--key");
        if (file is not null)
        {
            try
            {
                return Parse((await File.ReadAllTextAsync(file.FullName, ct)).Trim(), $"the key file {file.FullName}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Refuse($"Cannot read the key file {file.FullName}: {e.Message}");
            }
        }
        if (url is not null) return await FetchAsync(url, connect, ct);
        return Refuse(Missing);
    }

    static NoteVerifier? Parse(string text, string source)
    {
        if (!NoteVerifier.TryParse(text, out var verifier, out var error)) return Refuse($"The key from {source} is not a verifier key: {error}");
        Console.WriteLine($"Trusted key: {verifier!.VerifierKey} (from {source}).");
        return verifier;
    }

    /// <summary>GET /api/ledger/key of the ledger at <paramref name="url"/>: anonymous, so no API key is sent.</summary>
    static async Task<NoteVerifier?> FetchAsync(string url, Func<string, string, HttpClient> connect, CancellationToken ct)
    {
        const string endpoint = "api/ledger/key";
        var trimmed = url.Trim().TrimEnd('/');
        var ledger = trimmed.EndsWith("/" + endpoint, StringComparison.OrdinalIgnoreCase) ? trimmed[..^(endpoint.Length + 1)] : trimmed;
        if (!Uri.TryCreate(ledger, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return Refuse($"--key-url must be an http(s) URL of the ledger, not '{url}'.");
        }
        try
        {
            using var http = connect(ledger, "");
            http.DefaultRequestHeaders.Authorization = null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            using var response = await http.GetAsync(endpoint, timeout.Token);
            if (!response.IsSuccessStatusCode) return Refuse($"Could not fetch the verifier key from {ledger}/{endpoint}: {await ApiClient.FailureAsync(response)}");
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
            if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("verifierKey", out var verifierKey) || verifierKey.ValueKind != JsonValueKind.String)
            {
                return Refuse($"{ledger}/{endpoint} did not answer a ledger key (no 'verifierKey').");
            }
            return Parse(verifierKey.GetString()!, $"{ledger}/{endpoint}");
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException or NotSupportedException)
        {
            return Refuse($"Could not fetch the verifier key from {ledger}/{endpoint}: {e.Message}");
        }
    }

    static NoteVerifier? Refuse(string why)
    {
        ExitCodes.Cannot(why);
        return null;
    }
}
