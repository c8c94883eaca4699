// Helpers the event detections share. Offline there is no provider message table: detections read the
// event's parameters (EventData / UserData values), plus the rendered message when an export has one.
import type { EventRecord } from "../../model/records.js";
import { clip } from "../evidence.js";

export const REF = {
  msBlog: "https://www.microsoft.com/en-us/security/blog/2021/03/02/hafnium-targeting-exchange-servers/",
  testProxyLogon: "https://microsoft.github.io/CSS-Exchange/Security/Test-ProxyLogon/",
  cve26857: "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2021-26857",
  cve27065: "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2021-27065",
  cve31207: "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2021-31207",
  cve34473: "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2021-34473",
  cve34523: "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2021-34523",
  sigmaOabVdir:
    "https://github.com/SigmaHQ/sigma/blob/master/rules/windows/builtin/msexchange/win_exchange_proxylogon_oabvirtualdir.yml",
  sigmaProxyShellExport:
    "https://github.com/SigmaHQ/sigma/blob/master/rules/windows/builtin/msexchange/win_exchange_proxyshell_mailbox_export.yml",
  sigmaProxyShellRemove:
    "https://github.com/SigmaHQ/sigma/blob/master/rules/windows/builtin/msexchange/win_exchange_proxyshell_remove_mailbox_export.yml",
  sigmaUmChild:
    "https://github.com/SigmaHQ/sigma/blob/master/rules/windows/process_creation/proc_creation_win_exploit_cve_2021_26857_msexchange.yml",
  sigmaWebshellDrop:
    "https://github.com/SigmaHQ/sigma/blob/master/rules/windows/file/file_event/file_event_win_exchange_webshell_drop.yml",
  sigmaAspxWrite:
    "https://github.com/SigmaHQ/sigma/blob/master/rules/windows/file/file_event/file_event_win_susp_exchange_aspx_write.yml",
  sigmaLsassComsvcs:
    "https://github.com/SigmaHQ/sigma/blob/master/rules/windows/process_creation/proc_creation_win_rundll32_process_dump_via_comsvcs.yml",
  sigmaWebshellSpawn:
    "https://github.com/SigmaHQ/sigma/blob/master/rules/windows/process_creation/proc_creation_win_webshell_recon_commands_and_processes.yml",
  cisaAA21062A: "https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a",
  volexity:
    "https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/",
  proxyShellZdi:
    "https://www.zerodayinitiative.com/blog/2021/8/17/from-pwn2own-2021-a-new-attack-surface-on-microsoft-exchange-proxyshell",
} as const;

/** The identity of an event as evidence: what a responder needs to find it again. */
export function eventEvidence(ev: EventRecord): Record<string, string> {
  const out: Record<string, string> = {
    EventID: String(ev.eventId),
    Provider: ev.provider,
    Computer: ev.computer,
  };
  if (ev.channel) out.Channel = ev.channel;
  if (ev.recordId !== null) out.RecordId = String(ev.recordId);
  // Carved from a log's slack space (deleted or cleared): say so next to the finding.
  if (ev.recovered) out.Recovered = "yes";
  return out;
}

/** The event's parameters and rendered message: what a "message contains" test reads offline. */
export function texts(ev: EventRecord): string[] {
  return ev.message ? [...ev.values, ev.message] : ev.values;
}

/** The first text containing `needle` (case-insensitive), or null. */
export function findText(ev: EventRecord, needle: string): string | null {
  const n = needle.toLowerCase();
  return texts(ev).find((t) => t.toLowerCase().includes(n)) ?? null;
}

/** The last component of a Windows or POSIX path, lower-cased (`C:\Windows\System32\cmd.exe` → `cmd.exe`). */
export function exeName(path: string | undefined): string {
  if (!path) return "";
  const p = path.trim().replace(/^"|"$/g, "");
  return p.slice(Math.max(p.lastIndexOf("\\"), p.lastIndexOf("/")) + 1).toLowerCase();
}

/** A named parameter, case-insensitive on the name. */
export function param(ev: EventRecord, name: string): string | undefined {
  const data = ev.data;
  if (name in data) return data[name];
  const l = name.toLowerCase();
  // Every event asks for names it does not carry (ProcessId, Image… on a logon): lower-case only the
  // keys that can match. A key lower-cases to an ASCII name only if it has the same length.
  const ascii = isAscii(l);
  for (const k of Object.keys(data)) {
    if (ascii && k.length !== l.length) continue;
    if (k.toLowerCase() === l) return data[k];
  }
  return undefined;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** A snippet of `text` around `needle`, for the Match evidence. */
export function around(text: string, needle: string, width = 200): string {
  const i = text.toLowerCase().indexOf(needle.toLowerCase());
  if (i < 0) return clip(text, width * 2);
  const from = Math.max(0, i - width);
  return `${from > 0 ? "…" : ""}${text.slice(from, i + needle.length + width)}${i + needle.length + width < text.length ? "…" : ""}`;
}
