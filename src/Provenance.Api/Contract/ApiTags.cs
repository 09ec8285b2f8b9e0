namespace Provenance.Api.Contract;

/// <summary>The capabilities the HTTP API is grouped by in its OpenAPI document (<c>[Tags(ApiTags.Documents)]</c>), in order.</summary>
public static class ApiTags
{
    public const string Documents = "Documents";
    public const string Translations = "Translations";
    public const string Verifications = "Verifications";
    public const string Search = "Search";
    public const string Audit = "Audit";
    public const string Reports = "Reports";
    public const string Ledger = "Ledger";
    public const string PublicLog = "Public log";
    public const string Feed = "Change feed";
    public const string Webhooks = "Webhooks";
    public const string Events = "Events";
    public const string Keys = "API keys";
    public const string People = "People";
    public const string Packages = "Preservation packages";
    public const string Erasure = "Erasure";
    public const string Tenants = "Archives";

    public static readonly IReadOnlyList<(string Name, string Description)> All =
    [
        (Documents, "Ingest documents, record revisions (based on the revision named in `If-Match`), and read a document's view, content, "
            + "revisions, diffs, history and lineage, now or as it stood at an earlier time (`asOf`, RFC 7089 Memento)."),
        (Translations, "Record a translation of a document's revision; the view marks translations whose source revision is outdated."),
        (Verifications, "Record a fact-check of a claim quoted from a revision or translation, with its verdict and evidence."),
        (Search, "Full-text search over the current texts and translations."),
        (Audit, "The cross-document audit log, in global event order, as JSON or RFC 4180 CSV."),
        (Reports, "Signed provenance reports of a document or a collection (JSON, PROV-JSON, PROV-O Turtle, PREMIS XML, CSV, PDF)."),
        (Ledger, "The tamper-evident ledger: the signed checkpoint and its key, inclusion and consistency proofs, verification and fixity runs."),
        (PublicLog, "The ledger as a C2SP tlog-tiles log: a signed checkpoint and immutable tiles that any static mirror can serve."),
        (Feed, "Every change as a CloudEvents 1.0 event, in global order: pages by cursor, or a Server-Sent Events stream."),
        (Webhooks, "Subscriptions that deliver the change feed to an integrator's URL (Standard Webhooks signatures), with their delivery log."),
        (Events, "The event catalogue: the JSON Schema of the `data` of every CloudEvent type the feed and the webhooks carry."),
        (Packages, "Each document, or a period's documents, as a signed BagIt bag carrying its own evidence; importing a restored package's events."),
        (Erasure, "Redaction of content and named fields that keeps every proof valid, withdrawal from view (451) and legal holds."),
        (People, "The people behind logins: a display name and an ORCID or ISNI identifier, shown by pages and reports (events keep the login)."),
        (Keys, "API keys and the roles they hold (admin only). A key is shown once, when it is created."),
        (Tenants, "The archives (tenants) this installation hosts, each in a PostgreSQL database of its own with its own ledger, feed and keys: "
            + "created, listed and disabled with the system key (`PROVENANCE_SYSTEM_KEY`) only."),
    ];
}
