// `exhunt events FILE...`: print the records of .evtx files as JSON lines (or XML), for responders and
// for checking the parser from outside. Damage goes to stderr; exit 3 when records or chunks were
// skipped, 2 when a file cannot be read as EVTX at all.
import { statSync, writeSync } from "node:fs";
import type { Command } from "commander";
import {
  type EventRecord,
  parseEvtxFile,
  readEvtxEvents,
  readExportedEvents,
  toEventRecord,
  toXml,
} from "../index.js";
import { forTerminal } from "../outputs/safe.js";
import { EXIT } from "./exit.js";

export interface EventFilter {
  ids: Set<number>;
  providers: Set<string>;
  channels: Set<string>;
}

/** `id=4688,provider=Microsoft-Windows-Sysmon`: same key = any of, different keys = all of. */
export function parseFilter(specs: string[]): EventFilter {
  const f: EventFilter = { ids: new Set(), providers: new Set(), channels: new Set() };
  for (const spec of specs) {
    for (const part of spec.split(",")) {
      if (!part.trim()) continue;
      const eq = part.indexOf("=");
      const key = eq < 0 ? "" : part.slice(0, eq).trim().toLowerCase();
      const value = part.slice(eq + 1).trim();
      if (key === "id") {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0) throw new Error(`--filter: id must be a number, got "${value}"`);
        f.ids.add(n);
      } else if (key === "provider") f.providers.add(value.toLowerCase());
      else if (key === "channel") f.channels.add(value.toLowerCase());
      else throw new Error(`--filter: expected id=N, provider=NAME or channel=NAME, got "${part}"`);
    }
  }
  return f;
}

export function matchesFilter(e: EventRecord, f: EventFilter): boolean {
  return (
    (f.ids.size === 0 || f.ids.has(e.eventId)) &&
    (f.providers.size === 0 || f.providers.has(e.provider.toLowerCase())) &&
    (f.channels.size === 0 || f.channels.has(e.channel.toLowerCase()))
  );
}

/** One JSON line per record; `Values` only when some data values have no name. */
export function eventJson(e: EventRecord, file: string | null): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (file !== null) o.File = file;
  o.EventRecordID = e.recordId;
  o.EventID = e.eventId;
  o.TimeCreated = e.time;
  o.Provider = e.provider;
  o.Channel = e.channel;
  o.Computer = e.computer;
  o.Level = e.level;
  o.Data = e.data;
  if (e.values.length !== Object.keys(e.data).length) o.Values = e.values;
  if (e.recovered) o.Recovered = true;
  return o;
}

/** JSON.stringify escapes C0 controls; also escape C1 controls and line separators for terminals. */
function safeJson(v: unknown): string {
  return JSON.stringify(v).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

class Out {
  private buf: string[] = [];
  private size = 0;
  closed = false;
  line(s: string): void {
    this.buf.push(s);
    this.size += s.length;
    if (this.size > 1 << 16) this.flush();
  }
  flush(): void {
    if (this.closed || this.buf.length === 0) return;
    const data = `${this.buf.join("\n")}\n`;
    this.buf = [];
    this.size = 0;
    const bytes = Buffer.from(data, "utf8");
    let off = 0;
    while (off < bytes.length) {
      try {
        off += writeSync(1, bytes, off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") continue;
        this.closed = true; // EPIPE: the reader went away (`| head`)
        return;
      }
    }
  }
}

export interface EventsOptions {
  xml?: boolean;
  filter?: string[];
}

export function runEvents(files: string[], o: EventsOptions): number {
  const filter = parseFilter(o.filter ?? []);
  const out = new Out();
  const err = (s: string) => process.stderr.write(`${forTerminal(s)}\n`);
  let unreadable = false;
  let partial = false;
  for (const file of files) {
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error("not a regular file");
      size = st.size;
    } catch (e) {
      err(`exhunt: ${file}: cannot read (${(e as Error).message})`);
      unreadable = true;
      continue;
    }
    if (size === 0) {
      // The words `scan` uses for the same file.
      err(`exhunt: ${file}: empty — 0 bytes`);
      unreadable = true;
      continue;
    }
    try {
      const name = files.length > 1 ? file : null;
      const s = o.xml
        ? parseEvtxFile(file, size, (r) => {
            if (out.closed) return;
            if (!matchesFilter(toEventRecord(r.root, r.id), filter)) return;
            out.line(toXml(r.root).split("\n").map(forTerminal).join("\n"));
          })
        : readEvtxEvents(file, size, (e) => {
            if (!out.closed && matchesFilter(e, filter)) out.line(safeJson(eventJson(e, name)));
          });
      if (!s.magicOk) {
        if (o.xml) {
          err(`exhunt: ${file}: not an EVTX file (no ElfFile signature); --xml needs .evtx`);
          unreadable = true;
          continue;
        }
        // Exported events (JSON lines, wevtutil XML, ECS, …): the same records as from an .evtx.
        const x = readExportedEvents(file, size, (e) => {
          if (!out.closed && matchesFilter(e, filter)) out.line(safeJson(eventJson(e, name)));
        });
        if (x.format === null) {
          err(`exhunt: ${file}: not an EVTX file (no ElfFile signature), nor an event export exhunt reads`);
          unreadable = true;
          continue;
        }
        for (const d of x.damage) err(`exhunt: ${file}: ${d}`);
        for (const n of x.notes) err(`exhunt: ${file}: note: ${n}`);
        if (x.badRows > 0) err(`exhunt: ${file}: ${x.badRows} line(s) not read as events`);
        if (x.damage.length > 0 || x.badRows > 0) partial = true;
        continue;
      }
      for (const d of s.damage) err(`exhunt: ${file}: ${d}`);
      for (const n of s.notes) err(`exhunt: ${file}: note: ${n}`);
      if (s.recordErrors || s.chunksSkipped || s.truncated) partial = true;
    } catch (e) {
      err(`exhunt: ${file}: cannot read (${(e as Error).message})`);
      unreadable = true;
    }
  }
  out.flush();
  return unreadable ? EXIT.usage : partial ? EXIT.incomplete : EXIT.clean;
}

export function registerEvents(program: Command): void {
  program
    .command("events")
    .description(
      "print the records of .evtx files or exported events (JSON lines, wevtutil XML, ECS) as JSON lines (or .evtx as XML); damage is reported on stderr",
    )
    .argument("<files...>", ".evtx files or event exports")
    .option("--xml", "print each record as XML instead of JSON")
    .option(
      "--filter <spec>",
      "keep records matching id=N, provider=NAME, channel=NAME (comma-separated; repeatable)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action((files: string[], o: EventsOptions) => {
      process.exitCode = runEvents(files, o);
    });
}
