using System.Globalization;
using System.Text;
using Provenance.Api.Audit;

namespace Provenance.Api.Reports;

/// <summary>The event table as RFC 4180 CSV (<c>text/csv</c>) written by <see cref="CsvFormat"/>: CRLF line ends, a header row, formulas neutralized.</summary>
public static class CsvReport
{
    public const string MediaType = "text/csv";

    public static readonly string[] Header =
        ["document_id", "sequence", "version", "kind", "event_type", "timestamp", "actor", "reason", "correlation_id", "summary", "leaf_index", "leaf_hash"];

    public static byte[] Render(ProvenanceReport report)
    {
        var leaves = report.Integrity.Events.ToDictionary(e => e.Sequence);
        var text = new StringBuilder();
        AppendRow(text, Header);
        foreach (var e in report.Events)
        {
            leaves.TryGetValue(e.Sequence, out var leaf);
            AppendRow(text, Row(report.Document.Id, e, leaf?.LeafIndex, leaf?.LeafHash));
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static string[] Row(Guid documentId, ReportEvent e, long? leafIndex, byte[]? leafHash) =>
    [
        documentId.ToString(), Invariant(e.Sequence), Invariant(e.Version), e.Kind, e.EventType, Time(e.Timestamp), e.Actor, e.Reason ?? "",
        e.CorrelationId ?? "", e.Summary, leafIndex is { } i ? Invariant(i) : "", leafHash is null ? "" : Convert.ToHexStringLower(leafHash),
    ];

    public static void AppendRow(StringBuilder text, IEnumerable<string> fields) => text.Append(CsvFormat.Row(fields));

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
