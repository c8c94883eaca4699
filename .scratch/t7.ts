import { writeFileSync } from "node:fs";
import { chunkBytes, chunksOf, evtxFile } from "../test/evtx-writer.ts";
const logon = (i: number) => ({ provider: "Microsoft-Windows-Security-Auditing", eventId: 4624, channel: "Security", computer: "EXCH01.contoso.local", time: new Date(Date.UTC(2021, 2, 1) + i * 60_000).toISOString(), data: { TargetUserName: `user${i % 40}`, LogonType: "3", IpAddress: `10.0.${i % 7}.${i % 250}` } });
const old = chunksOf(Array.from({ length: 120 }, (_, i) => logon(i)));
const c = chunkBytes([{ ...logon(0), eventId: 1102 }], 1, old[0]);
writeFileSync("/tmp/w13/g.evtx", evtxFile([c]));
console.log(old.length, "free", c.readUInt32LE(48));
