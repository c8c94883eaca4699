// Events that reach us with a rendered message and no structured data (NXLog and SIEM exports of the
// MSExchange Management log, 4688 in some exports, PowerShell exports cut at -Depth 2): the message is
// parsed back into the parameters the event's manifest would have given, so that detections read one
// shape whatever the export. Only message layouts Windows itself writes are parsed.
import type { EventRecord } from "../../model/records.js";

/**
 * MSExchange CmdletLogs (MSExchange Management channel): event 1 "Cmdlet suceeded. Cmdlet <name>,
 * parameters <params>." (Microsoft's spelling), 6 "Cmdlet failed. …", and the same head in other ids.
 * The manifest's values are cmdlet, parameters, caller: the message gives the first two.
 */
const CMDLET_MESSAGE =
  /^\s*Cmdlet\s+(?:suc+e+ded|succeeded|failed|[A-Za-z ]{1,40})\.\s*Cmdlet\s+([A-Za-z]+-[A-Za-z0-9]+)\s*,\s*parameters\s*([\s\S]*?)\s*$/i;

/**
 * Event 8: "Task <cmdlet> throwing unhandled exception: <exception>" (the cmdlet failed with an exception;
 * CVE-2021-42321's Get-App leaves one). The message names the cmdlet, not its parameters: values are the
 * cmdlet, empty parameters and caller, then the message itself (what SigmaHQ's rules search).
 */
const TASK_EXCEPTION = /^\s*Task\s+([A-Za-z]+-[A-Za-z0-9]+)\s+throwing\s+unhandled\s+exception\s*:/i;

function cmdletValues(message: string): string[] | null {
  const t = TASK_EXCEPTION.exec(message);
  if (t) return [t[1], "", "", message.trim()];
  const m = CMDLET_MESSAGE.exec(message);
  if (!m) return null;
  let params = m[2];
  // The message closes the parameter list with a full stop; anything after a blank line is error detail.
  const blank = params.search(/\r?\n\s*\r?\n/);
  const detail = blank >= 0 ? params.slice(blank).trim() : "";
  if (blank >= 0) params = params.slice(0, blank).trimEnd();
  if (params.endsWith(".")) params = params.slice(0, -1);
  const out = [m[1], params.trim()];
  if (detail) out.push("", detail);
  return out;
}

/** Security 4688 labels, per section, to the EventData names of the event's manifest. */
const PROCESS_LABELS: Record<string, Record<string, string>> = {
  subject: {
    "security id": "SubjectUserSid",
    "account name": "SubjectUserName",
    "account domain": "SubjectDomainName",
    "domain name": "SubjectDomainName",
    "logon id": "SubjectLogonId",
  },
  target: {
    "security id": "TargetUserSid",
    "account name": "TargetUserName",
    "account domain": "TargetDomainName",
    "logon id": "TargetLogonId",
  },
  process: {
    "new process id": "NewProcessId",
    "new process name": "NewProcessName",
    "token elevation type": "TokenElevationType",
    "mandatory label": "MandatoryLabel",
    "creator process id": "ProcessId",
    "creator process name": "ParentProcessName",
    "process command line": "CommandLine",
  },
};

function sectionOf(title: string): string | null {
  const t = title.toLowerCase();
  if (t === "subject" || t === "creator subject") return "subject";
  if (t === "target subject") return "target";
  if (t === "process information") return "process";
  return null;
}

/** "Label:<tabs>Value" lines under "Section:" headings (Security audit messages). */
function securityFields(message: string, labels: Record<string, Record<string, string>>) {
  const data: Record<string, string> = {};
  let section: string | null = null;
  for (const raw of message.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) {
      // Sections are separated by blank lines; the closing explanation belongs to none.
      section = null;
      continue;
    }
    const heading = /^([A-Za-z][A-Za-z ]*):$/.exec(line);
    if (heading) {
      section = sectionOf(heading[1]);
      continue;
    }
    const m = /^([A-Za-z][A-Za-z ]*?):\s+(.*)$/.exec(line);
    if (!m || !section) continue;
    const name = labels[section]?.[m[1].toLowerCase()];
    if (name && !(name in data)) data[name] = m[2].trim();
  }
  return data;
}

/** Sysmon and other "Name: value" messages whose names are the EventData names (`Image: C:\…`). */
function nameValueFields(message: string): Record<string, string> | null {
  const lines = message.split(/\r?\n/).filter((l) => l.trim());
  if (lines.length < 3) return null;
  const data: Record<string, string> = {};
  let hits = 0;
  for (const l of lines.slice(1)) {
    const m = /^([A-Za-z][A-Za-z0-9]*):\s?(.*)$/.exec(l.trim());
    if (!m) continue;
    hits++;
    if (!(m[1] in data)) data[m[1]] = m[2].trim();
  }
  // Mostly such lines, or it is prose that happens to hold a colon.
  return hits >= Math.max(2, (lines.length - 1) * 0.6) ? data : null;
}

/**
 * Fill an event's parameters from its rendered message when the export carried no structured data.
 * Returns whether anything was filled. Never overwrites parameters an export did carry.
 */
export function fillFromMessage(rec: EventRecord): boolean {
  const message = rec.message;
  if (!message || Object.keys(rec.data).length > 0) return false;
  const provider = rec.provider.toLowerCase();
  // Values without names (PowerShell's Properties) still lack the names detections ask for: the message
  // gives them. The cmdlet log's parameters have no names at all, so values there are enough.
  const keepValues = (data: Record<string, string>) => {
    rec.data = data;
    if (rec.values.length === 0) rec.values = Object.values(data);
  };
  if (
    rec.values.length === 0 &&
    (provider === "msexchange cmdletlogs" || /^\s*(?:cmdlet|task\s+\S+\s+throwing)\s/i.test(message))
  ) {
    const values = cmdletValues(message);
    if (values) {
      rec.values = values;
      if (!rec.provider) rec.provider = "MSExchange CmdletLogs";
      return true;
    }
  }
  // 4688 (process creation) and 1102 (audit log cleared) render their parameters as labelled lines.
  if (
    (rec.eventId === 4688 && /process information:/i.test(message)) ||
    (rec.eventId === 1102 && /subject:/i.test(message))
  ) {
    const data = securityFields(message, PROCESS_LABELS);
    if (Object.keys(data).length > 0) {
      keepValues(data);
      return true;
    }
  }
  const nv = nameValueFields(message);
  if (nv && Object.keys(nv).length > 0 && provider !== "msexchange cmdletlogs") {
    keepValues(nv);
    return true;
  }
  return false;
}
