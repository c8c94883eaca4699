import { readFileSync } from "node:fs";
import { plausibleRecord } from "../src/readers/evtx/carve.ts";
const b = readFileSync("/work/shared/corpus/evtx/omerbenamram/2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx");
const chunk = b.subarray(4096, 4096 + 65536);
console.log("free", chunk.readUInt32LE(48), "last off", chunk.readUInt32LE(44));
let pos = 0xd1b0 - 4096 ; let n = 0;
for (let p = 512; p < 65536; ) { const at = chunk.indexOf(Buffer.from([0x2a,0x2a,0,0]), p); if (at < 0) break; const h = plausibleRecord(chunk, at, 65536); if (at > chunk.readUInt32LE(44)) console.log(at.toString(16), h, chunk.readUInt32LE(at+4), chunk[at+24].toString(16)); p = at + 1; if (++n > 400) break; }
