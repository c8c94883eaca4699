import { readDocument } from "../src/readers/events/apply.ts";
import { scenarioRecords } from "../test/events-scenario.ts";
import { ecsNdjson, evtxDumpJsonl, flatNxlogJson } from "../test/export-writers.ts";
for (const [name, gen] of [["ecs", ecsNdjson], ["evtx_dump", evtxDumpJsonl], ["flat", flatNxlogJson]] as const) {
  const docs = gen(scenarioRecords()).trim().split("\n").map((l) => JSON.parse(l));
  const N = 20000;
  let hint = null;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) { const d = docs[i % docs.length]; const r = readDocument(d, hint); hint = r.map; }
  const ms = performance.now() - t0;
  console.log(name, Math.round(N / (ms / 1000)), "docs/s");
}
