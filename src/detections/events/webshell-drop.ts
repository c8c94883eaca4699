// Script files created where Exchange serves them (Sysmon 11, FileCreate): the moment a web shell is
// written, by an exploited w3wp.exe (ProxyLogon's OAB/ECP writes, ProxyNotShell) or by the mailbox
// replication service exporting a "PST" (ProxyShell).
import type { CheckInfo } from "../../model/types.js";
import type { EventDetection } from "../types.js";
import { eventEvidence, exeName, param, REF } from "./common.js";

export const checks = {
  drop: {
    id: "webshell-file-created",
    title: "Script file created in an Exchange web folder",
    cves: [],
    severity: "critical",
    effect: "compromise",
    description:
      "Sysmon event 11 (FileCreate): an .aspx, .ashx, .asmx or .asp file created under FrontEnd\\HttpProxy\\ or " +
      "aspnet_client\\ by any process other than Windows Installer/Exchange setup (which write the stock pages " +
      "during updates), or such a file created anywhere by MSExchangeMailboxReplication.exe (ProxyShell's " +
      "mailbox export). These folders are where ProxyLogon, ProxyShell and ProxyNotShell web shells were " +
      "written. The path is the likely web shell: collect it.",
    references: [REF.sigmaWebshellDrop, REF.sigmaAspxWrite, REF.msBlog, REF.cisaAA21062A],
  },
} satisfies Record<string, CheckInfo>;

const SCRIPT = /\.(aspx|ashx|asmx|asp)$/i;
const WEB_FOLDER = /\\frontend\\httpproxy\\|\\aspnet_client\\/i;
/** Processes that legitimately write stock Exchange pages (setup, cumulative and security updates). */
const INSTALLERS = new Set([
  "msiexec.exe",
  "exsetup.exe",
  "setup.exe",
  "setupui.exe",
  "tiworker.exe",
  "trustedinstaller.exe",
]);

export const webshellDrop: EventDetection = {
  type: "event",
  id: "webshell-file-created",
  checks: [checks.drop],
  providers: ["Microsoft-Windows-Sysmon"],
  match(ev) {
    if (ev.eventId !== 11) return null;
    const target = param(ev, "TargetFilename") ?? "";
    if (!SCRIPT.test(target)) return null;
    const image = param(ev, "Image") ?? "";
    const writer = exeName(image);
    const byMrs = writer === "msexchangemailboxreplication.exe";
    if (!byMrs && (!WEB_FOLDER.test(target) || INSTALLERS.has(writer))) return null;
    return {
      check: checks.drop.id,
      time: ev.time,
      title: byMrs
        ? "Mailbox replication service wrote a script file (ProxyShell export)"
        : "Script file created in an Exchange web folder",
      evidence: { ...eventEvidence(ev), Path: target, Process: image },
    };
  },
};
