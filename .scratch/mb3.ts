import { fromEcs as oldEcs, fromEvtxDump as oldDump } from "./old/map.ts";
import { readDocument } from "../src/readers/events/apply.ts";
import { scenarioRecords } from "../test/events-scenario.ts";
import { ecsNdjson, evtxDumpJsonl } from "../test/export-writers.ts";
const N = 20000;
for (const [name, gen, old] of [["ecs", ecsNdjson, oldEcs], ["evtx_dump", evtxDumpJsonl, oldDump]] as const) {
  const docs = gen(scenarioRecords()).trim().split("\n").map((l) => JSON.parse(l));
  const t = (label: string, f: (d: unknown) => void) => { const t0 = performance.now(); for (let i = 0; i < N; i++) f(docs[i % docs.length]); return (performance.now() - t0) * 1000 / N; };
  let hint: any = null;
  const a = t("old", (d) => old(d));
  const b = t("new", (d) => { const r = readDocument(d, hint); hint = r.map; });
  const c = t("noop", (d) => d);
  console.log(name, "old", a.toFixed(1), "new", b.toFixed(1), "noop", c.toFixed(2), "us/doc");
}
