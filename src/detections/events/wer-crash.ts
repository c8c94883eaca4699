// Crashes of Exchange worker processes (Application log: Windows Error Reporting 1001, Application Error
// 1000). Deserialization exploits (CVE-2021-26857 in UMWorkerProcess, ProxyLogon/ProxyNotShell payloads in
// the w3wp of an MSExchange*AppPool) crash the process when a payload misfires; so do ordinary bugs.
import type { EventRecord } from "../../model/records.js";
import type { CheckInfo } from "../../model/types.js";
import { clip } from "../evidence.js";
import type { EventDetection } from "../types.js";
import { eventEvidence, exeName, REF, texts } from "./common.js";

export const checks = {
  umCrash: {
    id: "wer-umworkerprocess-crash",
    title: "UMWorkerProcess.exe crashed (CVE-2021-26857 attempt?)",
    cves: ["CVE-2021-26857"],
    severity: "medium",
    effect: "attempt",
    description:
      "Application log: Windows Error Reporting 1001 or Application Error 1000 for UMWorkerProcess.exe. " +
      "Exploitation of the Unified Messaging deserialization bug crashed this process on servers hit in " +
      "early 2021 (Volexity, Microsoft); a crash alone does not show success, so it counts as an attempt. " +
      "Look for cve-2021-26857-um errors and new files around the same time.",
    references: [REF.cve26857, REF.volexity, REF.msBlog],
  },
  poolCrash: {
    id: "wer-exchange-apppool-crash",
    title: "Exchange IIS worker process (w3wp.exe) crashed",
    cves: [],
    severity: "low",
    effect: "context",
    description:
      "Application log: Windows Error Reporting 1001 or Application Error 1000 for w3wp.exe, where the event " +
      "names an MSExchange*AppPool or names no application pool (the crash events usually do not). Failed " +
      "exploit payloads crash the ECP, OWA or PowerShell pools; so do many benign faults, so this is context: " +
      "it corroborates other findings and does not raise the verdict alone. Crashes of other pools " +
      "(e.g. DefaultAppPool) are not reported.",
    references: [REF.volexity, "https://github.com/Neo23x0/signature-base/blob/master/yara/apt_hafnium.yar"],
  },
} satisfies Record<string, CheckInfo>;

const POOL = /MSExchange\w*AppPool/i;
const ANY_POOL = /\b(\w+AppPool)\b/i;

/** The crashed program: Application Error names it first; a WER report carries it among its P1..P10. */
function crashedExe(ev: EventRecord): "w3wp.exe" | "umworkerprocess.exe" | null {
  const own = ev.data.AppName ?? ev.data.P1;
  const candidates = own ? [own] : ev.values.slice(0, 16);
  for (const v of candidates) {
    const n = exeName(v);
    if (n === "w3wp.exe" || n === "umworkerprocess.exe") return n;
  }
  return null;
}

export const werExchangeCrash: EventDetection = {
  type: "event",
  id: "wer-exchange-crash",
  checks: [checks.umCrash, checks.poolCrash],
  providers: ["Windows Error Reporting", "Application Error"],
  match(ev) {
    const isWer = ev.provider.toLowerCase() === "windows error reporting";
    if (ev.eventId !== (isWer ? 1001 : 1000)) return null;
    const exe = crashedExe(ev);
    if (!exe) return null;
    const evidence: Record<string, string> = { ...eventEvidence(ev), Process: exe };
    const all = texts(ev);
    if (exe === "umworkerprocess.exe") {
      evidence.Match = clip(all.filter(Boolean).join(" | "), 600);
      return { check: checks.umCrash.id, time: ev.time, evidence };
    }
    const exchangePool = all.map((t) => POOL.exec(t)?.[0]).find(Boolean);
    const otherPool = all.map((t) => ANY_POOL.exec(t)?.[1]).find(Boolean);
    if (!exchangePool && otherPool) return null;
    if (exchangePool) evidence.AppPool = exchangePool;
    evidence.Match = clip(all.filter(Boolean).join(" | "), 600);
    return {
      check: checks.poolCrash.id,
      time: ev.time,
      evidence,
      title: exchangePool
        ? `Exchange IIS worker process crashed (${exchangePool})`
        : "IIS worker process (w3wp.exe) crashed; the event names no application pool",
    };
  },
};
