// The IIS bench's input, shared by bench/iis.bench.ts (whole-process timing against ripgrep) and
// bench/iis-cpu.ts (the read path in one process, for profiles and instruction counts): daily W3C files
// of a busy front end (benign traffic with look-alikes) with a few planted attack rows, made once
// under .bench/ and reused while VERSION holds.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMPROMISED, rng } from "../examples/generate.js";
import { benignIisRequest, iisHeader, iisLine, type Req } from "../examples/iis.js";
import { writeParts } from "./lib.js";

const VERSION = "iis-v1";
export const LOGS = "C/inetpub/logs/LogFiles/W3SVC1";
/** ~96 MB per daily file: larger than the engine's 64 MiB split, so byte ranges are exercised too. */
const FILE_BYTES = 96 * 2 ** 20;

/** The corpus directory for `gb` gigabytes (under the current directory's .bench/). */
export const corpusRoot = (gb: number): string => join(process.cwd(), ".bench", `iis-${gb}g`);

/** One planted row per check family, cycling; each yields exactly one IIS finding. */
const PLANTS: ((t: Date) => Req)[] = [
  (t) => ({ t, method: "POST", stem: "/ecp/y.js", ip: "203.0.113.77", ua: "Mozilla/5.0", status: 241 }),
  (t) => ({
    t,
    method: "POST",
    stem: "/autodiscover/autodiscover.json",
    query: "@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp",
    ip: "203.0.113.78",
    ua: "Mozilla/5.0",
    status: 200,
  }),
  (t) => ({
    t,
    method: "POST",
    stem: "/owa/mastermailbox@outlook.com/powershell",
    ip: "203.0.113.79",
    ua: "Mozilla/5.0",
    status: 200,
  }),
  (t) => ({
    t,
    method: "POST",
    stem: "/aspnet_client/system_web/discover.aspx",
    ip: "203.0.113.80",
    ua: "Mozilla/5.0",
    status: 200,
  }),
];

export interface Corpus {
  root: string;
  bytes: number;
  planted: number;
  rows: number;
}

/** The corpus of `gb` gigabytes, generated when absent or made by another VERSION. */
export async function corpus(gb: number): Promise<Corpus> {
  const ROOT = corpusRoot(gb);
  const marker = join(ROOT, "READY");
  if (existsSync(marker) && readFileSync(marker, "utf8").startsWith(VERSION)) {
    return { root: ROOT, ...JSON.parse(readFileSync(marker, "utf8").slice(VERSION.length + 1)) };
  }
  rmSync(ROOT, { recursive: true, force: true });
  process.stderr.write(`generating ${gb} GB of IIS logs in ${ROOT} ...\n`);
  const r = rng(7);
  const target = gb * 2 ** 30;
  let bytes = 0;
  let planted = 0;
  let rows = 0;
  let day = Date.parse("2021-03-01T00:00:00Z");
  while (bytes < target) {
    const start = new Date(day);
    const parts = [iisHeader(start)];
    let size = parts[0].length;
    const perFile = Math.min(FILE_BYTES, target - bytes);
    const plantAt = [0.2, 0.5, 0.8].map((f) => Math.floor(f * (perFile / 330)));
    let i = 0;
    while (size < perFile) {
      const t = new Date(day + Math.floor((size / perFile) * 86_400_000));
      const req = plantAt.includes(i)
        ? PLANTS[planted++ % PLANTS.length](t)
        : benignIisRequest(r, COMPROMISED, t);
      const l = `${iisLine(req, "10.20.0.10", false, "")}\r\n`;
      parts.push(l);
      size += l.length;
      i++;
      rows++;
    }
    const file = join(ROOT, LOGS, `u_ex${start.toISOString().slice(2, 10).replaceAll("-", "")}.log`);
    await writeParts(file, parts);
    bytes += statSync(file).size;
    day += 86_400_000;
  }
  writeFileSync(marker, `${VERSION} ${JSON.stringify({ bytes, planted, rows })}`);
  return { root: ROOT, bytes, planted, rows };
}
