// Reading a saved result (`exhunt report FILE`): validated against the shipped JSON Schema of its
// version. A version 2 file is used as it is; a version 1 file is upgraded by one explicit function
// (upgradeV1) that keeps its verdicts and reasons and adds what v2 carries. Anything else is refused
// with a message naming the first bad field.
import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { dataPath } from "../data-path.js";
import { checkInfo } from "../detections/registry.js";
import { type Finding, fingerprintOf, type Subject } from "../model/finding.js";
import { SCHEMA_VERSION, type ScanResult, type ServerResult, type Severity } from "../model/types.js";
import { verdictConfidence } from "../verdict/judge.js";
import { remediationPlan } from "../verdict/plan.js";
import { serverTimeline } from "../verdict/timeline.js";

/** A result file that cannot be used; the message names the file and the first bad field. */
export class ResultFileError extends Error {}

function compile(name: string): ValidateFunction {
  const schema = JSON.parse(readFileSync(dataPath("schema", name), "utf8")) as object;
  // Formats (date-time) are not asserted: renderers escape every string whatever its shape.
  const ajv = new Ajv2020({ allErrors: false, strict: false, validateFormats: false });
  return ajv.compile(schema);
}

function firstError(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return "does not match the schema";
  const at = e.instancePath === "" ? "the top level" : e.instancePath.slice(1).replaceAll("/", ".");
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
}

/** The schemas, compiled once per caller (no module state). */
export function resultValidators(): ResultValidators {
  return { v1: compile("result-v1.schema.json"), v2: compile("result.schema.json") };
}

/** Parse, validate and (for version 1) upgrade a saved result. Throws ResultFileError. */
export function parseResult(
  text: string,
  name: string,
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
    return upgradeV1(data as V1Result);
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
export function upgradeFindingV1(f: V1Finding): Finding {
  const info = checkInfo(f.check);
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
export function upgradeV1(r: V1Result): ScanResult {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: r.tool,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    servers: r.servers.map((s): ServerResult => {
      const findings = s.findings.map(upgradeFindingV1);
      return {
        ...s,
        findings,
        confidence: verdictConfidence(s.verdict, findings, s.coverage),
        plan: remediationPlan({ ...s, findings }),
        timeline: serverTimeline({ name: s.name, findings }),
      };
    }),
  };
}
