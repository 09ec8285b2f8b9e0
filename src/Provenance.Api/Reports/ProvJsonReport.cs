using System.Text.Json;
using System.Text.Json.Nodes;

namespace Provenance.Api.Reports;

/// <summary>W3C PROV-JSON (https://www.w3.org/Submission/prov-json/): prefix, entity, activity, agent and one object per relation kind.</summary>
public static class ProvJsonReport
{
    static readonly Dictionary<string, (string Subject, string Object)> Roles = new()
    {
        ["wasGeneratedBy"] = ("prov:entity", "prov:activity"),
        ["used"] = ("prov:activity", "prov:entity"),
        ["wasAssociatedWith"] = ("prov:activity", "prov:agent"),
        ["wasAttributedTo"] = ("prov:entity", "prov:agent"),
        ["wasDerivedFrom"] = ("prov:generatedEntity", "prov:usedEntity"),
        ["specializationOf"] = ("prov:specificEntity", "prov:generalEntity"),
    };

    public static byte[] Render(ProvenanceReport report) => JsonSerializer.SerializeToUtf8Bytes(ToJson(ProvGraph.From(report)), JsonReport.Options);

    public static JsonObject ToJson(ProvGraph graph)
    {
        var root = new JsonObject { ["prefix"] = new JsonObject(ProvGraph.Prefixes.Where(p => p.Key != "prov" && p.Key != "xsd")
            .Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))) };
        foreach (var (key, nodes) in new[] { ("entity", graph.Entities), ("activity", graph.Activities), ("agent", graph.Agents) })
        {
            var section = new JsonObject();
            foreach (var node in nodes) section[node.Id.ToString()] = Attributes(node);
            root[key] = section;
        }
        var counter = 0;
        foreach (var group in graph.Relations.GroupBy(r => r.Relation))
        {
            var section = new JsonObject();
            var (subject, @object) = Roles[group.Key];
            foreach (var r in group)
            {
                var o = new JsonObject { [subject] = r.Subject.ToString(), [@object] = r.Object.ToString() };
                if (r.Time is { } t) o["prov:time"] = ProvGraph.Time(t);
                if (r.Type is { } type) o["prov:type"] = Typed(type.ToString(), "prov:QUALIFIED_NAME");
                section[$"_:r{++counter}"] = o;
            }
            root[group.Key] = section;
        }
        return root;
    }

    static JsonObject Attributes(ProvNode node)
    {
        var o = new JsonObject { ["prov:type"] = new JsonArray([.. node.Types.Select(t => (JsonNode)Typed(t.ToString(), "prov:QUALIFIED_NAME"))]) };
        foreach (var group in node.Attributes.GroupBy(a => a.Property))
        {
            var values = group.Select(a => Value(a.Property, a.Value)).ToList();
            var name = group.Key switch { "prov:startedAtTime" => "prov:startTime", "prov:endedAtTime" => "prov:endTime", var k => k };
            o[name] = values.Count == 1 ? values[0] : new JsonArray([.. values]);
        }
        return o;
    }

    // PROV-JSON gives activity times as plain strings under prov:startTime/prov:endTime; other dates are typed values.
    static JsonNode Value(string property, ProvValue v) => v.Datatype is { } datatype && property is not ("prov:startedAtTime" or "prov:endedAtTime")
        ? Typed(v.Text, datatype)
        : JsonValue.Create(v.Text);

    static JsonObject Typed(string value, string type) => new() { ["$"] = value, ["type"] = type };
}
