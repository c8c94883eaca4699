// Findings as Elastic Common Schema documents, as an NDJSON body for the Elasticsearch/OpenSearch
// `_bulk` API: a `{"create":{}}` action line before each document, so that
// `curl -H 'Content-Type: application/x-ndjson' -XPOST host:9200/exhunt-findings/_bulk --data-binary @f`
// imports it (into an index or a data stream). Field mapping: docs/output.md.
import type { Finding, ScanResult, ServerResult, Severity } from "../model/types.js";
import {
  clientIp,
  httpMethod,
  httpStatus,
  serverPaths,
  sha256,
  uriQuery,
  uriStem,
  userAgent,
} from "../verdict/facts.js";
import { openSink, type Sink } from "./sink.js";
import type { RunMeta, Writer } from "./writer.js";

/** ECS `event.severity` (numeric) per exhunt severity, on Elastic Security's risk-score scale. */
export const ECS_SEVERITY: Record<Severity, number> = {
  critical: 99,
  high: 73,
  medium: 47,
  low: 21,
  info: 1,
};

export const ECS_VERSION = "8.11.0";

type Doc = Record<string, unknown>;

/** Sets a dotted path, walking the string in place (no split, no cache: this runs per field per finding). */
function set(doc: Doc, path: string, value: unknown): void {
  if (value === null || value === undefined || value === "") return;
  let o = doc;
  let from = 0;
  for (let dot = path.indexOf("."); dot >= 0; dot = path.indexOf(".", from)) {
    const k = path.slice(from, dot);
    if (typeof o[k] !== "object" || o[k] === null) o[k] = {};
    o = o[k] as Doc;
    from = dot + 1;
  }
  o[path.slice(from)] = value;
}

/** What a document takes from the run: the scan's end time (for undated findings) and the tool version. */
export interface EcsRun {
  finishedAt: string;
  tool: { version: string };
}

/** One ECS document for one finding. */
export function ecsDocument(f: Finding, s: ServerResult, result: EcsRun): Doc {
  const doc: Doc = {};
  set(doc, "@timestamp", f.time ?? result.finishedAt);
  set(doc, "message", f.title);
  set(doc, "ecs.version", ECS_VERSION);
  set(doc, "event.kind", "alert");
  set(doc, "event.category", ["intrusion_detection"]);
  set(doc, "event.type", ["indicator"]);
  set(doc, "event.id", f.id);
  set(doc, "event.dataset", "exhunt.finding");
  set(doc, "event.module", "exhunt");
  set(doc, "event.provider", "exhunt");
  set(doc, "event.severity", ECS_SEVERITY[f.severity]);
  set(doc, "event.created", result.finishedAt);
  set(doc, "event.reference", f.rule.references[0]);
  set(doc, "rule.id", f.check);
  set(doc, "rule.name", f.rule.title);
  set(doc, "rule.author", f.rule.author);
  set(doc, "rule.license", f.rule.licence);
  set(doc, "rule.reference", f.rule.references.join(" "));
  set(doc, "rule.ruleset", "exhunt");
  if (f.cves.length) {
    set(doc, "vulnerability.id", f.cves);
    set(doc, "vulnerability.enumeration", "CVE");
    set(
      doc,
      "vulnerability.reference",
      f.cves.map((c) => `https://msrc.microsoft.com/update-guide/vulnerability/${c}`),
    );
  }
  set(doc, "host.name", s.name);
  set(doc, "observer.product", "exhunt");
  set(doc, "observer.version", result.tool.version);
  set(doc, "source.ip", clientIp(f));
  set(doc, "url.path", uriStem(f));
  const q = uriQuery(f);
  if (q) set(doc, "url.query", q.replace(/^\?/, ""));
  set(doc, "http.request.method", httpMethod(f));
  const st = httpStatus(f);
  if (st && /^\d{3}$/.test(st)) set(doc, "http.response.status_code", Number(st));
  set(doc, "user_agent.original", userAgent(f));
  const paths = serverPaths(f);
  set(doc, "file.path", paths[0]);
  set(doc, "file.hash.sha256", sha256(f));
  const size = f.evidence.Size;
  if (size && /^\d+$/.test(size)) set(doc, "file.size", Number(size));
  if (f.evidence.Modified && !Number.isNaN(Date.parse(f.evidence.Modified)))
    set(doc, "file.mtime", new Date(f.evidence.Modified).toISOString());
  set(doc, "process.command_line", f.evidence.Command);
  if (f.evidence.EventID && /^\d+$/.test(f.evidence.EventID)) set(doc, "winlog.event_id", f.evidence.EventID);
  set(doc, "winlog.provider_name", f.evidence.Provider);
  set(doc, "winlog.computer_name", f.evidence.Computer);
  set(doc, "winlog.record_id", f.evidence.RecordId);
  set(doc, "log.file.path", f.source.file);
  set(doc, "exhunt.finding_id", f.id);
  set(doc, "exhunt.check", f.check);
  set(doc, "exhunt.severity", f.severity);
  set(doc, "exhunt.effect", f.effect);
  set(doc, "exhunt.server_verdict", s.verdict);
  set(doc, "exhunt.line", f.source.line);
  set(doc, "exhunt.time_known", f.time !== null);
  set(doc, "exhunt.evidence", f.evidence);
  return doc;
}

export function* ecsLines(s: ServerResult, run: EcsRun): Generator<string> {
  for (const f of s.findings) yield `{"create":{}}\n${JSON.stringify(ecsDocument(f, s, run))}\n`;
}

/** The `_bulk` body: an action line, then the document, for every finding of every server. */
export function ecsBulk(result: ScanResult): string {
  let out = "";
  for (const s of result.servers) for (const line of ecsLines(s, result)) out += line;
  return out;
}

/**
 * ECS NDJSON as each server arrives. A scan's end time is not known yet while it runs: undated findings
 * and `event.created` take the time their server was written (a saved result gives its finishedAt).
 */
export function ecsWriter(target: string, clock: () => string = () => new Date().toISOString()): Writer {
  let sink: Sink | undefined;
  let meta: RunMeta | undefined;
  let docs = 0;
  return {
    name: "ecs",
    async begin(m) {
      meta = m;
      sink = await openSink(target);
    },
    async server(s) {
      if (!sink || !meta) throw new Error("ecs writer: server() before begin()");
      const run = { finishedAt: meta.finishedAt ?? clock(), tool: meta.tool };
      for (const line of ecsLines(s, run)) await sink.write(line);
      docs += s.findings.length;
    },
    async end() {
      await sink?.close();
      return target === "-" ? null : `wrote ${docs} ECS documents (bulk format) to ${target}`;
    },
    async abort() {
      await sink?.discard();
    },
  };
}
