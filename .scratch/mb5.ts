import { readDocument } from "../src/readers/events/apply.ts";
import { scenarioRecords } from "../test/events-scenario.ts";
import { evtxDumpJsonl } from "../test/export-writers.ts";
const docs = evtxDumpJsonl(scenarioRecords()).trim().split("\n").map((l) => JSON.parse(l));
let hint: any = null;
for (let i = 0; i < 40000; i++) { const r = readDocument(docs[i % docs.length], hint); hint = r.map; }
