import { readFileSync } from "node:fs";
import { plausibleRecord } from "../src/readers/evtx/carve.ts";
import { ChunkContext, parseStream } from "../src/readers/evtx/binxml.ts";
import { extractEvent } from "../src/readers/evtx/extract.ts";
const b = readFileSync("/work/shared/corpus/evtx/omerbenamram/2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx");
const chunk = b.subarray(4096, 4096 + 65536);
const at = 0xd148;
console.log(plausibleRecord(chunk, at, 65536));
const c = new ChunkContext(chunk);
try { const { nodes } = parseStream(c, at + 24, at + 472 - 4, false, 0); console.log(extractEvent(c, nodes, 1)); } catch (e) { console.log("ERR", e.message); }
