// Credential theft after the break-in: LSASS memory dumped with procdump or comsvcs.dll MiniDump
// (HAFNIUM's documented commands), a dump file written, or an Exchange worker reading LSASS memory.
import type { CheckInfo } from "../../model/types.js";
import { clip } from "../evidence.js";
import type { EventDetection, FindingDraft } from "../types.js";
import { eventEvidence, exeName, param, REF } from "./common.js";
import { processCreation } from "./process-spawn.js";

export const checks = {
  dump: {
    id: "event-lsass-dump",
    title: "LSASS memory dumped",
    cves: [],
    severity: "high",
    effect: "context",
    description:
      "Sysmon 1 / Security 4688 command line dumping lsass (procdump with lsass, rundll32 comsvcs.dll MiniDump " +
      "or #24), or Sysmon 11 creating an lsass*.dmp file. HAFNIUM dumped LSASS this way after ProxyLogon. " +
      "Administrators and support staff sometimes do too, so like Test-ProxyLogon's lsass dump files this is " +
      "context: on a server that also saw exploitation attempts the verdict treats it as credential theft.",
    references: [REF.msBlog, REF.sigmaLsassComsvcs, REF.testProxyLogon],
  },
  access: {
    id: "lsass-read-by-exchange-worker",
    title: "Exchange worker process read LSASS memory",
    cves: [],
    severity: "critical",
    effect: "compromise",
    description:
      "Sysmon event 10 (ProcessAccess): w3wp.exe or UMWorkerProcess.exe opened lsass.exe with memory-read rights " +
      "(PROCESS_VM_READ, 0x10, in GrantedAccess). Web-server processes have no reason to read LSASS: this is " +
      "a credential dump run from a web shell or an exploit payload.",
    references: [REF.msBlog, REF.cisaAA21062A],
  },
} satisfies Record<string, CheckInfo>;

/** Whether a command line dumps lsass with the tools the campaign used. */
export function dumpsLsass(commandLine: string): string | null {
  const c = commandLine.toLowerCase();
  if (/procdump(64)?(\.exe)?\b/.test(c) && c.includes("lsass")) return "procdump of lsass";
  if (c.includes("comsvcs") && (c.includes("minidump") || /#\s*24\b/.test(c))) return "comsvcs.dll MiniDump";
  return null;
}

const VM_READ = 0x10;

export const lsassDump: EventDetection = {
  type: "event",
  id: "lsass-dump-events",
  checks: [checks.dump, checks.access],
  providers: ["Microsoft-Windows-Sysmon", "Microsoft-Windows-Security-Auditing"],
  match(ev): FindingDraft | null {
    const proc = processCreation(ev);
    if (proc) {
      const how = dumpsLsass(proc.commandLine);
      if (!how) return null;
      const evidence: Record<string, string> = {
        ...eventEvidence(ev),
        Path: proc.image,
        Command: clip(proc.commandLine),
        Rule: how,
      };
      if (proc.parent) evidence.ParentPath = proc.parent;
      if (proc.user) evidence.User = proc.user;
      return { check: checks.dump.id, time: ev.time, evidence };
    }
    if (ev.provider.toLowerCase() !== "microsoft-windows-sysmon") return null;
    if (ev.eventId === 11) {
      const target = param(ev, "TargetFilename") ?? "";
      if (!/lsass[^\\/]*\.dmp$/i.test(exeName(target))) return null;
      return {
        check: checks.dump.id,
        time: ev.time,
        evidence: {
          ...eventEvidence(ev),
          Path: target,
          Process: param(ev, "Image") ?? "",
          Rule: "lsass*.dmp written",
        },
      };
    }
    if (ev.eventId === 10) {
      if (exeName(param(ev, "TargetImage")) !== "lsass.exe") return null;
      const source = exeName(param(ev, "SourceImage"));
      if (source !== "w3wp.exe" && source !== "umworkerprocess.exe") return null;
      const granted = param(ev, "GrantedAccess") ?? "";
      const mask = Number.parseInt(granted, 16);
      if (!Number.isNaN(mask) && (mask & VM_READ) === 0) return null;
      return {
        check: checks.access.id,
        time: ev.time,
        evidence: {
          ...eventEvidence(ev),
          Process: param(ev, "SourceImage") ?? "",
          Path: param(ev, "TargetImage") ?? "",
          GrantedAccess: granted,
        },
      };
    }
    return null;
  },
};
