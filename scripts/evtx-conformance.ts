// Compare `exhunt events` with Debian's `evtxexport` (libevtx) on every EVTX file of the corpus:
// record counts, and per record (matched by EventRecordID, in order) EventID, provider, channel,
// computer, level, time and the data values. Values are compared after the rendering conventions that
// legitimately differ are normalised (see docs/evtx.md): zero-padded hex, braces around GUIDs,
// 9 vs 6 fractional digits, SizeT printed in decimal, elements libevtx drops for an empty optional
// substitution. Usage: tsx scripts/evtx-conformance.ts [FILE|DIR...] (default: ../shared/corpus/evtx).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..");

export interface Compared {
  file: string;
  exhunt: number;
  libevtx: number;
  /** evtxexport stopped with "Unable to export file" (its records before that are compared). */
  libevtxFailed: string | null;
  /** EventRecordIDs read by one tool and not the other. */
  onlyExhunt: number[];
  onlyLibevtx: number[];
  /** Differences in matched records, one line each. */
  diffs: string[];
}

interface Rec {
  recordId: number;
  eventId: number;
  provider: string;
  channel: string;
  computer: string;
  level: number | null;
  time: string | null;
  values: string[];
}

const ENT: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
function unxml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
    if (e[0] === "#")
      return String.fromCodePoint(
        e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)),
      );
    return ENT[e] ?? m;
  });
}

function tag(xml: string, name: string): string | null {
  const m = new RegExp(`<${name}(?: [^>]*)?>([^<]*)</${name}>`).exec(xml);
  return m ? unxml(m[1]) : null;
}

function attr(xml: string, el: string, a: string): string | null {
  const m = new RegExp(`<${el} [^>]*\\b${a}="([^"]*)"`).exec(xml);
  return m ? unxml(m[1]) : null;
}

/** Records of `evtxexport -f xml`: one <Event> document after another. */
export function libevtxRecords(file: string): { recs: Rec[]; failed: string | null } {
  const r = spawnSync("evtxexport", ["-f", "xml", file], { encoding: "utf8", maxBuffer: 1 << 30 });
  const failed = /Unable to export/.test(r.stderr)
    ? (r.stderr.split("\n").find((l) => l.includes("unsupported")) ?? "export failed")
    : null;
  const recs: Rec[] = [];
  for (const doc of r.stdout.split("<Event xmlns").slice(1)) {
    const body = doc.slice(0, doc.indexOf("</Event>") >= 0 ? doc.indexOf("</Event>") : doc.length);
    const values: string[] = [];
    const ed = /<EventData(?: [^>]*)?>([\s\S]*?)<\/EventData>/.exec(body);
    if (ed)
      for (const m of ed[1].matchAll(/<(\w+)(?: [^>]*?)?(?:\/>|>([\s\S]*?)<\/\1>)/g))
        values.push(unxml(m[2] ?? ""));
    const ud = /<UserData(?: [^>]*)?>([\s\S]*?)<\/UserData>/.exec(body);
    if (ud) for (const m of ud[1].matchAll(/<(\w+)(?: [^>]*)?>([^<]*)<\/\1>/g)) values.push(unxml(m[2]));
    recs.push({
      recordId: Number(tag(body, "EventRecordID")),
      eventId: Number(tag(body, "EventID")),
      provider: attr(body, "Provider", "Name") ?? "",
      channel: tag(body, "Channel") ?? "",
      computer: tag(body, "Computer") ?? "",
      level: tag(body, "Level") === null ? null : Number(tag(body, "Level")),
      time: attr(body, "TimeCreated", "SystemTime"),
      values,
    });
  }
  return { recs, failed };
}

/** Records of `exhunt events` for several files at once (one process; records carry File when several). */
export function exhuntRecords(files: string[]): Map<string, Rec[]> {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(ROOT, "src/cli/bin.ts"), "events", ...files],
    {
      encoding: "utf8",
      maxBuffer: 1 << 30,
      cwd: ROOT,
    },
  );
  const out = new Map<string, Rec[]>(files.map((f) => [f, []]));
  for (const line of r.stdout.split("\n")) {
    if (!line) continue;
    const o = JSON.parse(line);
    // Carved records are what `evtxexport -m recovered` lists, not `-m items` (see bench/carve.bench.ts).
    if (o.Recovered) continue;
    out.get(files.length === 1 ? files[0] : o.File)?.push({
      recordId: o.EventRecordID,
      eventId: o.EventID,
      provider: o.Provider,
      channel: o.Channel,
      computer: o.Computer,
      level: o.Level,
      time: o.TimeCreated,
      values: o.Values ?? Object.values(o.Data),
    });
  }
  return out;
}

/** A value in a convention-free form. */
export function norm(v: string | null): string {
  if (v === null) return "";
  // libevtx drops trailing line breaks of a value (a lone "\n" prints as empty).
  let s = v.replace(/\r\n/g, "\n").replace(/\n+$/, "");
  const t = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(s);
  if (t) return `${t[1]}.${(t[2] ?? "").slice(0, 6).padEnd(6, "0")}Z`;
  if (/^0x[0-9a-f]+$/i.test(s)) return `0x${BigInt(s).toString(16)}`;
  const g = /^\{([0-9a-f-]{36})\}$/i.exec(s);
  if (g) s = g[1];
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) return s.toUpperCase();
  return s;
}

function sameValue(a: string, b: string): boolean {
  const x = norm(a);
  const y = norm(b);
  if (x === y) return true;
  // SizeT: libevtx prints decimal, we print hex like the Rust crate and Windows.
  if (/^0x[0-9a-f]+$/.test(x) && /^\d+$/.test(y)) return BigInt(x) === BigInt(y);
  return false;
}

export function compare(file: string, mine: Rec[]): Compared {
  const { recs: theirs, failed } = libevtxRecords(file);
  const c: Compared = {
    file,
    exhunt: mine.length,
    libevtx: theirs.length,
    libevtxFailed: failed,
    onlyExhunt: [],
    onlyLibevtx: [],
    diffs: [],
  };
  const byId = new Map<number, Rec[]>();
  for (const r of mine) byId.set(r.recordId, [...(byId.get(r.recordId) ?? []), r]);
  const matched = new Set<Rec>();
  for (const t of theirs) {
    const m = byId.get(t.recordId)?.shift();
    if (!m) {
      c.onlyLibevtx.push(t.recordId);
      continue;
    }
    matched.add(m);
    const d = (what: string, a: unknown, b: unknown) =>
      c.diffs.push(`record ${t.recordId}: ${what}: exhunt ${JSON.stringify(a)} libevtx ${JSON.stringify(b)}`);
    if (m.eventId !== t.eventId) d("EventID", m.eventId, t.eventId);
    if (m.provider !== t.provider) d("Provider", m.provider, t.provider);
    if (m.channel !== t.channel) d("Channel", m.channel, t.channel);
    if (m.computer !== t.computer) d("Computer", m.computer, t.computer);
    if (m.level !== t.level) d("Level", m.level, t.level);
    if (norm(m.time) !== norm(t.time)) d("TimeCreated", m.time, t.time);
    // libevtx drops an element whose optional substitution is empty; we keep it with an empty value.
    const a = m.values.filter((v) => norm(v) !== "");
    const b = t.values.filter((v) => norm(v) !== "");
    if (a.length !== b.length) d("value count", a.length, b.length);
    else for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) d(`value ${i + 1}`, a[i], b[i]);
  }
  for (const r of mine)
    if (!matched.has(r) && !(failed && theirs.length < mine.length && mine.indexOf(r) >= theirs.length))
      c.onlyExhunt.push(r.recordId);
  return c;
}

function evtxFiles(p: string, out: string[] = []): string[] {
  if (statSync(p).isDirectory()) for (const n of readdirSync(p).sort()) evtxFiles(join(p, n), out);
  else if (p.endsWith(".evtx")) out.push(p);
  return out;
}

export function conformance(paths: string[]): Compared[] {
  const files = paths.flatMap((p) => evtxFiles(p));
  const mine = exhuntRecords(files);
  return files.map((f) => compare(f, mine.get(f) ?? []));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const results = conformance(args.length ? args : [join(ROOT, "..", "shared", "corpus", "evtx")]);
  let diffs = 0;
  for (const r of results) {
    diffs += r.diffs.length;
    const note = [
      r.libevtxFailed ? `libevtx failed: ${r.libevtxFailed.trim()}` : "",
      r.onlyExhunt.length
        ? `only exhunt: ${r.onlyExhunt.slice(0, 5).join(" ")}${r.onlyExhunt.length > 5 ? " …" : ""}`
        : "",
      r.onlyLibevtx.length ? `only libevtx: ${r.onlyLibevtx.slice(0, 5).join(" ")}` : "",
      r.diffs.length ? `${r.diffs.length} value differences, first: ${r.diffs[0]}` : "",
    ].filter(Boolean);
    console.log(`${r.exhunt}\t${r.libevtx}\t${r.file.split("/").pop()}\t${note.join("; ")}`);
  }
  console.log(`${results.length} files, ${diffs} value differences`);
}
