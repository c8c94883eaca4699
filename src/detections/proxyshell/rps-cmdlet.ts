// The Remote PowerShell cmdlet log (Logging\CmdletInfra\Powershell-Proxy\Cmdlet, `#Log-type: Rps Cmdlet
// Logs`): every cmdlet run through /PowerShell, which is the way ProxyShell ran New-MailboxExportRequest
// and New-ManagementRoleAssignment. The same conditions as the MSExchange Management events
// (exchange-cmdlets.ts), on the log's Cmdlet and Parameters columns, so a server whose event log was
// cleared or not collected is still judged.

import { around } from "../events/common.js";
import {
  type Cmdlet,
  checks,
  exportShellReason,
  paramValue,
  vdirScriptMarker,
} from "../events/exchange-cmdlets.js";
import { clip, pickFields } from "../evidence.js";
import type { FindingDraft, RowDetection } from "../types.js";

const FIELDS = [
  "DateTime",
  "AuthenticatedUser",
  "ClientApplication",
  "ServerHostName",
  "Cmdlet",
  "Parameters",
];

export const rpsCmdlets: RowDetection = {
  type: "row",
  id: "rps-cmdlet-log",
  checks: [checks.vdirScript, checks.exportShell, checks.importExportRole],
  kinds: ["rps-cmdlet"],
  literals: ["VirtualDirectory", "MailboxExportRequest", "ManagementRoleAssignment"],
  ignoreCase: true,
  match(row) {
    const name = (row.get("Cmdlet") ?? "").trim();
    if (!name) return null;
    const c: Cmdlet = { name, params: row.get("Parameters") ?? "", user: row.get("AuthenticatedUser") ?? "" };
    const evidence = () => ({ ...pickFields(row, FIELDS), Command: clip(`${c.name} ${c.params}`) });
    const out: FindingDraft[] = [];
    const marker = vdirScriptMarker(c);
    if (marker)
      out.push({
        check: checks.vdirScript.id,
        time: row.time(),
        title: `${c.name} put script into a URL: web-shell write (CVE-2021-27065, Remote PowerShell log)`,
        evidence: { ...evidence(), Match: around(c.params, marker) },
      });
    const lower = name.toLowerCase();
    if (lower === "new-mailboxexportrequest") {
      const path = paramValue(c.params, "FilePath");
      const why = path === null ? null : exportShellReason(path);
      if (path !== null && why)
        out.push({
          check: checks.exportShell.id,
          time: row.time(),
          evidence: { ...evidence(), Path: path, Reason: why },
        });
    }
    if (lower === "new-managementroleassignment" && /mailbox\s+import\s+export/i.test(c.params))
      out.push({ check: checks.importExportRole.id, time: row.time(), evidence: evidence() });
    return out;
  },
};
