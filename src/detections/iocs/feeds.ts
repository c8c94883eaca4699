// Indicator feeds: the bundled MSTIC, CISA CHIRP and Volexity files (data/iocs, see SOURCES.md there)
// and user feeds (`--ioc FILE`: CSV or text, one indicator per line, type inferred from the value).
import { readFileSync } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import { dataPath } from "../../data-path.js";
import { once } from "../../model/once.js";
import { splitCsvLine } from "../../readers/csv-line.js";

export type IocType = "sha256" | "sha1" | "md5" | "ip" | "path" | "domain";

export interface Ioc {
  type: IocType;
  /** Normalised: lower-case hex, canonical IP, path key (iocPathKey), lower-case domain. */
  key: string;
  /** As written in the feed. */
  value: string;
  /** Feed label, e.g. "MSTIC 2021-03-10" or "user:bad.txt". */
  source: string;
}

/** Indicators by type and key; one key may come from several feeds (sources joined). */
export interface IocSet {
  sha256: Map<string, Ioc>;
  sha1: Map<string, Ioc>;
  md5: Map<string, Ioc>;
  ip: Map<string, Ioc>;
  path: Map<string, Ioc>;
  domain: Map<string, Ioc>;
}

export function emptySet(): IocSet {
  return {
    sha256: new Map(),
    sha1: new Map(),
    md5: new Map(),
    ip: new Map(),
    path: new Map(),
    domain: new Map(),
  };
}

export function addIoc(set: IocSet, ioc: Ioc): void {
  const m = set[ioc.type];
  const had = m.get(ioc.key);
  if (!had) m.set(ioc.key, ioc);
  else if (!had.source.split("; ").includes(ioc.source))
    m.set(ioc.key, { ...had, source: `${had.source}; ${ioc.source}` });
}

/**
 * A path as a comparable key: lower case, backslashes, no drive or admin share (`\\host\c$`), and the
 * Exchange install folder replaced by `<fe>` / `<ca>` from `FrontEnd\HttpProxy` / `ClientAccess` on,
 * so that feed paths written for the default install match any install location.
 */
export function iocPathKey(path: string): string {
  let p = path.trim().replaceAll("/", "\\").toLowerCase();
  p = p.replace(/^\\\\[^\\]+\\[a-z]\$(?=\\)/, "").replace(/^[a-z]:(?=\\)/, "");
  const fe = p.indexOf("\\frontend\\httpproxy\\");
  if (fe >= 0) return `<fe>${p.slice(fe + "\\frontend\\httpproxy".length)}`;
  const ca = p.indexOf("\\clientaccess\\");
  if (ca >= 0) return `<ca>${p.slice(ca + "\\clientaccess".length)}`;
  return p.startsWith("\\") ? p : `\\${p}`;
}

const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$/;

/** The type of an indicator from its value, and its normalised key; null when it is none of them. */
export function inferIoc(raw: string): { type: IocType; key: string } | null {
  const v = raw.trim().replace(/^["']|["']$/g, "");
  if (!v) return null;
  if (/^[0-9a-f]+$/i.test(v)) {
    const t = v.length === 64 ? "sha256" : v.length === 40 ? "sha1" : v.length === 32 ? "md5" : null;
    if (t) return { type: t, key: v.toLowerCase() };
  }
  if (isIPv4(v)) return { type: "ip", key: v };
  const bare = v.replace(/^\[|\]$/g, "");
  if (isIPv6(bare)) return { type: "ip", key: bare.toLowerCase() };
  if (/^[a-z]:[\\/]|^\\\\|^[\\/]|\\/i.test(v)) return { type: "path", key: iocPathKey(v) };
  const d = v.toLowerCase().replace(/\.$/, "");
  if (DOMAIN.test(d) && !/^\d+(\.\d+)*$/.test(d)) return { type: "domain", key: d };
  return null;
}

export interface ParsedFeed {
  iocs: Ioc[];
  /** Lines that held no recognisable indicator (line number, text). */
  bad: { line: number; text: string }[];
}

/** Split one CSV line (RFC 4180 quotes). */
function csvCells(line: string): string[] {
  return splitCsvLine(line);
}

const VALUE_COLUMNS = ["indicator", "value", "ioc", "observable", "sha256", "hash", "ip", "path", "domain"];

/**
 * A user feed: text with one indicator per line, or CSV. A CSV header naming a column `Indicator`,
 * `value`, `ioc`, ... selects that column; otherwise the first cell of each line is the indicator.
 * `#` starts a comment line. Types are inferred from the values (a Windows path may contain commas
 * only in a quoted CSV cell).
 */
export function parseFeed(text: string, source: string): ParsedFeed {
  const out: ParsedFeed = { iocs: [], bad: [] };
  let col = -1;
  let first = true;
  text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith("#")) return;
      const cells = line.includes(",") ? csvCells(line) : [line];
      if (first) {
        first = false;
        const named = cells.findIndex((c) => VALUE_COLUMNS.includes(c.trim().toLowerCase()));
        if (named >= 0) {
          col = named; // a header row
          return;
        }
      }
      const value = col >= 0 ? (cells[col] ?? "") : inferIoc(line) ? line : cells[0];
      const got = inferIoc(value);
      if (got) out.iocs.push({ ...got, value: value.trim(), source });
      else if (out.bad.length < 1000) out.bad.push({ line: i + 1, text: line.slice(0, 120) });
    });
  return out;
}

function read(name: string): string {
  return readFileSync(dataPath("iocs", name), "utf8");
}

/** MSTIC CSV: DateAdded,FirstSeen,Indicator,IndicatorType,TLP. */
export function parseMstic(text: string): Ioc[] {
  const out: Ioc[] = [];
  for (const line of text.split(/\r?\n/).slice(1)) {
    if (!line.trim()) continue;
    const [added, , indicator, type] = line.split(",");
    const t = type?.trim().toLowerCase();
    const source = `MSTIC ${added}`;
    if (t === "sha256") out.push({ type: "sha256", key: indicator.toLowerCase(), value: indicator, source });
    else if (t === "filepath")
      out.push({ type: "path", key: iocPathKey(indicator), value: indicator, source });
    else if (t === "domainname")
      out.push({ type: "domain", key: indicator.toLowerCase(), value: indicator, source });
  }
  return out;
}

/** CHIRP YAML: the block scalar under `ips: |` of the network document (no YAML library needed). */
export function parseChirpIps(text: string): Ioc[] {
  const out: Ioc[] = [];
  const lines = text.split(/\r?\n/);
  const at = lines.findIndex((l) => /^\s*ips:\s*\|/.test(l));
  if (at < 0) return out;
  const indent = (l: string) => l.length - l.trimStart().length;
  const base = indent(lines[at]);
  for (let i = at + 1; i < lines.length && (lines[i].trim() === "" || indent(lines[i]) > base); i++) {
    const v = lines[i].trim();
    if (v && isIPv4(v)) out.push({ type: "ip", key: v, value: v, source: "CISA CHIRP AA21-062A" });
  }
  return out;
}

/** Volexity CSV: value,type,notes. */
export function parseVolexity(text: string): Ioc[] {
  const out: Ioc[] = [];
  for (const line of text.split(/\r?\n/).slice(1)) {
    const [value, type] = csvCells(line);
    if (type === "ipaddress" && isIPv4(value))
      out.push({ type: "ip", key: value, value, source: "Volexity" });
  }
  return out;
}

/** The bundled feeds, read once per thread. */
export const bundledIocs = once((): IocSet => {
  const set = emptySet();
  const all = [
    ...parseMstic(read("mstic-exchange-march2021.csv")),
    ...parseChirpIps(read("cisa-chirp-aa21062a.yaml")),
    ...parseVolexity(read("volexity-exchange-marauder.csv")),
    ...parseFeed(read("hafnium-blog-extra-sha256.txt"), "Microsoft HAFNIUM blog 2021-03-02").iocs,
  ];
  for (const i of all) addIoc(set, i);
  return set;
});
