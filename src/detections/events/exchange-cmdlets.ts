// The MSExchange Management log (provider MSExchange CmdletLogs): every Exchange cmdlet run, with its
// parameters. ProxyLogon wrote its web shell through Set-OabVirtualDirectory -ExternalUrl (CVE-2021-27065);
// ProxyShell granted itself "Mailbox Import Export", exported a mailbox to an .aspx (CVE-2021-31207) and
// removed the export request to clean up.
import type { EventRecord } from "../../model/records.js";
import type { CheckInfo } from "../../model/types.js";
import { clip } from "../evidence.js";
import type { EventDetection, EventMemory, FindingDraft } from "../types.js";
import { around, eventEvidence, REF } from "./common.js";

export const checks = {
  vdirScript: {
    id: "cve-2021-27065-vdir-cmdlet",
    title: "Set-*VirtualDirectory put script into a URL: web-shell write (CVE-2021-27065)",
    cves: ["CVE-2021-27065"],
    severity: "critical",
    effect: "compromise",
    description:
      "MSExchange Management log, cmdlet event: Set-<X>VirtualDirectory whose -ExternalUrl or -InternalUrl " +
      "parameter holds a <script> tag, 'Page_Load' or 'eval(Request'. This is how ProxyLogon wrote its " +
      "China Chopper shell: the URL is saved into the OAB virtual directory's configuration, then the " +
      "directory is reset to a path under the web root, which writes the configuration (with the script) " +
      "as an .aspx file. Matched on the cmdlet's logged parameters (no message table offline).",
    references: [REF.cve27065, REF.msBlog, REF.sigmaOabVdir, REF.volexity],
  },
  exportShell: {
    id: "proxyshell-mailbox-export-webshell",
    title: "Mailbox exported to a web-shell path (ProxyShell, CVE-2021-31207)",
    cves: ["CVE-2021-31207", "CVE-2021-34473", "CVE-2021-34523"],
    severity: "critical",
    effect: "compromise",
    description:
      "MSExchange Management log: New-MailboxExportRequest whose -FilePath ends in .aspx, .ashx, .asmx or .asp, " +
      "or is a UNC path into a web folder (inetpub, wwwroot, aspnet_client, FrontEnd\\HttpProxy, ClientAccess). " +
      "ProxyShell exports a mailbox holding an encoded web shell as a 'PST' into the web root. Exports to " +
      "ordinary file shares (\\\\server\\pst$\\user.pst) are not flagged.",
    references: [REF.cve31207, REF.cve34473, REF.cve34523, REF.proxyShellZdi, REF.sigmaProxyShellExport],
  },
  vdirScriptFailed: {
    id: "cve-2021-27065-vdir-cmdlet-failed",
    title: "Set-*VirtualDirectory with script in a URL failed: web-shell write attempted (CVE-2021-27065)",
    cves: ["CVE-2021-27065"],
    severity: "high",
    effect: "attempt",
    description:
      "MSExchange Management log, event 6 (cmdlet failed) or 8 (cmdlet threw an unhandled exception): the same Set-<X>VirtualDirectory with script in " +
      "-ExternalUrl/-InternalUrl as cve-2021-27065-vdir-cmdlet, but the cmdlet did not succeed, so the " +
      "configuration holding the shell was not saved by this call. Someone with the access to run it tried.",
    references: [REF.cve27065, REF.msBlog, REF.sigmaOabVdir],
  },
  exportShellFailed: {
    id: "proxyshell-mailbox-export-failed",
    title: "Mailbox export to a web-shell path failed (ProxyShell attempt, CVE-2021-31207)",
    cves: ["CVE-2021-31207", "CVE-2021-34473", "CVE-2021-34523"],
    severity: "high",
    effect: "attempt",
    description:
      "MSExchange Management log, event 6 (cmdlet failed) or 8 (unhandled exception): New-MailboxExportRequest to a web-shell path, as in " +
      "proxyshell-mailbox-export-webshell, that did not succeed: no export was queued by this call.",
    references: [REF.cve31207, REF.proxyShellZdi, REF.sigmaProxyShellExport],
  },
  importExportRole: {
    id: "proxyshell-import-export-role",
    title: "'Mailbox Import Export' role granted",
    cves: ["CVE-2021-34523"],
    severity: "medium",
    effect: "context",
    description:
      "MSExchange Management log: New-ManagementRoleAssignment granting the 'Mailbox Import Export' role, which " +
      "New-MailboxExportRequest needs. ProxyShell grants it to the impersonated user just before the export; " +
      "administrators grant it too for PST work, so alone it does not raise the verdict: check who was granted " +
      "it, by whom, and whether an export followed.",
    references: [REF.sigmaProxyShellExport, REF.proxyShellZdi],
  },
  exportCleanup: {
    id: "proxyshell-export-cleanup",
    title: "Mailbox export request removed soon after an export",
    cves: ["CVE-2021-31207"],
    severity: "medium",
    effect: "context",
    description:
      "MSExchange Management log: Remove-MailboxExportRequest within an hour of a New-MailboxExportRequest in the " +
      "same log. ProxyShell exploits remove their export request right after the shell is written, to hide it " +
      "from Get-MailboxExportRequest. Administrators also clear finished requests, so this is context: look at " +
      "the export it follows. (Correlated within one file; when a file lists events newest first the finding " +
      "carries no line number, only the RecordId.)",
    references: [REF.sigmaProxyShellRemove, REF.proxyShellZdi],
  },
} satisfies Record<string, CheckInfo>;

export interface Cmdlet {
  name: string;
  params: string;
  /** Who ran it (the cmdlet log's caller), when logged. */
  user: string;
  /** Event 8: the "Task <cmdlet> throwing unhandled exception: …" text, when a value holds it. */
  exception?: string;
}

const CMDLET = /^[A-Za-z]+-[A-Za-z]+$/;
const TASK_EXCEPTION = /^\s*Task\s+([A-Za-z]+-[A-Za-z0-9]+)\s+throwing\s+unhandled\s+exception\s*:/i;

/**
 * The cmdlet of a cmdlet-log event. Its parameters have no names in the manifest: the first value is
 * the cmdlet, the second its parameters, the third the caller. When an export shifted them, the first
 * value shaped like Verb-Noun is taken.
 */
export function cmdletOf(ev: EventRecord): Cmdlet | null {
  const v = ev.values;
  const head = v.slice(0, 8);
  const exception = head.find((x) => TASK_EXCEPTION.test(x));
  const i = head.findIndex((x) => CMDLET.test(x.trim()));
  if (i < 0) {
    // Event 8 whose only text is the exception sentence: it still names the cmdlet.
    const m = exception ? TASK_EXCEPTION.exec(exception) : null;
    return m && exception ? { name: m[1], params: "", user: "", exception } : null;
  }
  const c: Cmdlet = { name: v[i].trim(), params: v[i + 1] ?? "", user: v[i + 2] ?? "" };
  if (exception) c.exception = exception;
  return c;
}

/** The value of `-Name` in a logged parameter string: quoted ("…", '…') or up to the next space. */
export function paramValue(params: string, name: string): string | null {
  const re = new RegExp(`(?:^|\\s)-${name}(?::|\\s+)(?:"((?:[^"]|"")*)"|'((?:[^']|'')*)'|(\\S+))`, "i");
  const m = re.exec(params);
  if (!m) return null;
  return m[1] ?? m[2] ?? m[3] ?? null;
}

const SCRIPT_MARKERS = ["<script", "page_load", "eval(request"];

/** The marker a Set-*VirtualDirectory URL parameter holds, or null. */
export function vdirScriptMarker(c: Cmdlet): string | null {
  if (!/^set-\w*virtualdirectory$/i.test(c.name)) return null;
  if (!/-(external|internal)url\b/i.test(c.params)) return null;
  // The URL's value ends at the next parameter; the script may itself contain quotes, so search from
  // the URL parameter on rather than trusting a parsed value.
  const lower = c.params.toLowerCase();
  const at = Math.min(...["-externalurl", "-internalurl"].map((p) => lower.indexOf(p)).filter((i) => i >= 0));
  const tail = lower.slice(at);
  return SCRIPT_MARKERS.find((m) => tail.includes(m)) ?? null;
}

const WEB_FOLDERS = [
  "inetpub",
  "wwwroot",
  "aspnet_client",
  "frontend\\httpproxy",
  "clientaccess\\",
  "\\owa\\",
  "\\ecp\\",
];

/** Why a New-MailboxExportRequest -FilePath is a web-shell path, or null. */
export function exportShellReason(filePath: string): string | null {
  const p = filePath
    .trim()
    .replace(/^["']|["']$/g, "")
    .toLowerCase();
  const ext = /\.(aspx|ashx|asmx|asp)$/.exec(p);
  if (ext) return `file name ends in .${ext[1]}`;
  if (p.startsWith("\\\\")) {
    const web = WEB_FOLDERS.find((w) => p.includes(w));
    if (web) return `UNC path into a web folder (${web.replace(/\\/g, "")})`;
  }
  return null;
}

const HOUR = 3600 * 1000;
const MAX_REMEMBERED = 256;

interface Removal {
  time: number;
  draft: FindingDraft;
}

function remember<T>(memory: EventMemory, key: string, item: T): T[] {
  const list = (memory.get(key) as T[] | undefined) ?? [];
  list.push(item);
  if (list.length > MAX_REMEMBERED) list.shift();
  memory.set(key, list);
  return list;
}

function evidenceOf(ev: EventRecord, c: Cmdlet): Record<string, string> {
  const out: Record<string, string> = {
    ...eventEvidence(ev),
    Command: clip(`${c.name} ${c.params}`.trim()),
  };
  if (c.user) out.User = c.user;
  if (c.exception) out.Exception = clip(c.exception);
  return out;
}

function exportTiming(exportAt: number, removedAt: number): Record<string, string> {
  return {
    ExportAt: new Date(exportAt).toISOString(),
    MinutesAfterExport: String(Math.round((removedAt - exportAt) / 60000)),
  };
}

/** Exports and removals in one file, either order: a removal within an hour after an export is flagged. */
function correlateCleanup(ev: EventRecord, c: Cmdlet, memory: EventMemory): FindingDraft[] {
  const t = ev.time ? Date.parse(ev.time) : Number.NaN;
  if (Number.isNaN(t)) return [];
  const name = c.name.toLowerCase();
  if (name === "new-mailboxexportrequest") {
    remember(memory, "exports", t);
    // Files listed newest first: removals already seen that follow this export.
    const removals = (memory.get("removals") as Removal[] | undefined) ?? [];
    const hits = removals.filter((r) => r.time >= t && r.time - t <= HOUR);
    memory.set(
      "removals",
      removals.filter((r) => !hits.includes(r)),
    );
    return hits.map((r) => ({
      ...r.draft,
      line: null,
      evidence: { ...r.draft.evidence, ...exportTiming(t, r.time) },
    }));
  }
  if (name !== "remove-mailboxexportrequest") return [];
  const draft: FindingDraft = {
    check: checks.exportCleanup.id,
    time: ev.time,
    evidence: evidenceOf(ev, c),
  };
  const exports = (memory.get("exports") as number[] | undefined) ?? [];
  const prior = exports.filter((e) => e <= t && t - e <= HOUR);
  if (prior.length > 0) {
    Object.assign(draft.evidence, exportTiming(Math.max(...prior), t));
    return [draft];
  }
  remember<Removal>(memory, "removals", { time: t, draft });
  return [];
}

export const exchangeCmdlets: EventDetection = {
  type: "event",
  id: "exchange-management-cmdlets",
  checks: [
    checks.vdirScript,
    checks.exportShell,
    checks.vdirScriptFailed,
    checks.exportShellFailed,
    checks.importExportRole,
    checks.exportCleanup,
  ],
  providers: ["MSExchange CmdletLogs"],
  match(ev, _ctx, memory) {
    const c = cmdletOf(ev);
    if (!c) return null;
    // Event 6 is "Cmdlet failed", 8 "Task <cmdlet> throwing unhandled exception": what it tried is an
    // attempt, and it changed nothing to clean up after.
    const failed = ev.eventId === 6 || ev.eventId === 8;
    const out: FindingDraft[] = [];
    const marker = vdirScriptMarker(c);
    if (marker) {
      out.push({
        check: failed ? checks.vdirScriptFailed.id : checks.vdirScript.id,
        time: ev.time,
        title: failed
          ? `${c.name} with script in a URL failed: web-shell write attempted (CVE-2021-27065)`
          : `${c.name} put script into a URL: web-shell write (CVE-2021-27065)`,
        evidence: { ...evidenceOf(ev, c), Match: around(c.params, marker) },
      });
    }
    const name = c.name.toLowerCase();
    if (name === "new-mailboxexportrequest") {
      const path = paramValue(c.params, "FilePath");
      const why = path === null ? null : exportShellReason(path);
      if (path !== null && why) {
        out.push({
          check: failed ? checks.exportShellFailed.id : checks.exportShell.id,
          time: ev.time,
          evidence: { ...evidenceOf(ev, c), Path: path, Reason: why },
        });
      }
    }
    if (name === "new-managementroleassignment" && /mailbox\s+import\s+export/i.test(c.params)) {
      const evidence = evidenceOf(ev, c);
      const grantee = paramValue(c.params, "User") ?? paramValue(c.params, "SecurityGroup");
      if (grantee) evidence.Grantee = grantee;
      out.push({ check: checks.importExportRole.id, time: ev.time, evidence });
    }
    if (!failed) out.push(...correlateCleanup(ev, c, memory));
    return out;
  },
};
