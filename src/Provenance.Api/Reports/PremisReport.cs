using System.Globalization;
using System.Text;
using System.Xml;
using Provenance.Api.Documents;

namespace Provenance.Api.Reports;

/// <summary>
/// PREMIS 3.0 XML (<c>application/xml</c>), valid against premis-v3-0.xsd: the document as an intellectual entity, each revision and
/// translation as a file object with SHA-256 fixity, each event typed from the Library of Congress event type vocabulary
/// (ingestion, modification, creation for a translation, validation for a verdict, fixity check) with outcome and agents.
/// </summary>
public static class PremisReport
{
    public const string Namespace = "http://www.loc.gov/premis/v3";
    const string Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    const string EventTypes = "http://id.loc.gov/vocabulary/preservation/eventType";
    const string Local = "local";

    public static readonly IReadOnlyDictionary<string, (string Label, string Code)> EventTypeOf = new Dictionary<string, (string, string)>
    {
        [nameof(DocumentIngested)] = ("ingestion", "ing"),
        [nameof(DocumentEdited)] = ("modification", "mod"),
        [nameof(DocumentTranslated)] = ("creation", "cre"),
        [nameof(DocumentVerified)] = ("validation", "val"),
        [nameof(Api.Ledger.FixityChecked)] = ("fixity check", "fix"),
    };

    public static byte[] Render(ProvenanceReport report)
    {
        using var buffer = new MemoryStream();
        // Events are immutable: one stored before control characters were refused must still export. The writer is told not to
        // check characters, then what XML 1.0 cannot carry is replaced below, and the document says so.
        using (var xml = XmlWriter.Create(buffer, new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), CheckCharacters = false }))
        {
            Write(xml, report);
        }
        return XmlCharacters.Repair(buffer.ToArray());
    }

    static void Write(XmlWriter xml, ProvenanceReport report)
    {
        var id = report.Document.Id.ToString();
        string RevisionId(int n) => $"{id}/revision-{n}";
        string TranslationId(long sequence) => $"{id}/translation-{sequence}";
        string EventId(long sequence) => $"{id}/event-{sequence}";
        var events = report.Events.Where(e => EventTypeOf.ContainsKey(e.Kind)).ToList();

        xml.WriteStartDocument();
        xml.WriteStartElement("premis", Namespace);
        xml.WriteAttributeString("xmlns", "xsi", null, Xsi);
        xml.WriteAttributeString("version", "3.0");

        // The document: an intellectual entity including its revisions and translations.
        xml.WriteStartElement("object", Namespace);
        xml.WriteAttributeString("xsi", "type", Xsi, "intellectualEntity");
        Identifier(xml, "objectIdentifier", "UUID", id);
        xml.WriteElementString("originalName", Namespace, report.Document.Title);
        foreach (var r in report.Revisions) Relationship(xml, "structural", "includes", RevisionId(r.Revision));
        foreach (var t in report.Translations) Relationship(xml, "structural", "includes", TranslationId(t.Sequence));
        foreach (var e in events) Identifier(xml, "linkingEventIdentifier", Local, EventId(e.Sequence));
        xml.WriteEndElement();

        foreach (var r in report.Revisions)
        {
            FileObject(xml, RevisionId(r.Revision), r.ContentDigest, r.Size, r.MediaType, r.Revision == 1 ? report.Document.OriginalFileName : null);
            Relationship(xml, "structural", "is included in", id);
            if (r.BaseRevision is { } b) Relationship(xml, "derivation", "has source", RevisionId(b));
            foreach (var e in events.Where(e => Concerns(e, r))) Identifier(xml, "linkingEventIdentifier", Local, EventId(e.Sequence));
            xml.WriteEndElement();
        }
        foreach (var t in report.Translations)
        {
            FileObject(xml, TranslationId(t.Sequence), t.ContentDigest, t.Size, t.MediaType, null);
            Relationship(xml, "structural", "is included in", id);
            Relationship(xml, "derivation", "has source", RevisionId(t.SourceRevision));
            Identifier(xml, "linkingEventIdentifier", Local, EventId(t.Sequence));
            xml.WriteEndElement();
        }

        var verdicts = report.Verifications.ToDictionary(v => v.Sequence);
        var fixity = report.FixityChecks.ToDictionary(f => f.Sequence);
        var translations = report.Translations.ToDictionary(t => t.Sequence);
        var revisions = report.Revisions.ToDictionary(r => r.Sequence);
        foreach (var e in events)
        {
            var (label, code) = EventTypeOf[e.Kind];
            xml.WriteStartElement("event", Namespace);
            Identifier(xml, "eventIdentifier", Local, EventId(e.Sequence));
            Authority(xml, "eventType", label, "eventType", EventTypes, $"{EventTypes}/{code}");
            xml.WriteElementString("eventDateTime", Namespace, ProvGraph.Time(e.Timestamp));
            xml.WriteStartElement("eventDetailInformation", Namespace);
            xml.WriteElementString("eventDetail", Namespace, e.Reason is null ? e.Summary : $"{e.Summary}. Reason: {e.Reason}");
            xml.WriteEndElement();

            xml.WriteStartElement("eventOutcomeInformation", Namespace);
            if (verdicts.TryGetValue(e.Sequence, out var v))
            {
                xml.WriteElementString("eventOutcome", Namespace, v.Verdict);
                foreach (var note in v.Evidence.Select(x => $"Evidence: {x}").Concat(v.Notes is null ? [] : [v.Notes]))
                {
                    xml.WriteStartElement("eventOutcomeDetail", Namespace);
                    xml.WriteElementString("eventOutcomeDetailNote", Namespace, note);
                    xml.WriteEndElement();
                }
            }
            else if (fixity.TryGetValue(e.Sequence, out var f))
            {
                xml.WriteElementString("eventOutcome", Namespace, f.Outcome);
                if (f.Detail is not null)
                {
                    xml.WriteStartElement("eventOutcomeDetail", Namespace);
                    xml.WriteElementString("eventOutcomeDetailNote", Namespace, f.Detail);
                    xml.WriteEndElement();
                }
            }
            else
            {
                xml.WriteElementString("eventOutcome", Namespace, "success");
            }
            xml.WriteEndElement();

            Agent(xml, "linkingAgentIdentifier", e.Actor, "implementer");
            if (translations.TryGetValue(e.Sequence, out var t))
            {
                Agent(xml, "linkingAgentIdentifier", t.Translator, "translator");
                LinkObject(xml, RevisionId(t.SourceRevision), "source");
                LinkObject(xml, TranslationId(t.Sequence), "outcome");
            }
            else if (revisions.TryGetValue(e.Sequence, out var r))
            {
                if (r.BaseRevision is { } b) LinkObject(xml, RevisionId(b), "source");
                LinkObject(xml, RevisionId(r.Revision), "outcome");
            }
            else if (v is not null)
            {
                LinkObject(xml, v.Target.StartsWith(ReportKinds.Translation, StringComparison.Ordinal)
                    ? TranslationId(long.Parse(v.Target[(ReportKinds.Translation.Length + 1)..], CultureInfo.InvariantCulture))
                    : RevisionId(v.Revision), "source");
            }
            else
            {
                LinkObject(xml, id, "source");
            }
            xml.WriteEndElement();
        }

        var people = report.Events.Select(e => (Name: e.Actor, Software: false))
            .Concat(report.Translations.Select(t => (Name: t.Translator, Software: t.Method == TranslationMethods.Machine)))
            .DistinctBy(a => a.Name).OrderBy(a => a.Name, StringComparer.Ordinal);
        foreach (var (name, software) in people)
        {
            xml.WriteStartElement("agent", Namespace);
            Identifier(xml, "agentIdentifier", Local, name);
            // The person's persistent identifier (ORCID or ISNI, from the people directory) beside the local login.
            if (report.Agent(name) is { Identifier: { } uri })
                Identifier(xml, "agentIdentifier", uri.StartsWith("https://orcid.org/", StringComparison.Ordinal) ? "ORCID" : "ISNI", uri);
            xml.WriteElementString("agentName", Namespace, report.Label(name));
            Authority(xml, "agentType", software ? "software" : "person", "agentType", "http://id.loc.gov/vocabulary/preservation/agentType",
                $"http://id.loc.gov/vocabulary/preservation/agentType/{(software ? "sof" : "per")}");
            xml.WriteEndElement();
        }
        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    static bool Concerns(ReportEvent e, ReportRevision r) =>
        e.Sequence == r.Sequence || (e.Kind == nameof(DocumentVerified) && e.Data.TryGetProperty("revision", out var n) && n.GetInt32() == r.Revision
                                      && (!e.Data.TryGetProperty("language", out var l) || l.ValueKind == System.Text.Json.JsonValueKind.Null));

    /// <summary>Opens a file object with identifier and characteristics; the caller adds relationships and closes it.</summary>
    static void FileObject(XmlWriter xml, string objectId, string digest, long size, string mediaType, string? originalName)
    {
        xml.WriteStartElement("object", Namespace);
        xml.WriteAttributeString("xsi", "type", Xsi, "file");
        Identifier(xml, "objectIdentifier", Local, objectId);
        xml.WriteStartElement("objectCharacteristics", Namespace);
        xml.WriteElementString("compositionLevel", Namespace, "0");
        xml.WriteStartElement("fixity", Namespace);
        Authority(xml, "messageDigestAlgorithm", "SHA-256", "cryptographicHashFunctions", "http://id.loc.gov/vocabulary/preservation/cryptographicHashFunctions",
            "http://id.loc.gov/vocabulary/preservation/cryptographicHashFunctions/sha256");
        xml.WriteElementString("messageDigest", Namespace, digest.StartsWith("sha256:", StringComparison.Ordinal) ? digest["sha256:".Length..] : digest);
        xml.WriteEndElement();
        xml.WriteElementString("size", Namespace, size.ToString(CultureInfo.InvariantCulture));
        xml.WriteStartElement("format", Namespace);
        xml.WriteStartElement("formatDesignation", Namespace);
        xml.WriteElementString("formatName", Namespace, mediaType);
        xml.WriteEndElement();
        xml.WriteEndElement();
        xml.WriteEndElement();
        if (originalName is not null) xml.WriteElementString("originalName", Namespace, originalName);
    }

    static void Identifier(XmlWriter xml, string element, string type, string value)
    {
        xml.WriteStartElement(element, Namespace);
        xml.WriteElementString(element + "Type", Namespace, type);
        xml.WriteElementString(element + "Value", Namespace, value);
        xml.WriteEndElement();
    }

    static void Relationship(XmlWriter xml, string type, string subType, string objectId)
    {
        xml.WriteStartElement("relationship", Namespace);
        Authority(xml, "relationshipType", type, "relationshipType", "http://id.loc.gov/vocabulary/preservation/relationshipType", null);
        Authority(xml, "relationshipSubType", subType, "relationshipSubType", "http://id.loc.gov/vocabulary/preservation/relationshipSubType", null);
        xml.WriteStartElement("relatedObjectIdentifier", Namespace);
        xml.WriteElementString("relatedObjectIdentifierType", Namespace, Local);
        xml.WriteElementString("relatedObjectIdentifierValue", Namespace, objectId);
        xml.WriteEndElement();
        xml.WriteEndElement();
    }

    static void Agent(XmlWriter xml, string element, string name, string role)
    {
        xml.WriteStartElement(element, Namespace);
        xml.WriteElementString("linkingAgentIdentifierType", Namespace, Local);
        xml.WriteElementString("linkingAgentIdentifierValue", Namespace, name);
        xml.WriteElementString("linkingAgentRole", Namespace, role);
        xml.WriteEndElement();
    }

    static void LinkObject(XmlWriter xml, string objectId, string role)
    {
        xml.WriteStartElement("linkingObjectIdentifier", Namespace);
        xml.WriteElementString("linkingObjectIdentifierType", Namespace, Local);
        xml.WriteElementString("linkingObjectIdentifierValue", Namespace, objectId);
        xml.WriteElementString("linkingObjectRole", Namespace, role);
        xml.WriteEndElement();
    }

    static void Authority(XmlWriter xml, string element, string text, string authority, string authorityUri, string? valueUri)
    {
        xml.WriteStartElement(element, Namespace);
        xml.WriteAttributeString("authority", authority);
        xml.WriteAttributeString("authorityURI", authorityUri);
        if (valueUri is not null) xml.WriteAttributeString("valueURI", valueUri);
        xml.WriteString(text);
        xml.WriteEndElement();
    }
}
