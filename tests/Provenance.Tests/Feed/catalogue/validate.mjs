// Checks what the API served with validators we did not write; prints one JSON report on stdout.
//   node validate.mjs events   DIR   DIR/schemas.json: {url: schema}; DIR/events.json: [{channel, headers, body}]
//   node validate.mjs asyncapi DIR   DIR/schemas.json: {url: schema}; DIR/asyncapi.json: the AsyncAPI document
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { CloudEvent, HTTP } from "cloudevents";
import { Parser } from "@asyncapi/parser";

const [command, dir] = process.argv.slice(2);
const schemas = JSON.parse(readFileSync(join(dir, "schemas.json"), "utf8"));

if (command === "events") {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  for (const schema of Object.values(schemas)) ajv.addSchema(schema);
  const events = JSON.parse(readFileSync(join(dir, "events.json"), "utf8"));
  const report = { checked: 0, types: {}, errors: [] };
  for (const [i, e] of events.entries()) {
    const where = `${e.channel} #${i}`;
    let event;
    try {
      // Webhooks go through the SDK's HTTP binding (structured mode, from the request's own headers); the feed and SSE
      // bodies are structured-mode JSON the SDK's constructor validates (strict: spec version, attributes, formats).
      event = e.channel === "webhook"
        ? HTTP.toEvent({ headers: e.headers, body: e.body })
        : new CloudEvent(JSON.parse(e.body), true);
    } catch (error) {
      report.errors.push(`${where}: not a valid CloudEvent: ${error.message} ${JSON.stringify(error.errors ?? "")}`);
      continue;
    }
    if (Array.isArray(event)) {
      report.errors.push(`${where}: a batch, expected one event`);
      continue;
    }
    const validate = ajv.getSchema(event.dataschema);
    if (!validate) {
      report.errors.push(`${where}: dataschema ${event.dataschema} is not a served schema`);
      continue;
    }
    const data = typeof event.data === "string" ? JSON.parse(event.data) : event.data;
    if (!validate(data)) {
      report.errors.push(`${where} (${event.type}): ${ajv.errorsText(validate.errors)} in ${JSON.stringify(data)}`);
    }
    // Stored events carry their 20-digit ledger position; the webhook-only test event has none.
    if (event.type !== "org.provenance.subscription.test.v1" && !/^\d{20}$/.test(event.sequence)) report.errors.push(`${where}: sequence ${event.sequence} is not 20 digits`);
    report.checked++;
    report.types[event.type] = [...new Set([...(report.types[event.type] ?? []), e.channel])];
  }
  console.log(JSON.stringify(report));
} else if (command === "asyncapi") {
  const document = readFileSync(join(dir, "asyncapi.json"), "utf8");
  const resolved = [];
  const served = {
    schema: "http",
    order: 1,
    read: (uri) => {
      const url = uri.toString();
      resolved.push(url);
      if (!(url in schemas)) throw new Error(`not served: ${url}`);
      return JSON.stringify(schemas[url]);
    },
  };
  const parser = new Parser({ __unstable: { resolver: { resolvers: [served, { ...served, schema: "https" }] } } });
  const { document: parsed, diagnostics } = await parser.parse(document);
  const messages = parsed ? parsed.allMessages().all().map((m) => m.name()) : [];
  console.log(JSON.stringify({
    errors: diagnostics.filter((d) => d.severity === 0).map((d) => `${d.code}: ${d.message} at ${d.path.join(".")}`),
    warnings: diagnostics.filter((d) => d.severity === 1).map((d) => `${d.code}: ${d.message} at ${d.path.join(".")}`),
    resolved: [...new Set(resolved)],
    messages,
    operations: parsed ? parsed.operations().all().map((o) => `${o.id()}:${o.action()}`) : [],
  }));
} else {
  console.error("usage: node validate.mjs events|asyncapi DIR");
  process.exit(2);
}
