// Reading a saved result (`exhunt report FILE`): validated against the shipped JSON Schema of its
// version. A version 2 file is used as it is; a version 1 file is upgraded by one explicit function
// (upgradeV1) that keeps its verdicts and reasons and adds what v2 carries. Anything else is refused
// with a message naming the first bad field.
import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { dataPath } from "../data-path.js";
import { type Finding, fingerprintOf, type Subject } from "../model/finding.js";
import {
  type CheckInfo,
  SCHEMA_VERSION,
  type ScanResult,
  type ServerResult,
  type Severity,
} from "../model/types.js";

/**
 * The check table a version 1 file is read with (the library's `checkInfo`): v1 findings carry no
 * effect, so it comes from what the check means in this version. Passed in, so that no output module
 * imports the detection registry.
 */
export type CheckLookup = (id: string) => CheckInfo | undefined;

import { verdictConfidence } from "../verdict/judge.js";
import { remediationPlan } from "../verdict/plan.js";
import { serverTimeline } from "../verdict/timeline.js";
import {
  LayoutError,
  parsePiecewise,
  type ResultLayout,
  readSpanBytes,
  resultLayout,
  type Span,
  type Visit,
} from "./result-layout.js";

/** A result file that cannot be used; the message names the file and the first bad field. */
export class ResultFileError extends Error {}

export { firstError };

/** The large arrays of a server, checked element by element (JSON pointer of their item schema). */
const ITEMS: Record<string, string> = {
  findings: "/$defs/finding",
  "timeline.entries": "/$defs/timeline/properties/entries/items",
};

function compile(name: string): {
  whole: ValidateFunction;
  server: ValidateFunction;
  items: Map<string, ValidateFunction>;
} {
  const schema = JSON.parse(readFileSync(dataPath("schema", name), "utf8")) as { $id: string };
  // Formats (date-time) are not asserted: renderers escape every string whatever its shape.
  const ajv = new Ajv2020({ allErrors: false, strict: false, validateFormats: false });
  const whole = ajv.compile(schema);
  const server = ajv.getSchema(`${schema.$id}#/$defs/server`);
  if (!server) throw new Error(`${name}: no $defs/server`);
  const items = new Map<string, ValidateFunction>();
  for (const [path, pointer] of Object.entries(ITEMS)) {
    const v = ajv.getSchema(`${schema.$id}#${pointer}`);
    if (v) items.set(path, v);
  }
  return { whole, server, items };
}

/** The first schema error as words; `prefix` is the path of the validated part (`servers.3`). */
function firstError(errors: ErrorObject[] | null | undefined, prefix = ""): string {
  const e = errors?.[0];
  if (!e) return "does not match the schema";
  const rel = e.instancePath.slice(1).replaceAll("/", ".");
  const path = [prefix, rel].filter(Boolean).join(".");
  const at = path === "" ? "the top level" : path;
  const extra =
    e.keyword === "additionalProperties"
      ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)} is not a field of it)`
      : e.keyword === "required"
        ? ` (${String((e.params as { missingProperty?: string }).missingProperty)})`
        : e.keyword === "enum" || e.keyword === "const"
          ? ` (allowed: ${JSON.stringify((e.params as { allowedValues?: unknown; allowedValue?: unknown }).allowedValues ?? (e.params as { allowedValue?: unknown }).allowedValue)})`
          : "";
  return `${at} ${e.message ?? "is invalid"}${extra}`;
}

export interface ResultValidators {
  v1: ValidateFunction;
  v2: ValidateFunction;
  /** One element of `servers`, per version (the streaming reader checks a server at a time). */
  v1Server: ValidateFunction;
  v2Server: ValidateFunction;
  /** Elements of a server's large arrays (`findings`, `timeline.entries`), per version. */
  v1Items: Map<string, ValidateFunction>;
  v2Items: Map<string, ValidateFunction>;
}

/** The schemas, compiled once per caller (no module state). */
export function resultValidators(): ResultValidators {
  const v1 = compile("result-v1.schema.json");
  const v2 = compile("result.schema.json");
  return {
    v1: v1.whole,
    v2: v2.whole,
    v1Server: v1.server,
    v2Server: v2.server,
    v1Items: v1.items,
    v2Items: v2.items,
  };
}

/** Parse, validate and (for version 1) upgrade a saved result. Throws ResultFileError. */
export function parseResult(
  text: string,
  name: string,
  checks: CheckLookup,
  v: ResultValidators = resultValidators(),
): ScanResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ResultFileError(`${name} is not JSON: ${(e as Error).message}`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data))
    throw new ResultFileError(`${name} is not an exhunt result (not a JSON object)`);
  const version = (data as { schemaVersion?: unknown }).schemaVersion;
  if (version === SCHEMA_VERSION) {
    if (!v.v2(data)) throw new ResultFileError(`${name}: ${firstError(v.v2.errors)}`);
    return data as ScanResult;
  }
  if (version === 1) {
    if (!v.v1(data)) throw new ResultFileError(`${name} (schemaVersion 1): ${firstError(v.v1.errors)}`);
    return upgradeV1(data as V1Result, checks);
  }
  throw new ResultFileError(
    `${name} has schemaVersion ${JSON.stringify(version ?? null)}; this exhunt reads schemaVersion 1 and ${SCHEMA_VERSION}`,
  );
}

/** A version 1 finding (README of exhunt 0.1). */
export interface V1Finding {
  id: string;
  check: string;
  cves: string[];
  severity: Severity;
  title: string;
  server: string;
  file: string | null;
  line: number | null;
  time: string | null;
  evidence: Record<string, string>;
  references: string[];
}

export type V1Server = Omit<ServerResult, "findings" | "confidence" | "plan" | "timeline"> & {
  findings: V1Finding[];
};

export interface V1Result {
  schemaVersion: 1;
  tool: { name: string; version: string };
  startedAt: string;
  finishedAt: string;
  servers: V1Server[];
}

function pick(e: Record<string, string>, ...keys: string[]): string | null {
  for (const k of keys) if (e[k] !== undefined && e[k] !== "") return e[k];
  return null;
}

/** A v1 finding's subject, from the shared evidence keys v1 detections wrote. */
function subjectOfV1(f: V1Finding): Subject {
  const e = f.evidence;
  const uri = pick(e, "UriStem", "UrlStem", "cs-uri-stem");
  if (uri !== null || pick(e, "ClientIp", "ClientIpAddress") !== null) {
    const status = pick(e, "Status", "HttpStatus", "sc-status");
    return {
      kind: "http-request",
      method: pick(e, "Method", "cs-method"),
      uri,
      query: pick(e, "UriQuery", "UrlQuery", "cs-uri-query"),
      status: status && /^\d{3}$/.test(status) ? Number(status) : null,
      clientIp: pick(e, "ClientIp", "ClientIpAddress", "c-ip"),
      serverIp: pick(e, "ServerIp", "s-ip"),
      userAgent: pick(e, "UserAgent", "cs(User-Agent)"),
      user: pick(e, "User", "AuthenticatedUser"),
      requestId: pick(e, "RequestId"),
      target: pick(e, "AnchorMailbox"),
    };
  }
  const eventId = pick(e, "EventID");
  if (eventId !== null && /^\d+$/.test(eventId)) {
    const rec = pick(e, "RecordId");
    return {
      kind: "event",
      channel: pick(e, "Channel") ?? "",
      provider: pick(e, "Provider") ?? "",
      eventId: Number(eventId),
      recordId: rec && /^\d+$/.test(rec) ? Number(rec) : null,
      computer: pick(e, "Computer") ?? "",
    };
  }
  const path = pick(e, "Path");
  if (path !== null || pick(e, "SHA256") !== null) {
    const sha = pick(e, "SHA256")?.toLowerCase() ?? null;
    const size = pick(e, "Size");
    return {
      kind: "file",
      path: f.file ?? path ?? "",
      winPath: path,
      size: size && /^\d+$/.test(size) ? Number(size) : null,
      sha256: sha && /^[0-9a-f]{64}$/.test(sha) ? sha : null,
      mtime: pick(e, "Modified"),
    };
  }
  if (pick(e, "Build") !== null)
    return {
      kind: "build",
      build: pick(e, "Build"),
      product: pick(e, "Product"),
      buildSource: pick(e, "BuildSource") ?? "",
    };
  return { kind: "evidence", source: pick(e, "Source") ?? f.file };
}

/** One v1 finding in v2 form; its effect is what v1 meant by its check (the check table of this version). */
export function upgradeFindingV1(f: V1Finding, checks: CheckLookup): Finding {
  const info = checks(f.check);
  const subject = subjectOfV1(f);
  const rec = pick(f.evidence, "RecordId");
  return {
    id: f.id,
    fingerprint: fingerprintOf(f.check, f.server, subject, f.time),
    check: f.check,
    effect: info?.effect ?? (f.severity === "info" ? "coverage" : "attempt"),
    severity: f.severity,
    confidence: info?.confidence ?? "medium",
    cves: f.cves,
    title: f.title,
    server: f.server,
    subject,
    source: {
      file: f.file,
      line: f.line,
      record: rec && /^\d+$/.test(rec) ? Number(rec) : null,
      excerpt: null,
    },
    time: f.time,
    evidence: f.evidence,
    rule: { id: f.check, title: info?.title ?? f.title, references: f.references, origin: "exhunt" },
  };
}

/**
 * Version 1 → 2: findings gain effect, confidence, subject, source and rule; servers gain confidence,
 * plan and timeline. The verdict and its reasons are kept exactly as the scan wrote them.
 */
export function upgradeV1(r: V1Result, checks: CheckLookup): ScanResult {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: r.tool,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    servers: r.servers.map((s) => upgradeServerV1(s, checks)),
  };
}

/** One version 1 server in v2 form (the verdict and reasons as written; plan and timeline added). */
export function upgradeServerV1(s: V1Server, checks: CheckLookup): ServerResult {
  const findings = s.findings.map((f) => upgradeFindingV1(f, checks));
  return {
    ...s,
    findings,
    confidence: verdictConfidence(s.verdict, findings, s.coverage),
    plan: remediationPlan({ ...s, findings }),
    timeline: serverTimeline({ name: s.name, findings }),
  };
}

/** A saved result opened for streaming: what is known of the run, and its servers one at a time. */
export interface OpenedResult {
  schemaVersion: 1 | 2;
  tool: { name: string; version: string };
  startedAt: string;
  finishedAt: string;
  serverCount: number;
  /** Parses, checks and (for version 1) upgrades each server in turn; only one is held at a time. */
  servers(): AsyncGenerator<ServerResult>;
}

/**
 * Opens a saved result of any size: its layout is read in one pass over the bytes (result-layout.ts),
 * then every server is parsed and checked against the schema before anything is written, so a refused
 * file never leaves half an output behind. Rendering parses each server again, one at a time.
 * Throws ResultFileError naming the first bad field.
 */
export async function openResultFile(
  path: string,
  checks: CheckLookup,
  name = path,
  v: ResultValidators = resultValidators(),
): Promise<OpenedResult> {
  let layout: ResultLayout;
  try {
    layout = await resultLayout(path);
  } catch (e) {
    if (e instanceof LayoutError) throw new ResultFileError(`${name} is not JSON: ${e.message}`);
    throw new ResultFileError(
      `cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const top: Record<string, unknown> = {};
  for (const m of layout.members) top[m.key] = await parseSpan(path, name, m.value, m.key);
  if (layout.serversValue) top.servers = await parseSpan(path, name, layout.serversValue, "servers");
  else if (layout.servers) top.servers = [];
  const version = top.schemaVersion;
  if (version !== SCHEMA_VERSION && version !== 1)
    throw new ResultFileError(
      `${name} has schemaVersion ${JSON.stringify(version ?? null)}; this exhunt reads schemaVersion 1 and ${SCHEMA_VERSION}`,
    );
  const whole = version === 1 ? v.v1 : v.v2;
  const label = version === 1 ? `${name} (schemaVersion 1)` : name;
  if (!whole(top)) throw new ResultFileError(`${label}: ${firstError(whole.errors)}`);
  const spans = layout.servers ?? [];
  const checkServer = version === 1 ? v.v1Server : v.v2Server;
  const items = version === 1 ? v.v1Items : v.v2Items;
  // One read buffer for every server of this file (parsing copies what it keeps).
  const into = { buf: Buffer.alloc(0) };
  const read = async (i: number): Promise<unknown> => {
    const data = await parseSpan(path, name, spans[i], `servers.${i}`, into);
    if (!checkServer(data))
      throw new ResultFileError(`${label}: ${firstError(checkServer.errors, `servers.${i}`)}`);
    return data;
  };
  // The check before anything is written looks at a server a finding at a time: its large arrays are
  // checked element by element and dropped, so this pass holds no whole server (memory stays flat).
  for (let i = 0; i < spans.length; i++) {
    const visit: Visit = (at) => {
      const check = items.get(at.join("."));
      if (!check) return null;
      return (value, n) => {
        if (!check(value))
          throw new ResultFileError(
            `${label}: ${firstError(check.errors, `servers.${i}.${at.join(".")}.${n}`)}`,
          );
      };
    };
    const skeleton = await parseSpan(path, name, spans[i], `servers.${i}`, into, visit);
    if (!checkServer(skeleton))
      throw new ResultFileError(`${label}: ${firstError(checkServer.errors, `servers.${i}`)}`);
  }
  const r = top as unknown as Omit<OpenedResult, "servers" | "serverCount">;
  return {
    schemaVersion: version,
    tool: r.tool,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    serverCount: spans.length,
    async *servers() {
      for (let i = 0; i < spans.length; i++) {
        // Checked again: the file may have changed since it was opened, and a renderer trusts the schema.
        const data = await read(i);
        yield version === 1 ? upgradeServerV1(data as V1Server, checks) : (data as ServerResult);
      }
    },
  };
}

async function parseSpan(
  path: string,
  name: string,
  span: Span,
  what: string,
  into?: { buf: Buffer },
  visit?: Visit,
): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readSpanBytes(path, span, into);
  } catch (e) {
    throw new ResultFileError(`cannot read ${name}: ${(e as Error).message}`);
  }
  try {
    return parsePiecewise(bytes, 0, bytes.length, visit);
  } catch (e) {
    if (e instanceof ResultFileError) throw e;
    throw new ResultFileError(
      `${name} is not JSON: in ${what} (bytes ${span.start}-${span.end}): ${(e as Error).message}`,
    );
  }
}
