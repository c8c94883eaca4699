// A child process for the concurrent-writer test: writes N runs into a store, as a scan would.
// Usage: node --import tsx test/store/writer.ts STORE PREFIX N
import { openStore, recordServer, runMeta } from "../../src/fleet.js";
import { compromisedFindings, server } from "../outputs/fixtures.js";

const [path, prefix, count] = process.argv.slice(2);
const store = await openStore(path);
const n = Number(count);
for (let i = 0; i < n; i++) {
  // Every other write goes to one server both processes share, so they contend on the same rows.
  const name = i % 2 === 0 ? "SHARED" : `${prefix}-${i}`;
  await recordServer(
    store,
    runMeta("scan", { writer: prefix, i }),
    server(name, compromisedFindings(name, false)),
  );
}
await store.close();
process.stdout.write(`${prefix} wrote ${n}\n`);
