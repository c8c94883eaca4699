// Writing IIS W3C logs for detection tests and scanning them the way a scan does (reader, literal plan,
// prefilters, detections), with exhunt's own checks only (Sigma's web rules have their own tests).
import assert from "node:assert/strict";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHuntContext, EMPTY_SETUP } from "../src/detections/context.js";
import type { FindingDraft } from "../src/detections/types.js";
import { runTask } from "../src/hunt/task.js";
import { tempDir } from "./helpers.js";

export const IIS_FIELDS =
  "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

export interface IisReq {
  method?: string;
  stem: string;
  query?: string;
  user?: string;
  ua?: string;
  cookie?: string;
  status?: number;
  ip?: string;
  /** ISO time; default 2021-03-03T06:<10+i>:00Z. */
  time?: string;
}

const BROWSER = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+Chrome/88.0";

export function iisLogLine(r: IisReq, i: number): string {
  const iso = r.time ?? `2021-03-03T06:${String(10 + (i % 50)).padStart(2, "0")}:00Z`;
  return [
    iso.slice(0, 10),
    iso.slice(11, 19),
    "10.0.0.5",
    r.method ?? "GET",
    r.stem,
    r.query || "-",
    "443",
    r.user || "-",
    r.ip ?? "203.0.113.77",
    r.ua ?? BROWSER,
    r.cookie || "-",
    "-",
    String(r.status ?? 200),
    "0",
    "0",
    "15",
  ].join(" ");
}

export function iisLog(reqs: IisReq[]): string {
  return (
    "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n" +
    `#Fields: ${IIS_FIELDS}\r\n${reqs.map((r, i) => `${iisLogLine(r, i)}\r\n`).join("")}`
  );
}

/**
 * Read one log file the way a scan reads it (reader, literal plan, prefilters, detections), with
 * exhunt's own checks only; `rel` is the path the evidence tree would give it. The task must not fail.
 */
export function runOwnChecks(abs: string, rel: string): ReturnType<typeof runTask> {
  const size = statSync(abs).size;
  const r = runTask(
    {
      id: 0,
      abs,
      rel,
      size,
      fileKind: null,
      start: 0,
      end: size,
      rangeHeaderFields: null,
      ctx: { server: "TEST", file: rel, installPath: null },
      maxDraftsPerCheck: 5000,
    },
    createHuntContext({ ...EMPTY_SETUP, sigma: { bundled: false, user: [], minLevel: null } }),
  );
  assert.equal(r.error, null);
  return r;
}

/** Write the requests as an IIS log, scan it, return the drafts (no detection may fail). */
export function scanIis(t: { after(fn: () => void): void }, reqs: IisReq[]): FindingDraft[] {
  const dir = tempDir(t);
  const abs = join(dir, "u_ex210303.log");
  writeFileSync(abs, iisLog(reqs));
  const r = runOwnChecks(abs, "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log");
  assert.deepEqual(
    r.drafts.filter((d) => d.check === "detection-failed"),
    [],
  );
  return r.drafts;
}

export const checksOf = (d: FindingDraft[]): string[] => d.map((x) => x.check).sort();
