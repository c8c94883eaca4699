// Event logs cleared: Security 1102 ("The audit log was cleared") and System 104 ("The <channel> log
// file was cleared"), both from the Eventlog service. Attackers clear logs after the fact; the records
// that were in the file often survive in its slack space, and the EVTX reader carves them (they reach
// the detections marked `recovered`, next to this finding).
import type { CheckInfo } from "../../model/types.js";
import type { EventDetection } from "../types.js";
import { eventEvidence, param } from "./common.js";

export const checks = {
  cleared: {
    id: "event-log-cleared",
    title: "An event log was cleared",
    cves: [],
    severity: "high",
    // A gap in the evidence: what the log held is not fully known, so a clean verdict is less sure.
    effect: "coverage",
    description:
      "Security event 1102 or System event 104 (provider Microsoft-Windows-Eventlog): a log was cleared, by the " +
      "account named in the event. After a compromise this hides what was done; administrators clear logs " +
      "too, so alone it does not raise the verdict. Records the file held before the clear are often still " +
      "in its slack space: exhunt carves them and lists their findings with Recovered=yes. Compare the time " +
      "with the other findings, and keep the original file.",
    references: [
      "https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/auditing/event-1102",
      "https://github.com/SigmaHQ/sigma/blob/master/rules/windows/builtin/security/win_security_audit_log_cleared.yml",
      "https://github.com/SigmaHQ/sigma/blob/master/rules/windows/builtin/system/microsoft_windows_eventlog/win_system_eventlog_cleared.yml",
    ],
  },
} satisfies Record<string, CheckInfo>;

export const logCleared: EventDetection = {
  type: "event",
  id: "event-log-cleared",
  checks: [checks.cleared],
  providers: ["Microsoft-Windows-Eventlog"],
  match(ev) {
    const channel = ev.channel.toLowerCase();
    const security = ev.eventId === 1102 && (channel === "security" || channel === "");
    const system = ev.eventId === 104 && (channel === "system" || channel === "");
    if (!security && !system) return null;
    const evidence = eventEvidence(ev);
    const user = param(ev, "SubjectUserName");
    const domain = param(ev, "SubjectDomainName");
    if (user) evidence.User = domain ? `${domain}\\${user}` : user;
    evidence.ClearedLog = security ? "Security" : (param(ev, "Channel") ?? "System");
    return {
      check: checks.cleared.id,
      time: ev.time,
      title: `The ${evidence.ClearedLog} log was cleared${user ? ` by ${evidence.User}` : ""}`,
      evidence,
    };
  },
};
