using System.Globalization;
using Provenance.Api.Documents;

namespace Provenance.Api.Reports;

/// <summary>A qualified name: a prefix of <see cref="ProvGraph.Prefixes"/> and a local part (already IRI-safe).</summary>
public sealed record QName(string Prefix, string Local)
{
    public override string ToString() => $"{Prefix}:{Local}";
    public string Iri => ProvGraph.Prefixes[Prefix] + Local;
}

/// <summary>An attribute value: a string, a typed date-time, or a qualified name.</summary>
public sealed record ProvValue(string Text, string? Datatype = null, QName? Name = null)
{
    public static ProvValue Of(string text) => new(text);
    public static ProvValue Time(DateTimeOffset t) => new(ProvGraph.Time(t), "xsd:dateTime");
    public static ProvValue Ref(QName name) => new(name.ToString(), null, name);
}

public sealed record ProvNode(QName Id, string Class, IReadOnlyList<QName> Types, IReadOnlyList<(string Property, ProvValue Value)> Attributes);

/// <summary>A PROV relation: <c>Relation</c> is the PROV-JSON key (wasGeneratedBy, used, ...); Subject/Object in PROV-O direction.</summary>
public sealed record ProvRelation(string Relation, QName Subject, QName Object, DateTimeOffset? Time = null, QName? Type = null);

/// <summary>
/// The W3C PROV reading of a report, shared by PROV-JSON, Turtle and JSON-LD: revisions and translations are entities
/// (specializations of the document), ingestion, editing, translation and verification are activities, people and tools agents.
/// </summary>
public sealed record ProvGraph(IReadOnlyList<ProvNode> Entities, IReadOnlyList<ProvNode> Activities, IReadOnlyList<ProvNode> Agents,
    IReadOnlyList<ProvRelation> Relations)
{
    public const string PvNamespace = "https://provenance.example/ns#";

    public static readonly IReadOnlyDictionary<string, string> Prefixes = new Dictionary<string, string>
    {
        ["prov"] = "http://www.w3.org/ns/prov#",
        ["xsd"] = "http://www.w3.org/2001/XMLSchema#",
        ["pv"] = PvNamespace,
        ["doc"] = "urn:provenance:document:",
        ["agent"] = "urn:provenance:agent:",
        ["foaf"] = "http://xmlns.com/foaf/0.1/",
    };

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    static QName Pv(string local) => new("pv", local);
    static QName Prov(string local) => new("prov", local);
    static QName Agent(string name) => new("agent", Uri.EscapeDataString(name));

    public static ProvGraph From(ProvenanceReport report)
    {
        var id = report.Document.Id.ToString();
        QName Doc(string local) => new("doc", $"{id}/{local}");
        QName Revision(int n) => Doc($"revision-{n}");
        QName Activity(long sequence) => Doc($"event-{sequence}");

        var document = new QName("doc", id);
        var entities = new List<ProvNode>
        {
            new(document, "entity", [Pv("Document")], [
                ("prov:label", ProvValue.Of(report.Document.Title)), ("pv:language", ProvValue.Of(report.Document.Language)),
                .. Optional("pv:sourceUri", report.Document.SourceUri), .. Optional("pv:publisher", report.Document.Publisher)]),
        };
        var activities = new List<ProvNode>();
        var agents = new Dictionary<QName, ProvNode>();
        var relations = new List<ProvRelation>();

        // A person is named by the people directory when it knows the login: foaf:name and the ORCID/ISNI URI (pv:identifier).
        void Person(string name, string role) => agents.TryAdd(Agent(name), new ProvNode(Agent(name), "agent", [Prov("Person")],
            [("prov:label", ProvValue.Of(report.Label(name))), ("pv:role", ProvValue.Of(role)),
             .. role == "actor" ? [("pv:login", ProvValue.Of(name))] : Array.Empty<(string, ProvValue)>(),
             .. report.Agent(name) is { DisplayName: { Length: > 0 } display } ? [("foaf:name", ProvValue.Of(display))] : Array.Empty<(string, ProvValue)>(),
             .. report.Agent(name) is { Identifier: { } uri } ? [("pv:identifier", new ProvValue(uri, "xsd:anyURI"))] : Array.Empty<(string, ProvValue)>()]));
        void Tool(string name) => agents.TryAdd(Agent(name), new ProvNode(Agent(name), "agent", [Prov("SoftwareAgent")],
            [("prov:label", ProvValue.Of(name)), ("pv:role", ProvValue.Of("tool"))]));
        void Act(ReportEvent e, string type, params (string, ProvValue)[] extra)
        {
            activities.Add(new ProvNode(Activity(e.Sequence), "activity", [Pv(type)],
                [("prov:startedAtTime", ProvValue.Time(e.Timestamp)), ("prov:endedAtTime", ProvValue.Time(e.Timestamp)),
                 ("prov:label", ProvValue.Of(e.Summary)), .. Optional("pv:reason", e.Reason), .. Optional("pv:correlationId", e.CorrelationId), .. extra]));
            Person(e.Actor, "actor");
            relations.Add(new ProvRelation("wasAssociatedWith", Activity(e.Sequence), Agent(e.Actor)));
        }

        var bySequence = report.Events.ToDictionary(e => e.Sequence);
        var translationEntity = new Dictionary<long, QName>();
        foreach (var r in report.Revisions)
        {
            var e = bySequence[r.Sequence];
            entities.Add(new ProvNode(Revision(r.Revision), "entity", [Pv("Revision")],
                [("prov:label", ProvValue.Of($"Revision {r.Revision}")), ("pv:contentDigest", ProvValue.Of(r.ContentDigest)),
                 ("pv:mediaType", ProvValue.Of(r.MediaType)), ("pv:size", ProvValue.Of(r.Size.ToString(CultureInfo.InvariantCulture))),
                 .. r.LinesAdded is { } added ? [("pv:linesAdded", ProvValue.Of(added.ToString(CultureInfo.InvariantCulture)))] : Array.Empty<(string, ProvValue)>(),
                 .. r.LinesRemoved is { } removed ? [("pv:linesRemoved", ProvValue.Of(removed.ToString(CultureInfo.InvariantCulture)))] : Array.Empty<(string, ProvValue)>()]));
            Act(e, r.BaseRevision is null ? "Ingestion" : "Editing");
            relations.Add(new ProvRelation("specializationOf", Revision(r.Revision), document));
            relations.Add(new ProvRelation("wasGeneratedBy", Revision(r.Revision), Activity(r.Sequence), r.RecordedAt));
            relations.Add(new ProvRelation("wasAttributedTo", Revision(r.Revision), Agent(r.Actor)));
            if (r.BaseRevision is { } b)
            {
                relations.Add(new ProvRelation("used", Activity(r.Sequence), Revision(b)));
                relations.Add(new ProvRelation("wasDerivedFrom", Revision(r.Revision), Revision(b), null, Prov("Revision")));
            }
        }
        foreach (var t in report.Translations)
        {
            var e = bySequence[t.Sequence];
            var entity = Doc($"translation-{t.Sequence}");
            translationEntity[t.Sequence] = entity;
            entities.Add(new ProvNode(entity, "entity", [Pv("Translation")],
                [("prov:label", ProvValue.Of($"{t.Language} translation of revision {t.SourceRevision}")), ("pv:language", ProvValue.Of(t.Language)),
                 ("pv:contentDigest", ProvValue.Of(t.ContentDigest)), ("pv:translationMethod", ProvValue.Of(t.Method)),
                 ("pv:outdated", ProvValue.Of(t.Outdated ? "true" : "false"))]));
            Act(e, "TranslationActivity");
            relations.Add(new ProvRelation("specializationOf", entity, document));
            relations.Add(new ProvRelation("used", Activity(t.Sequence), Revision(t.SourceRevision)));
            relations.Add(new ProvRelation("wasGeneratedBy", entity, Activity(t.Sequence), t.RecordedAt));
            relations.Add(new ProvRelation("wasDerivedFrom", entity, Revision(t.SourceRevision), null, Pv("Translation")));
            // The translator is a person, or a tool for raw machine output.
            if (t.Method == TranslationMethods.Machine) Tool(t.Translator); else Person(t.Translator, "translator");
            relations.Add(new ProvRelation("wasAssociatedWith", Activity(t.Sequence), Agent(t.Translator)));
            relations.Add(new ProvRelation("wasAttributedTo", entity, Agent(t.Translator)));
        }
        foreach (var v in report.Verifications)
        {
            var e = bySequence[v.Sequence];
            Act(e, "Verification", [("pv:verdict", ProvValue.Of(v.Verdict)), ("pv:method", ProvValue.Of(v.Method)),
                .. v.Claim is null ? Array.Empty<(string, ProvValue)>() : [("pv:claim", ProvValue.Of(v.Claim.Quote))],
                .. v.Evidence.Select(x => ("pv:evidence", ProvValue.Of(x)))]);
            var target = v.Target.StartsWith(ReportKinds.Translation, StringComparison.Ordinal)
                ? translationEntity[long.Parse(v.Target[(ReportKinds.Translation.Length + 1)..], CultureInfo.InvariantCulture)]
                : Revision(v.Revision);
            relations.Add(new ProvRelation("used", Activity(v.Sequence), target));
        }
        foreach (var f in report.FixityChecks)
        {
            var e = bySequence[f.Sequence];
            Act(e, "FixityCheck", ("pv:outcome", ProvValue.Of(f.Outcome)), ("pv:contentDigest", ProvValue.Of(f.ContentDigest)));
            relations.Add(new ProvRelation("used", Activity(f.Sequence), document));
        }
        return new ProvGraph(entities, activities, [.. agents.Values.OrderBy(a => a.Id.Local, StringComparer.Ordinal)], relations);
    }

    static (string, ProvValue)[] Optional(string property, string? value) => value is null ? [] : [(property, ProvValue.Of(value))];
}
