// Credential theft: LSASS memory dumped (procdump, comsvcs.dll MiniDump, rdrleakdiag, SQLDumper,
// createdump, Out-Minidump, Dumpert, PPLdump, AndrewSpecial, nanodump, SilentProcessExit, process
// reflection, Task Manager), or lsass opened with dump rights. A dump of a PID is an LSASS dump only
// when the PID is lsass.exe's in the same evidence (this file here; other files through
// correlation/lsass-target.ts); a proven dump inside a campaign window is compromise-grade, outside
// it a high finding with its date (docs/verdict.md).
import type { EventRecord } from "../../model/records.js";
import { type CheckInfo, campaignAt } from "../../model/types.js";
import { clip } from "../evidence.js";
import type { EventDetection, EventMemory, FindingDraft } from "../types.js";
import { eventEvidence, exeName, param, REF } from "./common.js";
import {
  BENIGN_LSASS_READERS,
  DUMP_ACCESS,
  dumpCallTrace,
  dumpCommand,
  dumpFileMethod,
} from "./lsass-methods.js";
import { processCreation } from "./process-spawn.js";

const SIGMA_CRED = "https://github.com/SigmaHQ/sigma/tree/master/rules/windows/process_access";

export const checks = {
  dump: {
    id: "event-lsass-dump",
    title: "LSASS memory dumped",
    cves: [],
    severity: "high",
    effect: "context",
    confidence: "high",
    description:
      "A proven LSASS dump: a command line that names lsass as the target (procdump -ma lsass, renamed procdump " +
      "by its flags, comsvcs.dll MiniDump of lsass's PID, rdrleakdiag, SQLDumper, createdump, Out-Minidump, " +
      "MiniDumpWriteDump from PowerShell) or a tool that only dumps lsass (Dumpert, AndrewSpecial, nanodump, " +
      "PPLdump), an lsass dump file written (Sysmon 11), a SilentProcessExit setting for lsass (Sysmon 13), " +
      "lsass cloned (process reflection), or lsass opened by a minidump writer (Sysmon 10 call trace). Inside a " +
      "campaign window it is compromise-grade; outside it a high finding with its date.",
    references: [REF.msBlog, REF.sigmaLsassComsvcs, REF.testProxyLogon, SIGMA_CRED],
  },
  possible: {
    id: "event-lsass-dump-possible",
    title: "Process memory dumped, target unknown (possibly LSASS)",
    cves: [],
    severity: "high",
    effect: "context",
    confidence: "low",
    description:
      "A dump command (comsvcs.dll MiniDump, procdump, rdrleakdiag, SQLDumper, createdump) of a PID that no " +
      "process event of the evidence names: possible, target unknown. If another event shows the PID is " +
      "lsass.exe, an event-lsass-dump finding says so; find the process list of that time to settle it.",
    references: [REF.sigmaLsassComsvcs, SIGMA_CRED],
  },
  notLsass: {
    id: "process-dump-not-lsass",
    title: "Process memory dumped: the target is not LSASS",
    cves: [],
    severity: "low",
    effect: "info",
    description:
      "A dump command whose target PID the process events of the same evidence show to be another process " +
      "(e.g. notepad.exe): not an LSASS dump, recorded for the responder.",
    references: [REF.sigmaLsassComsvcs],
  },
  memoryRead: {
    id: "lsass-memory-read",
    title: "LSASS opened with memory-read rights",
    cves: [],
    severity: "high",
    effect: "context",
    confidence: "medium",
    description:
      "Sysmon 10: a process outside the Windows and antivirus ones that read lsass (MsMpEng, csrss, wininit, " +
      "services, ...) opened lsass.exe with the rights dumping tools ask for (0x1010, 0x1410, 0x1438, 0x143a, " +
      "0x1fffff, ...). Credential dumpers do this; so do some monitoring agents, so alone it is listed.",
    references: [SIGMA_CRED],
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
  pid: {
    id: "lsass-process-id",
    title: "LSASS process id seen (to resolve dump targets)",
    cves: [],
    severity: "info",
    effect: "info",
    description:
      "lsass.exe and its process id as a process event of the evidence names it: what tells whether a dump of " +
      "a PID in another log file was an LSASS dump.",
    references: [SIGMA_CRED],
  },
} satisfies Record<string, CheckInfo>;

/** @deprecated kept for callers of the first version: the method, when it names lsass. */
export function dumpsLsass(commandLine: string): string | null {
  const d = dumpCommand(commandLine);
  return d && d.target === "lsass" ? d.method : null;
}

const VM_READ = 0x10;

/** A proven dump: compromise-grade inside a campaign window, else a high finding with its date. */
export function provenDump(
  time: string | null,
  evidence: Record<string, string>,
  title?: string,
): FindingDraft {
  const wave = campaignAt(time);
  const d: FindingDraft = { check: checks.dump.id, time, evidence: { ...evidence } };
  if (wave) {
    d.effect = "compromise";
    d.severity = "critical";
    d.evidence.Campaign = wave;
  } else d.evidence.Campaign = "outside every campaign window";
  d.title = `${title ?? checks.dump.title}${time ? ` on ${time.slice(0, 10)}` : ""}${wave ? ` (inside the ${wave} window)` : ""}`;
  return d;
}

/** Decimal PID from a Sysmon (decimal) or Security (hex `0x…`) value. */
function pidOf(v: string | undefined): number | null {
  if (!v) return null;
  const t = v.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? Number.parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

/** Processes and their PIDs the event names (the process itself, a target, a new process). */
function processesOf(ev: EventRecord): [number, string][] {
  const out: [number, string][] = [];
  const add = (pid: string | undefined, image: string | undefined) => {
    const n = pidOf(pid);
    const name = exeName(image);
    if (n !== null && name) out.push([n, name]);
  };
  add(param(ev, "ProcessId"), param(ev, "Image"));
  add(param(ev, "TargetProcessId"), param(ev, "TargetImage"));
  add(param(ev, "SourceProcessId"), param(ev, "SourceImage"));
  add(param(ev, "NewProcessId"), param(ev, "NewProcessName"));
  add(param(ev, "ParentProcessId"), param(ev, "ParentImage"));
  return out;
}

const MAX_PIDS = 100_000;

/** Remembers PID → process per computer for this file, and reports each lsass PID once. */
function notePids(ev: EventRecord, memory: EventMemory): FindingDraft[] {
  const pids = (memory.get("pids") as Map<string, string> | undefined) ?? new Map<string, string>();
  memory.set("pids", pids);
  const out: FindingDraft[] = [];
  for (const [pid, name] of processesOf(ev)) {
    const key = `${ev.computer.toLowerCase()}|${pid}`;
    const was = pids.get(key);
    if (was === undefined && pids.size >= MAX_PIDS) continue;
    pids.set(key, name);
    if (name === "lsass.exe" && was !== "lsass.exe")
      out.push({
        check: checks.pid.id,
        time: ev.time,
        evidence: { ...eventEvidence(ev), Pid: String(pid), Process: "lsass.exe" },
      });
  }
  return out;
}

function commandDraft(ev: EventRecord, memory: EventMemory): FindingDraft | null {
  const proc = processCreation(ev);
  if (!proc) return null;
  const evidence: Record<string, string> = { ...eventEvidence(ev), Path: proc.image };
  if (proc.parent) evidence.ParentPath = proc.parent;
  if (proc.user) evidence.User = proc.user;
  // Process reflection: lsass starting a copy of itself (PssCaptureSnapshot / RtlCreateProcessReflection).
  if (exeName(proc.parent) === "lsass.exe" && exeName(proc.image) === "lsass.exe")
    return provenDump(ev.time, { ...evidence, Rule: "lsass cloned (process reflection)" });
  const how = dumpCommand(proc.commandLine);
  if (!how) return null;
  evidence.Command = clip(proc.commandLine);
  evidence.Rule = how.method;
  if (how.target === "lsass") return provenDump(ev.time, evidence, `LSASS memory dumped (${how.method})`);
  if (how.target === "other" && how.name)
    return {
      check: checks.notLsass.id,
      time: ev.time,
      title: `Process memory dumped (${how.method}): the target is ${how.name}, not LSASS`,
      evidence: { ...evidence, Target: how.name },
    };
  if (how.target === "pid" && how.pid !== undefined) {
    evidence.TargetPid = String(how.pid);
    const pids = memory.get("pids") as Map<string, string> | undefined;
    const name = pids?.get(`${ev.computer.toLowerCase()}|${how.pid}`);
    if (name === "lsass.exe")
      return provenDump(
        ev.time,
        { ...evidence, Target: "lsass.exe (by its PID in this log)" },
        `LSASS memory dumped (${how.method})`,
      );
    if (name) {
      evidence.Target = name;
      return {
        check: checks.notLsass.id,
        time: ev.time,
        title: `Process memory dumped (${how.method}): PID ${how.pid} is ${name}, not LSASS`,
        evidence,
      };
    }
  }
  return {
    check: checks.possible.id,
    time: ev.time,
    title: `Process memory dumped (${how.method}), target ${how.pid !== undefined ? `PID ${how.pid}` : ""} unknown: possibly LSASS`,
    evidence,
  };
}

function sysmonDraft(ev: EventRecord): FindingDraft | null {
  if (ev.eventId === 11) {
    const target = param(ev, "TargetFilename") ?? "";
    const method = dumpFileMethod(exeName(target));
    if (!method) return null;
    return provenDump(ev.time, {
      ...eventEvidence(ev),
      Path: target,
      Process: param(ev, "Image") ?? "",
      Rule: method,
    });
  }
  if (ev.eventId === 13 || ev.eventId === 12) {
    const key = param(ev, "TargetObject") ?? "";
    if (!/\\silentprocessexit\\lsass\.exe/i.test(key)) return null;
    return provenDump(ev.time, {
      ...eventEvidence(ev),
      Path: key,
      Process: param(ev, "Image") ?? "",
      Rule: "SilentProcessExit set for lsass.exe",
    });
  }
  if (ev.eventId !== 10 || exeName(param(ev, "TargetImage")) !== "lsass.exe") return null;
  const sourcePath = param(ev, "SourceImage") ?? "";
  const source = exeName(sourcePath);
  const granted = param(ev, "GrantedAccess") ?? "";
  const mask = Number.parseInt(granted, 16);
  const evidence = {
    ...eventEvidence(ev),
    Process: sourcePath,
    Path: param(ev, "TargetImage") ?? "",
    GrantedAccess: granted,
  };
  if (source === "w3wp.exe" || source === "umworkerprocess.exe") {
    if (!Number.isNaN(mask) && (mask & VM_READ) === 0) return null;
    return { check: checks.access.id, time: ev.time, evidence };
  }
  if (BENIGN_LSASS_READERS.has(source) || Number.isNaN(mask) || !DUMP_ACCESS.has(mask)) return null;
  const trace = dumpCallTrace(param(ev, "CallTrace") ?? "");
  if (trace) return provenDump(ev.time, { ...evidence, Rule: trace }, `LSASS memory dumped by ${source}`);
  return {
    check: checks.memoryRead.id,
    time: ev.time,
    title: `LSASS opened with memory-read rights by ${source}`,
    evidence,
  };
}

/** SilentProcessExit's own report (Application 3001, ProcessExitMonitor) naming lsass.exe. */
function silentExitDraft(ev: EventRecord): FindingDraft | null {
  if (ev.eventId !== 3001 || !/processexitmonitor/i.test(ev.provider)) return null;
  const text = [...ev.values, ev.message ?? ""].join(" ");
  if (!/\blsass\.exe\b/i.test(text)) return null;
  return provenDump(ev.time, { ...eventEvidence(ev), Rule: "SilentProcessExit monitor reported lsass.exe" });
}

export const lsassDump: EventDetection = {
  type: "event",
  id: "lsass-dump-events",
  checks: [checks.dump, checks.possible, checks.notLsass, checks.memoryRead, checks.access, checks.pid],
  providers: [
    "Microsoft-Windows-Sysmon",
    "Microsoft-Windows-Security-Auditing",
    "Microsoft-Windows-ProcessExitMonitor",
  ],
  match(ev, _ctx, memory): FindingDraft[] {
    const out = notePids(ev, memory);
    const provider = ev.provider.toLowerCase();
    const d =
      commandDraft(ev, memory) ??
      (provider === "microsoft-windows-sysmon" ? sysmonDraft(ev) : null) ??
      silentExitDraft(ev);
    if (d) out.push(d);
    return out;
  },
};
