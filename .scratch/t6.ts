import { statSync } from "node:fs";
import { readEvtxEvents } from "../src/readers/evtx/index.ts";
const p = process.argv[2];
readEvtxEvents(p, statSync(p).size, (e) => { if (e.recovered) console.log(e.recordId, e.time, e.eventId); });
