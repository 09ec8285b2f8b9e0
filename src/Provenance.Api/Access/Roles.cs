using System.Security.Claims;

namespace Provenance.Api.Access;

/// <summary>
/// What an API key may do. Every valid key may read documents; <c>admin</c> holds every role.
/// Role names go into <c>[Authorize(Roles = ...)]</c>, where a comma means "any of".
/// </summary>
public static class Roles
{
    public const string Reader = "reader";
    public const string Contributor = "contributor";
    public const string Verifier = "verifier";
    public const string Integrator = "integrator";
    public const string Auditor = "auditor";
    public const string Admin = "admin";
    /// <summary>Erases content and fields under a legal basis, and withdraws documents from view (issue 18).</summary>
    public const string Steward = "steward";

    public static readonly IReadOnlyList<string> All = [Reader, Contributor, Verifier, Integrator, Auditor, Steward, Admin];

    /// <summary>
    /// The system administrator (<c>PROVENANCE_SYSTEM_KEY</c>): creates, lists and disables archives, and nothing else. Outside every
    /// archive, so never a key's role (not in <see cref="All"/>).
    /// </summary>
    public const string System = "system";

    public static string Actor(this ClaimsPrincipal user) => user.Identity?.Name ?? throw new InvalidOperationException("No authenticated principal.");
}
