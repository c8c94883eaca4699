// Processes started by Exchange's worker processes (Sysmon 1, Security 4688 where process-creation
// auditing is on). A web shell runs its commands as children of the w3wp.exe that serves it; a
// CVE-2021-26857 payload runs as a child of UMWorkerProcess.exe.
import type { EventRecord } from "../../model/records.js";
import type { CheckInfo } from "../../model/types.js";
import { clip } from "../evidence.js";
import type { EventDetection } from "../types.js";
import { eventEvidence, exeName, param, REF } from "./common.js";

export const checks = {
  w3wpChild: {
    id: "w3wp-spawned-shell",
    title: "IIS worker process (w3wp.exe) started a shell or system tool",
    cves: [],
    severity: "critical",
    effect: "compromise",
    description:
      "Sysmon event 1 or Security event 4688: w3wp.exe started cmd.exe, powershell.exe, pwsh.exe, wscript, " +
      "cscript, mshta, rundll32, regsvr32, certutil, net/net1, whoami, or another reconnaissance or transfer " +
      "tool. This is how web-shell commands appear on the host (ProxyLogon, ProxyShell, ProxyNotShell " +
      "follow-up). w3wp.exe starting csc.exe/cvtres.exe (page compilation) or WerFault.exe is normal and " +
      "not reported. On an Exchange server the parent's command line usually names the MSExchange*AppPool.",
    references: [REF.sigmaWebshellSpawn, REF.msBlog, REF.cisaAA21062A],
  },
  umChild: {
    id: "umworker-spawned-process",
    title: "UMWorkerProcess.exe started a process (CVE-2021-26857)",
    cves: ["CVE-2021-26857"],
    severity: "critical",
    effect: "compromise",
    description:
      "Sysmon event 1 or Security event 4688: UMWorkerProcess.exe (Unified Messaging) started a process other " +
      "than WerFault.exe/wermgr.exe. Microsoft and Sigma treat this as successful exploitation of the UM " +
      "deserialization bug: the payload runs as SYSTEM inside UMWorkerProcess.",
    references: [REF.sigmaUmChild, REF.cve26857, REF.msBlog],
  },
} satisfies Record<string, CheckInfo>;

/** Children of w3wp.exe that a web shell uses and IIS itself never starts. */
export const SHELL_CHILDREN = new Set([
  "cmd.exe",
  "powershell.exe",
  "pwsh.exe",
  "powershell_ise.exe",
  "wscript.exe",
  "cscript.exe",
  "mshta.exe",
  "rundll32.exe",
  "regsvr32.exe",
  "certutil.exe",
  "bitsadmin.exe",
  "net.exe",
  "net1.exe",
  "whoami.exe",
  "nltest.exe",
  "dsquery.exe",
  "wmic.exe",
  "ipconfig.exe",
  "netstat.exe",
  "nslookup.exe",
  "ping.exe",
  "quser.exe",
  "query.exe",
  "systeminfo.exe",
  "tasklist.exe",
  "schtasks.exe",
  "reg.exe",
  "sc.exe",
  "curl.exe",
  "procdump.exe",
  "procdump64.exe",
  "7z.exe",
  "7za.exe",
  "rar.exe",
  "makecab.exe",
  "vssadmin.exe",
  "wevtutil.exe",
  "bash.exe",
]);

const UM_BENIGN = new Set(["werfault.exe", "wermgr.exe"]);

/** Parent and child of a process-creation event, Sysmon or Security naming; null for other events. */
export function processCreation(
  ev: EventRecord,
): { image: string; parent: string; commandLine: string; parentCommandLine: string; user: string } | null {
  const provider = ev.provider.toLowerCase();
  if (provider === "microsoft-windows-sysmon" && ev.eventId === 1) {
    return {
      image: param(ev, "Image") ?? "",
      parent: param(ev, "ParentImage") ?? "",
      commandLine: param(ev, "CommandLine") ?? "",
      parentCommandLine: param(ev, "ParentCommandLine") ?? "",
      user: param(ev, "User") ?? "",
    };
  }
  if (provider === "microsoft-windows-security-auditing" && ev.eventId === 4688) {
    return {
      image: param(ev, "NewProcessName") ?? "",
      parent: param(ev, "ParentProcessName") ?? "",
      commandLine: param(ev, "CommandLine") ?? "",
      parentCommandLine: "",
      user: param(ev, "SubjectUserName") ?? "",
    };
  }
  return null;
}

export const exchangeProcessSpawn: EventDetection = {
  type: "event",
  id: "exchange-process-spawn",
  checks: [checks.w3wpChild, checks.umChild],
  providers: ["Microsoft-Windows-Sysmon", "Microsoft-Windows-Security-Auditing"],
  match(ev) {
    const p = processCreation(ev);
    if (!p) return null;
    const parent = exeName(p.parent);
    const child = exeName(p.image);
    if (!child) return null;
    let check: string;
    if (parent === "w3wp.exe" && SHELL_CHILDREN.has(child)) check = checks.w3wpChild.id;
    else if (parent === "umworkerprocess.exe" && !UM_BENIGN.has(child)) check = checks.umChild.id;
    else return null;
    const evidence: Record<string, string> = {
      ...eventEvidence(ev),
      Path: p.image,
      ParentPath: p.parent,
    };
    if (p.commandLine) evidence.Command = clip(p.commandLine);
    const pool = /-ap\s+"?([^"\s]+)"?/i.exec(p.parentCommandLine)?.[1];
    if (pool) evidence.AppPool = pool;
    if (p.user) evidence.User = p.user;
    return {
      check,
      time: ev.time,
      evidence,
      title: `${parent === "w3wp.exe" ? "w3wp.exe" : "UMWorkerProcess.exe"}${pool ? ` (${pool})` : ""} started ${child}`,
    };
  },
};
