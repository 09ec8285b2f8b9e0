using System.Text;

namespace Provenance.Api.Reports;

/// <summary>PROV-O as Turtle (<c>text/turtle</c>): full IRIs for resources, prefixed names for vocabulary, times typed <c>xsd:dateTime</c>.</summary>
public static class ProvTurtleReport
{
    static readonly Dictionary<string, string> Predicates = new()
    {
        ["wasGeneratedBy"] = "prov:wasGeneratedBy",
        ["used"] = "prov:used",
        ["wasAssociatedWith"] = "prov:wasAssociatedWith",
        ["wasAttributedTo"] = "prov:wasAttributedTo",
        ["specializationOf"] = "prov:specializationOf",
    };

    public static byte[] Render(ProvenanceReport report) => Encoding.UTF8.GetBytes(Write(ProvGraph.From(report)));

    public static string Write(ProvGraph graph)
    {
        var text = new StringBuilder();
        foreach (var (prefix, ns) in ProvGraph.Prefixes.Where(p => p.Key is "prov" or "xsd" or "pv" or "foaf")) text.Append($"@prefix {prefix}: <{ns}> .\n");
        text.Append("@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n");
        var bySubject = graph.Relations.ToLookup(r => r.Subject);
        foreach (var (node, klass) in graph.Entities.Select(n => (n, "prov:Entity")).Concat(graph.Activities.Select(n => (n, "prov:Activity")))
                     .Concat(graph.Agents.Select(n => (n, "prov:Agent"))))
        {
            text.Append($"\n<{node.Id.Iri}> a {klass}");
            foreach (var type in node.Types) text.Append($", {type}");
            foreach (var (property, value) in node.Attributes)
            {
                text.Append($" ;\n    {(property == "prov:label" ? "rdfs:label" : property)} {Literal(value)}");
            }
            foreach (var r in bySubject[node.Id])
            {
                var predicate = r.Relation == "wasDerivedFrom"
                    ? r.Type is { Prefix: "prov", Local: "Revision" } ? "prov:wasRevisionOf" : "prov:wasDerivedFrom"
                    : Predicates[r.Relation];
                text.Append($" ;\n    {predicate} <{r.Object.Iri}>");
                if (r.Relation == "wasGeneratedBy" && r.Time is { } t) text.Append($" ;\n    prov:generatedAtTime {Literal(ProvValue.Time(t))}");
                if (r.Relation == "wasDerivedFrom" && r.Type is { Prefix: "pv" } type) text.Append($" ;\n    pv:derivationType {type}");
            }
            text.Append(" .\n");
        }
        return text.ToString();
    }

    static string Literal(ProvValue v) => v.Name is { } name ? $"<{name.Iri}>" : $"\"{Escape(v.Text)}\"" + (v.Datatype is { } d ? $"^^{d}" : "");

    static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r");
}
