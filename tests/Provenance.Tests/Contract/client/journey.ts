// The main journey of an integrator, written against a client that openapi-typescript generated from the served OpenAPI
// document (generated/provenance.ts) and openapi-fetch: it must type-check (tsc --strict) and run against a live API.
// Every response is also checked against the document at run time: its status, media type and required headers must be declared.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./generated/provenance.js";

type Problem = components["schemas"]["Problem"];
type OpenApi = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, { required?: boolean }> }> }>>;
};

const baseUrl = need("PROVENANCE_BASE_URL");
const adminKey = need("PROVENANCE_ADMIN_KEY");
const document = (await (await fetch(`${baseUrl}/openapi/v1.json`)).json()) as OpenApi;

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Fails the journey when the API answers something the document does not declare. */
const truthful: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    const operation = document.paths[schemaPath]?.[request.method.toLowerCase()];
    const where = `${request.method} ${schemaPath} answered ${response.status}`;
    check(operation, `${request.method} ${schemaPath} is not in the OpenAPI document`);
    const declared = operation.responses[String(response.status)];
    check(declared, `${where}, which the document does not declare (it declares ${Object.keys(operation.responses).join(", ")})`);
    const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    const body = await response.clone().arrayBuffer();
    if (declared.content) {
      const types = Object.keys(declared.content);
      check(types.includes("*/*") || types.includes(mediaType), `${where} with ${mediaType || "no content type"}; the document says ${types.join(", ")}`);
    } else {
      check(body.byteLength === 0, `${where} with a body the document does not declare`);
    }
    for (const [name, header] of Object.entries(declared.headers ?? {})) {
      check(!header.required || response.headers.has(name), `${where} without the ${name} header the document promises`);
    }
    return undefined;
  },
};

function client(key: string) {
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });
  api.use(truthful);
  return api;
}

const admin = client(adminKey);
const created = await admin.POST("/api/keys", {
  body: { name: "generated-client journey", roles: ["contributor", "verifier", "integrator"] },
});
check(created.data, `creating a key failed: ${JSON.stringify(created.error)}`);
const api = client(created.data.key);
console.log(`key ${created.data.prefix} with roles ${created.data.roles.join(", ")}`);

// Ingest, as JSON and as a multipart upload of a file.
const ingested = await api.POST("/api/documents", {
  body: { title: "A generated client's document", language: "en", content: "The first text.\nA second line.\n", reason: "Ingested by the journey." },
});
check(ingested.data && ingested.response.status === 201, `ingest: ${ingested.response.status} ${JSON.stringify(ingested.error)}`);
const id = ingested.data.id;
const etag1 = ingested.response.headers.get("ETag");
check(etag1 === '"1"', `ingest ETag ${etag1}`);
check(ingested.response.headers.get("Location") === `/api/documents/${id}`, `ingest Location ${ingested.response.headers.get("Location")}`);
console.log(`ingested ${id} at revision ${ingested.data.revision}`);

const uploaded = await api.POST("/api/documents", {
  body: { file: "Uploaded text.\n", title: "An uploaded file", language: "fr-CA", originalFileName: "upload.txt" },
  bodySerializer(form) {
    check("file" in form, "the multipart body has no file part");
    const data = new FormData();
    for (const [name, value] of Object.entries(form)) {
      if (name === "file") data.append("file", new Blob([String(value)], { type: "text/plain" }), form.originalFileName ?? "file");
      else if (value !== null && value !== undefined) data.append(name, String(value));
    }
    return data;
  },
});
check(uploaded.data && uploaded.response.status === 201, `multipart ingest: ${uploaded.response.status} ${JSON.stringify(uploaded.error)}`);
check(uploaded.data.language === "fr-CA" && uploaded.data.mediaType.startsWith("text/plain"), `multipart ingest recorded ${uploaded.data.language} ${uploaded.data.mediaType}`);
console.log(`uploaded ${uploaded.data.id} as ${uploaded.data.mediaType}`);

// Edit, based on the revision the ETag names.
const edited = await api.POST("/api/documents/{id}/revisions", {
  params: { path: { id }, header: { "If-Match": etag1 } },
  body: { content: "The first text, corrected.\nA second line.\n", reason: "A correction." },
});
check(edited.data && edited.response.status === 201, `edit: ${edited.response.status} ${JSON.stringify(edited.error)}`);
check(edited.data.revision === 2 && edited.response.headers.get("ETag") === '"2"', `edit recorded revision ${edited.data.revision}`);
console.log(`edited to revision ${edited.data.revision}`);

const translated = await api.POST("/api/documents/{id}/translations", {
  params: { path: { id }, header: { "If-Match": '"2"' } },
  body: { language: "fr", sourceRevision: 2, content: "Le premier texte, corrigé.\nUne deuxième ligne.\n", translator: "A. Traductrice", method: "human" },
});
check(translated.data && translated.response.status === 201, `translate: ${translated.response.status} ${JSON.stringify(translated.error)}`);
check(translated.data.translations.some((t) => t.language === "fr" && t.sourceRevision === 2), "the view lists no translation into fr");
console.log(`translated into ${translated.data.translations.map((t) => t.language).join(", ")}`);

const verified = await api.POST("/api/documents/{id}/verifications", {
  params: { path: { id } },
  body: { revision: 2, claim: { quote: "The first text, corrected.", start: 0, end: 26 }, method: "source-comparison", verdict: "verified", evidence: ["https://example.org/source"] },
});
check(verified.data && verified.response.status === 201, `verify: ${verified.response.status} ${JSON.stringify(verified.error)}`);
check(verified.data.verdicts.includes("verified"), `verdicts after verifying: ${verified.data.verdicts.join(", ")}`);
console.log(`verified: ${verified.data.verdicts.join(", ")}`);

// Read the view (and revalidate it), the history and the feed.
const view = await api.GET("/api/documents/{id}", { params: { path: { id } } });
check(view.data, `view: ${view.response.status}`);
check(view.data.revision === 2 && view.data.translations.length === 1 && view.data.verifications.length === 1, `view: ${JSON.stringify(view.data)}`);
const unchanged = await api.GET("/api/documents/{id}", { params: { path: { id }, header: { "If-None-Match": view.response.headers.get("ETag") ?? "" } } });
check(unchanged.response.status === 304, `If-None-Match answered ${unchanged.response.status}`);

const history = await api.GET("/api/documents/{id}/history", { params: { path: { id } } });
check(history.data, `history: ${history.response.status}`);
const kinds = history.data.items.map((item) => item.type);
check(kinds.length === 4, `history: ${kinds.join(", ")}`);
console.log(`history: ${kinds.join(", ")}`);

// The feed reads up to the daemon's high-water mark, which follows the commits closely but not synchronously.
let fed: components["schemas"]["CloudEvent"][] = [];
for (const deadline = Date.now() + 30_000; fed.length < 4 && Date.now() < deadline; ) {
  const page = await api.GET("/api/feed", { params: { query: { document: id } } });
  check(page.data, `feed: ${page.response.status} ${JSON.stringify(page.error)}`);
  fed = page.data.items;
  if (fed.length < 4) await new Promise((resolve) => setTimeout(resolve, 200));
}
check(fed.length === 4 && fed.every((event) => event.subject === id), `feed: ${fed.map((event) => event.type).join(", ")}`);
console.log(`feed: ${fed.map((event) => event.type).join(", ")}`);

// A stale edit is refused with a typed problem, and the current ETag to merge with.
const stale = await api.POST("/api/documents/{id}/revisions", {
  params: { path: { id }, header: { "If-Match": etag1 } },
  body: { content: "Based on an old revision.\n", reason: "A stale edit." },
});
check(stale.error && stale.response.status === 412, `stale edit: ${stale.response.status}`);
const problem: Problem = stale.error;
check(problem.type === "urn:provenance:problem:stale-revision" && problem.status === 412, `stale edit problem: ${JSON.stringify(problem)}`);
check(stale.response.headers.get("ETag") === view.response.headers.get("ETag"), `stale edit ETag ${stale.response.headers.get("ETag")}`);
console.log(`stale edit: ${problem.status} ${problem.type}: ${problem.detail}`);

console.log("journey complete");
