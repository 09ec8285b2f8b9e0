using System.Text.Json;
using System.Text.Json.Nodes;

namespace Provenance.Api.Reports;

/// <summary>PROV-O as JSON-LD (<c>application/ld+json</c>): one <c>@graph</c> node per resource, the same triples as the Turtle.</summary>
public static class ProvJsonLdReport
{
    public static byte[] Render(ProvenanceReport report) => JsonSerializer.SerializeToUtf8Bytes(ToJson(ProvGraph.From(report)), JsonReport.Options);

    public static JsonObject ToJson(ProvGraph graph)
    {
        var context = new JsonObject(ProvGraph.Prefixes.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)))
        {
            ["rdfs"] = "http://www.w3.org/2000/01/rdf-schema#",
        };
        var nodes = new JsonArray();
        var bySubject = graph.Relations.ToLookup(r => r.Subject);
        foreach (var (node, klass) in graph.Entities.Select(n => (n, "prov:Entity")).Concat(graph.Activities.Select(n => (n, "prov:Activity")))
                     .Concat(graph.Agents.Select(n => (n, "prov:Agent"))))
        {
            var o = new JsonObject { ["@id"] = node.Id.Iri, ["@type"] = new JsonArray([klass, .. node.Types.Select(t => (JsonNode)t.ToString())]) };
            foreach (var group in node.Attributes.GroupBy(a => a.Property))
            {
                var values = group.Select(a => Value(a.Value)).ToList();
                o[group.Key == "prov:label" ? "rdfs:label" : group.Key] = values.Count == 1 ? values[0] : new JsonArray([.. values]);
            }
            foreach (var group in bySubject[node.Id].GroupBy(Predicate))
            {
                var values = group.Select(r => (JsonNode)new JsonObject { ["@id"] = r.Object.Iri }).ToList();
                o[group.Key] = values.Count == 1 ? values[0] : new JsonArray([.. values]);
                foreach (var r in group.Where(r => r.Relation == "wasGeneratedBy" && r.Time is not null))
                {
                    o["prov:generatedAtTime"] = Value(ProvValue.Time(r.Time!.Value));
                }
                foreach (var r in group.Where(r => r.Type is { Prefix: "pv" }))
                {
                    o["pv:derivationType"] = new JsonObject { ["@id"] = r.Type!.Iri };
                }
            }
            nodes.Add(o);
        }
        return new JsonObject { ["@context"] = context, ["@graph"] = nodes };
    }

    static string Predicate(ProvRelation r) => r.Relation == "wasDerivedFrom"
        ? r.Type is { Prefix: "prov", Local: "Revision" } ? "prov:wasRevisionOf" : "prov:wasDerivedFrom"
        : "prov:" + r.Relation;

    static JsonNode Value(ProvValue v) => v.Datatype is { } d ? new JsonObject { ["@value"] = v.Text, ["@type"] = d } : JsonValue.Create(v.Text)!;
}
