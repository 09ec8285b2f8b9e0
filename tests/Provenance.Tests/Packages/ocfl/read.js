// Reads an OCFL object with @ocfl/ocfl-fs (not our code): node read.js STORAGE_ROOT OBJECT_ID
// prints {"head": "vN", "versions": {"v1": {"created", "message", "user", "files": {"logical/path": "<base64>"}}}}.
const ocfl = require('@ocfl/ocfl-fs');

(async () => {
  const [root, id] = process.argv.slice(2);
  const storage = ocfl.storage({ root });
  await storage.load();
  const object = storage.object(id);
  await object.load();
  const inventory = await object.getInventory();
  const raw = inventory.toJSON();
  const out = { head: raw.head, layout: storage.objectRoot(id), versions: {} };
  for (const version of Object.keys(raw.versions)) {
    const files = {};
    for (const file of await object.files(version)) files[file.logicalPath] = (await file.buffer()).toString('base64');
    const { created, message, user } = raw.versions[version];
    out.versions[version] = { created, message, user, files };
  }
  process.stdout.write(JSON.stringify(out));
})().catch(e => { console.error(e.stack || String(e)); process.exit(1); });
