import { statSync, readdirSync } from "node:fs";
import { readEvtxEvents } from "../src/readers/evtx/index.ts";
const dir = process.argv[2];
for (const f of process.argv.slice(3)) {
  const p = dir + "/" + f;
  let rec = 0;
  const s = readEvtxEvents(p, statSync(p).size, (e) => { if (e.recovered) rec++; });
  console.log(`${s.recovered}\t${s.records}\t${f}\t${JSON.stringify(s.damage.slice(0,3))} ${JSON.stringify(s.notes)}`);
}
