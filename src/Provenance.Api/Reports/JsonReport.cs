using System.Text.Encodings.Web;
using System.Text.Json;

namespace Provenance.Api.Reports;

/// <summary>Our own complete report (<c>application/json</c>): the model as camelCase JSON, hashes base64, what <c>provenance verify-report</c> checks.</summary>
public static class JsonReport
{
    public const string MediaType = "application/json";

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Names in French and Armenian stay readable; the bytes are signed as written.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] Render(ProvenanceReport report) => JsonSerializer.SerializeToUtf8Bytes(report, Options);
}
