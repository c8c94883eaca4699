// Records carved from EVTX slack, damaged chunks and chunks past the header's count, against libevtx's
// `evtxexport -m recovered` on the same files: the corpus samples, and logs made here by clearing a log
// (and appending after the clear). Prints per file: ours, evtxexport's, the ids both found, only ours,
// only theirs, and both tools' time. `npx tsx bench/carve.bench.ts [--quick]`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readEvtxEvents } from "../src/readers/evtx/index.js";
import { chunkBytes, chunksOf, evtxFile, type WEvent } from "../test/evtx-writer.js";
import { CORPUS } from "../test/helpers.js";
import { recordLane } from "./lib.js";

const quick = process.argv.includes("--quick");

function logon(i: number): WEvent {
  return {
    provider: "Microsoft-Windows-Security-Auditing",
    eventId: 4624,
    channel: "Security",
    computer: "EXCH01.contoso.local",
    time: new Date(Date.UTC(2021, 2, 1) + i * 60_000).toISOString(),
    data: { TargetUserName: `user${i % 40}`, LogonType: "3", IpAddress: `10.0.${i % 7}.${i % 250}` },
  };
}

export const CLEARED: WEvent = {
  provider: "Microsoft-Windows-Eventlog",
  eventId: 1102,
  channel: "Security",
  computer: "EXCH01.contoso.local",
  time: "2021-03-05T00:00:00.000Z",
  userData: {
    name: "LogFileCleared",
    xmlns: "http://manifests.microsoft.com/win/2004/08/windows/eventlog",
    fields: {
      SubjectUserSid: "S-1-5-21-1",
      SubjectUserName: "attacker",
      SubjectDomainName: "CONTOSO",
      SubjectLogonId: "0x1",
    },
  },
};

/** Generated cases: a cleared log; a cleared log with records appended after the clear. */
function generated(dir: string): string[] {
  const old = chunksOf(Array.from({ length: quick ? 300 : 1200 }, (_, i) => logon(i)));
  const cleared = join(dir, "generated-cleared.evtx");
  writeFileSync(cleared, evtxFile([chunkBytes([CLEARED], 1, old[0]), ...old.slice(1)], { headerChunks: 1 }));
  const after = [CLEARED, ...Array.from({ length: 20 }, (_, i) => logon(5000 + i))];
  const appended = join(dir, "generated-cleared-appended.evtx");
  writeFileSync(appended, evtxFile([chunkBytes(after, 1, old[0]), ...old.slice(1)], { headerChunks: 1 }));
  return [cleared, appended];
}

function ours(file: string): { ids: number[]; ms: number } {
  const t0 = performance.now();
  const ids: number[] = [];
  readEvtxEvents(file, statSync(file).size, (e) => {
    if (e.recovered) ids.push(e.recordId ?? -1);
  });
  return { ids, ms: performance.now() - t0 };
}

function theirs(file: string): { ids: number[]; ms: number } | null {
  const t0 = performance.now();
  const r = spawnSync("evtxexport", ["-m", "recovered", file], { encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.error) return null;
  const ids = [...r.stdout.matchAll(/^Event number\s*:\s*(\d+)/gm)].map((m) => Number(m[1]));
  return { ids, ms: performance.now() - t0 };
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), "exhunt-carve-"));
  try {
    const omer = join(CORPUS, "evtx", "omerbenamram");
    const files = [
      ...readdirSync(omer)
        .filter((n) => n.endsWith(".evtx"))
        .sort()
        .map((n) => join(omer, n)),
      ...generated(dir),
    ];
    console.log("ours\tevtxexport\tboth\tonly ours\tonly evtxexport\tours ms\tevtxexport ms\tfile");
    const sum = { ours: 0, ref: 0, both: 0, onlyOurs: 0, onlyRef: 0, ms: 0, refMs: 0 };
    for (const f of files) {
      const a = ours(f);
      const b = theirs(f);
      if (!b) {
        console.log("evtxexport not installed (apt-get install libevtx-utils)");
        process.exit(1);
      }
      const mine = new Map<number, number>();
      for (const id of a.ids) mine.set(id, (mine.get(id) ?? 0) + 1);
      let both = 0;
      for (const id of b.ids) {
        const n = mine.get(id) ?? 0;
        if (n > 0) {
          both++;
          mine.set(id, n - 1);
        }
      }
      const row = {
        ours: a.ids.length,
        ref: b.ids.length,
        both,
        onlyOurs: a.ids.length - both,
        onlyRef: b.ids.length - both,
      };
      sum.ours += row.ours;
      sum.ref += row.ref;
      sum.both += both;
      sum.onlyOurs += row.onlyOurs;
      sum.onlyRef += row.onlyRef;
      sum.ms += a.ms;
      sum.refMs += b.ms;
      if (row.ours || row.ref)
        console.log(
          `${row.ours}\t${row.ref}\t${both}\t${row.onlyOurs}\t${row.onlyRef}\t${a.ms.toFixed(0)}\t${b.ms.toFixed(0)}\t${f.split("/").pop()}`,
        );
    }
    console.log(
      `${sum.ours}\t${sum.ref}\t${sum.both}\t${sum.onlyOurs}\t${sum.onlyRef}\t${sum.ms.toFixed(0)}\t${sum.refMs.toFixed(0)}\tall ${files.length} files`,
    );
    recordLane("evtx-carve", {
      input: `${files.length} EVTX files (corpus samples, logs cleared here): records carved (recovered)`,
      exhunt: { figure: sum.ours, unit: "records", seconds: sum.ms / 1000, peakMiB: null },
      reference: {
        tool: "evtxexport -m recovered",
        figure: sum.ref,
        unit: "records",
        seconds: sum.refMs / 1000,
      },
      timeRatio: sum.refMs > 0 ? sum.ms / sum.refMs : null,
      goal: `every record evtxexport recovers but copies of live records (both ${sum.both}, only ours ${sum.onlyOurs}, only evtxexport ${sum.onlyRef})`,
      runs: 1,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
