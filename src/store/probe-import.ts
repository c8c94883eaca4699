// `exhunt probe --json` output as a fleet import: one server per probed host (named by its host, with
// its address and port), its build and the probe's findings as they were reported. A host entry that
// is not the documented shape is listed as skipped, with why.
import type { Finding } from "../model/finding.js";
import { importedResult, tryAssess } from "./imported.js";
import type { RunInput } from "./types.js";

export interface ProbeImport {
  servers: RunInput[];
  skipped: { index: number; why: string }[];
}

function hostPort(target: string): { host: string; port: number | null } {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `https://${target}`;
  try {
    const u = new URL(url);
    const host = u.hostname.replace(/^\[|\]$/g, "");
    return { host, port: u.port ? Number(u.port) : u.protocol === "http:" ? 80 : 443 };
  } catch {
    return { host: target, port: null };
  }
}

function isFinding(v: unknown): v is Finding {
  if (!v || typeof v !== "object") return false;
  const f = v as Record<string, unknown>;
  return (
    typeof f.id === "string" &&
    typeof f.fingerprint === "string" &&
    typeof f.check === "string" &&
    typeof f.effect === "string" &&
    typeof f.subject === "object" &&
    typeof f.rule === "object"
  );
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

export function readProbeJson(text: string, file: string, at: string): ProbeImport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not JSON: ${(e as Error).message}`);
  }
  const hosts = (data as { hosts?: unknown }).hosts;
  if (!Array.isArray(hosts))
    throw new Error(`${file} is not \`exhunt probe --json\` output: no "hosts" array`);
  const servers: RunInput[] = [];
  const skipped: ProbeImport["skipped"] = [];
  hosts.forEach((h: unknown, index) => {
    const o = h as Record<string, unknown>;
    if (!o || typeof o.target !== "string" || typeof o.reachable !== "boolean") {
      skipped.push({ index, why: "no target or reachable field" });
      return;
    }
    const raw = Array.isArray(o.findings) ? o.findings : [];
    const findings = raw.filter(isFinding);
    if (findings.length !== raw.length) {
      skipped.push({ index, why: `${raw.length - findings.length} finding(s) not in schema v2 shape` });
      return;
    }
    const { host, port } = hostPort(o.target);
    const build = typeof o.build === "string" ? o.build : null;
    const { assessment, why } = tryAssess(build ?? "");
    const notes = why ? [`The probe reported build ${JSON.stringify(build)}: ${why}`] : [];
    if (!o.reachable) notes.push(`Unreachable when probed (${at.slice(0, 10)}).`);
    const source = typeof o.buildSource === "string" ? `probe: ${o.buildSource}` : "probe";
    const result = importedResult({
      name: host,
      root: `${file}#${index}`,
      drafts: [],
      findings,
      build: assessment ? { assessment, source, asOf: at, findings: false } : null,
      notes,
    });
    servers.push({
      server: { name: host, addresses: IPV4.test(host) || host.includes(":") ? [host] : [] },
      result,
      probe: {
        target: o.target,
        address: IPV4.test(host) ? host : null,
        port,
        reachable: o.reachable,
        build,
        body: o,
      },
    });
  });
  return { servers, skipped };
}
