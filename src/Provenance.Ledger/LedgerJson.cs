using System.Text.Json;
using System.Text.Json.Serialization;

namespace Provenance.Ledger;

/// <summary>
/// The JSON shape of proofs and checkpoints as the API serves them: camelCase names, hashes as base64 strings
/// (System.Text.Json's form for byte[]).
/// </summary>
public static class LedgerJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            NumberHandling = JsonNumberHandling.Strict,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
