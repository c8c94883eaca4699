// Files HAFNIUM left behind: lsass dumps (procdump / comsvcs MiniDump) and archives staged for
// exfiltration in ProgramData. Always listed; they raise the verdict only together with another hit,
// because backup and antivirus agents leave the same kind of files (CSS-Exchange #311, #328, PR #386).

import type { FileEntry } from "../../model/records.js";
import type { CheckInfo } from "../../model/types.js";
import { REF } from "../proxylogon/refs.js";
import type { FileDetection } from "../types.js";

export const checks = {
  lsass: {
    id: "lsass-dump",
    title: "LSASS memory dump on disk",
    cves: [],
    severity: "high",
    effect: "context",
    description:
      "A file named like lsass*.dmp. HAFNIUM dumped LSASS (procdump, comsvcs.dll MiniDump) to C:\\root and " +
      "%WINDIR%\\Temp to steal credentials. Test-ProxyLogon looks in those two folders; exhunt lists such a " +
      "dump wherever it is in the evidence.",
    references: [REF.msBlog, REF.testProxyLogon],
  },
  archive: {
    id: "suspicious-archive",
    title: "Archive in ProgramData (possible staging for exfiltration)",
    cves: [],
    severity: "medium",
    effect: "context",
    description:
      "A .7z, .zip or .rar file under %ProgramData%. HAFNIUM staged stolen data there with 7-Zip and WinRAR. " +
      "Names are not allow-listed (Test-ProxyLogon FAQ): judge each one.",
    references: [REF.msBlog, REF.testProxyLogon],
  },
} satisfies Record<string, CheckInfo>;

function windowsish(file: FileEntry): string {
  return (file.winPath ?? file.path).replaceAll("/", "\\");
}

export const suspiciousFiles: FileDetection = {
  type: "file",
  id: "suspicious-files",
  checks: [checks.lsass, checks.archive],
  match(file) {
    const path = windowsish(file);
    const name = path.slice(path.lastIndexOf("\\") + 1);
    const evidence = {
      Path: file.winPath ?? file.path,
      Name: name,
      Size: String(file.size),
      LastWrite: file.mtime,
    };
    if (/lsass.*dmp/i.test(name)) {
      return { check: checks.lsass.id, time: file.mtime, evidence, title: `LSASS memory dump: ${name}` };
    }
    if (/\.(7z|zip|rar)$/i.test(name) && /(^|\\)ProgramData\\/i.test(path)) {
      return {
        check: checks.archive.id,
        time: file.mtime,
        evidence,
        title: `Archive in ProgramData: ${name}`,
      };
    }
    return null;
  },
};
