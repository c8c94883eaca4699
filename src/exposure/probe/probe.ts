// `exhunt probe`: per host, exactly five unauthenticated GETs, all harmless and all documented
// (docs/exposure.md): the OWA logon page (X-OWA-Version header, CU from the resource path), the ECP
// export-tool manifest (full build), Microsoft's CVE-2021-26855 nmap check, the ProxyShell
// autodiscover.json check, and the ProxyNotShell mitigation check. Nothing else is sent.
import { type Finding, type FindingDraft, toFinding } from "../../model/finding.js";
import type { CveExposure } from "../../model/types.js";
import { type Assessment, assessBuild, cveJson } from "../assess.js";
import { exposureCheckInfo, PROBE_CHECKS } from "../checks.js";
import { exposureDrafts } from "../findings.js";
import {
  type CertificateInfo,
  type Connector,
  HostSession,
  type HttpTimeouts,
  loadHttp,
  newConnector,
  type Outcome,
} from "./http.js";
import type { ProbeTarget } from "./targets.js";

export const REQUESTS = {
  logon: { path: "/owa/auth/logon.aspx", headers: {} },
  exportTool: {
    path: "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application",
    headers: {},
  },
  ssrf: {
    path: "/owa/auth/x.js",
    headers: {
      cookie:
        "X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3; X-BEResource=localhost/owa/auth/logon.aspx?~3;",
    },
  },
  proxyShell: {
    path: "/autodiscover/autodiscover.json?@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com",
    headers: {},
  },
  notShell: {
    path: "/autodiscover/autodiscover.json?a@foo.var/owa/?&Email=autodiscover/autodiscover.json?a@foo.var&Protocol=XYZ&FooProtocol=Powershell",
    headers: {},
  },
} as const;

export type CheckState = "vulnerable" | "not-vulnerable" | "mitigated" | "error";
export type MitigationState = "mitigated" | "not-mitigated" | "error";

export interface HostResult {
  target: string;
  reachable: boolean;
  exchange: boolean;
  build: string | null;
  buildSource: string | null;
  certificate: CertificateInfo | null;
  /** The same per-CVE status as `exhunt build --json` gives for the build. */
  cves: Record<string, CveExposure>;
  checks: {
    "CVE-2021-26855": CheckState;
    ProxyShell: CheckState;
    "ProxyNotShell-mitigation": MitigationState;
  };
  findings: Finding[];
  /** Why a check says "error", or what stood out (one short line each). */
  notes: string[];
  durationMs: number;
}

export interface ProbeOptions {
  timeouts?: Partial<HttpTimeouts>;
  /** Hosts probed at once. */
  concurrency?: number;
  /** Requests per second over all hosts (0 or undefined: no limit). */
  rate?: number;
  onHost?: (h: HostResult) => void;
  now?: Date;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: 5_000, headersMs: 10_000, bodyMs: 10_000 };

const OWA_PATH = /\/owa\/(?:auth\/)?(\d{2}\.\d{1,2}\.\d{1,5})\/(?:themes|scripts|resources)\//i;
const FULL_BUILD = /^\d{2}\.\d{1,2}\.\d{1,5}\.\d{1,5}$/;
const MANIFEST_VERSION = /<assemblyIdentity\b[^>]*?\bversion="(\d{2}\.\d{1,2}\.\d{1,5}\.\d{1,5})"/i;
const PROXYSHELL_SIGNATURE = "Microsoft.Exchange.Clients.Owa2.Server.Core.OwaADUserNotFoundException";

function reply(o: Outcome) {
  return "reply" in o ? o.reply : null;
}

/** Signs of Exchange in a response: its own headers, OWA paths, the manifest. */
function looksExchange(o: Outcome): boolean {
  const r = reply(o);
  if (!r) return false;
  const h = r.headers;
  return (
    "x-owa-version" in h ||
    "x-feserver" in h ||
    "x-beserver" in h ||
    "x-calculatedbetarget" in h ||
    OWA_PATH.test(r.body) ||
    /microsoft\.exchange/i.test(r.body) ||
    /\/owa\/auth\//i.test(h.location ?? "")
  );
}

/** Rate limit shared by every host: one request each 1/rate seconds. */
export function rateLimiter(rate: number | undefined): () => Promise<void> {
  if (!rate || rate <= 0) return async () => undefined;
  const gap = 1000 / rate;
  let next = 0;
  return async () => {
    const now = performance.now();
    const at = Math.max(now, next);
    next = at + gap;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  };
}

function ssrfState(o: Outcome, notes: string[]): CheckState {
  if ("reply" in o) {
    const be = o.reply.headers["x-calculatedbetarget"];
    if (be && /localhost/i.test(be)) return "vulnerable";
    return "not-vulnerable";
  }
  if (o.aborted) return "mitigated";
  notes.push(`CVE-2021-26855 check: ${o.code}`);
  return "error";
}

function proxyShellState(o: Outcome, notes: string[]): CheckState {
  if ("reply" in o) return o.reply.body.includes(PROXYSHELL_SIGNATURE) ? "vulnerable" : "not-vulnerable";
  if (o.aborted) return "mitigated";
  notes.push(`ProxyShell check: ${o.code}`);
  return "error";
}

function notShellState(o: Outcome, notes: string[]): MitigationState {
  if ("reply" in o) return "not-mitigated";
  if (o.aborted) return "mitigated";
  notes.push(`ProxyNotShell mitigation check: ${o.code}`);
  return "error";
}

function buildFrom(logon: Outcome, manifest: Outcome): { build: string; source: string } | null {
  const m = reply(manifest);
  const v = m && m.status === 200 ? MANIFEST_VERSION.exec(m.body)?.[1] : undefined;
  if (v) return { build: v, source: "probe: ECP export tool manifest" };
  const l = reply(logon);
  const owa = l?.headers["x-owa-version"]?.trim();
  if (owa && FULL_BUILD.test(owa)) return { build: owa, source: "probe: X-OWA-Version header" };
  const path = l ? OWA_PATH.exec(l.body)?.[1] : undefined;
  if (path) return { build: path, source: "probe: OWA logon page resource path (CU only)" };
  return null;
}

/**
 * What the hosts of one probe run (or of one probe worker thread) share: the options, one TLS connector
 * (built on the first host) and the assessment of each build seen (fleets run the same few builds).
 */
export interface ProbeRun {
  readonly timeouts: HttpTimeouts;
  readonly take: () => Promise<void>;
  readonly now: Date;
  connector?: Connector;
  readonly assessed: Map<string, Assessment>;
}

export function probeRun(timeouts: HttpTimeouts, take: () => Promise<void>, now: Date): ProbeRun {
  return { timeouts, take, now, assessed: new Map() };
}

function assessCached(run: ProbeRun, build: string): Assessment {
  let a = run.assessed.get(build);
  if (!a) {
    a = assessBuild(build, run.now);
    if (run.assessed.size > 10_000) run.assessed.clear();
    run.assessed.set(build, a);
  }
  return a;
}

function hostLabel(t: ProbeTarget): string {
  const host = t.host.includes(":") ? `[${t.host}]` : t.host;
  const def = t.protocol === "http:" ? 80 : 443;
  return t.port === def ? host : `${host}:${t.port}`;
}

export async function probeHost(t: ProbeTarget, o: ProbeRun): Promise<HostResult> {
  // Loaded (once per thread) before the clock starts: a host's timing is its own.
  const lib = await loadHttp();
  o.connector ??= newConnector(lib, o.timeouts.connectMs);
  const t0 = performance.now();
  const origin = `${t.protocol}//${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;
  const session = new HostSession(lib, origin, o.timeouts, o.connector);
  const overall = o.timeouts.connectMs + o.timeouts.headersMs + o.timeouts.bodyMs;
  const notes: string[] = [];
  const send = async (r: { path: string; headers: Record<string, string> }) => {
    await o.take();
    return session.get(r.path, r.headers, overall);
  };
  try {
    const logon = await send(REQUESTS.logon);
    // An unreachable host gets nothing more: no retries, no further requests.
    if (!session.connected) {
      notes.push(`unreachable: ${"code" in logon ? logon.code : "no connection"}`);
      return empty(t, notes, performance.now() - t0);
    }
    const manifest = await send(REQUESTS.exportTool);
    const proxyShell = await send(REQUESTS.proxyShell);
    const ssrf = await send(REQUESTS.ssrf);
    const notShell = await send(REQUESTS.notShell);
    const exchange = [logon, manifest, proxyShell, ssrf, notShell].some(looksExchange);
    const found = buildFrom(logon, manifest);
    let assessment: Assessment | null = null;
    if (found) {
      try {
        assessment = assessCached(o, found.build);
      } catch (e) {
        notes.push(`build ${found.build}: ${(e as Error).message}`);
      }
    }
    const checks: HostResult["checks"] = {
      "CVE-2021-26855": ssrfState(ssrf, notes),
      ProxyShell: proxyShellState(proxyShell, notes),
      "ProxyNotShell-mitigation": notShellState(notShell, notes),
    };
    const server = hostLabel(t);
    const drafts: FindingDraft[] = [];
    if (assessment && found) drafts.push(...exposureDrafts(assessment, found.source, o.now.toISOString()));
    const common = { Target: t.target, ...(found ? { Build: found.build, BuildSource: found.source } : {}) };
    if (checks["CVE-2021-26855"] === "vulnerable") {
      const r = reply(ssrf)!;
      drafts.push({
        check: PROBE_CHECKS.ssrf,
        time: o.now.toISOString(),
        evidence: {
          ...common,
          Status: String(r.status),
          "X-CalculatedBETarget": r.headers["x-calculatedbetarget"] ?? "",
        },
      });
    }
    if (checks.ProxyShell === "vulnerable")
      drafts.push({
        check: PROBE_CHECKS.proxyShell,
        time: o.now.toISOString(),
        evidence: { ...common, Status: String(reply(proxyShell)!.status), Match: PROXYSHELL_SIGNATURE },
      });
    const pnsStatus = assessment?.cves["CVE-2022-41040"].status;
    if (
      exchange &&
      checks["ProxyNotShell-mitigation"] === "not-mitigated" &&
      pnsStatus !== "fixed" &&
      pnsStatus !== "not-affected"
    )
      drafts.push({
        check: PROBE_CHECKS.notShellMitigation,
        time: o.now.toISOString(),
        evidence: {
          ...common,
          Status: String(reply(notShell)!.status),
          BuildStatus: pnsStatus ?? "build unknown",
        },
      });
    const cves: HostResult["cves"] = {};
    if (assessment) for (const [k, v] of Object.entries(assessment.cves)) cves[k] = cveJson(v);
    return {
      target: t.target,
      reachable: true,
      exchange,
      build: assessment?.build ?? found?.build ?? null,
      buildSource: found?.source ?? null,
      certificate: session.certificate,
      cves,
      checks,
      findings: drafts.map((d) =>
        toFinding(
          {
            file: null,
            line: null,
            subject: { kind: "host", host: t.host, address: null, port: t.port },
            ...d,
          },
          server,
          exposureCheckInfo(d.check),
        ),
      ),
      notes,
      durationMs: Math.round(performance.now() - t0),
    };
  } finally {
    await session.close();
  }
}

function empty(t: ProbeTarget, notes: string[], ms: number): HostResult {
  return {
    target: t.target,
    reachable: false,
    exchange: false,
    build: null,
    buildSource: null,
    certificate: null,
    cves: {},
    checks: { "CVE-2021-26855": "error", ProxyShell: "error", "ProxyNotShell-mitigation": "error" },
    findings: [],
    notes,
    durationMs: Math.round(ms),
  };
}

/**
 * Probe every target with at most `concurrency` hosts in flight. Results stream through `onHost`;
 * they are also returned unless `collect` is false (10,000-host runs keep memory flat that way).
 */
export async function probeTargets(
  targets: Iterable<ProbeTarget>,
  o: ProbeOptions & { collect?: boolean } = {},
): Promise<HostResult[]> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...o.timeouts };
  const run = probeRun(timeouts, rateLimiter(o.rate), o.now ?? new Date());
  const it = targets[Symbol.iterator]();
  const out: HostResult[] = [];
  const collect = o.collect ?? true;
  const worker = async () => {
    for (;;) {
      const n = it.next();
      if (n.done) return;
      const r = await probeHost(n.value, run);
      o.onHost?.(r);
      if (collect) out.push(r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 64) }, worker));
  return out;
}
