// How copied evidence maps back to the paths it had on the Windows server. Collectors keep the tree
// under a drive folder (`C/Program Files/...` from KAPE, `C%3A/...` or `%5C%5C.%5CC%3A/...` from
// Velociraptor) or copy the folders below the drive (`Program Files/...`, `inetpub/...`) anywhere.

/** Folders found directly below a Windows system drive. */
const DRIVE_TOP = new Set([
  "program files",
  "program files (x86)",
  "programdata",
  "inetpub",
  "windows",
  "users",
  "root",
  "exchangesetuplogs",
  "perflogs",
]);

/** Signs of an Exchange install below a drive folder installed elsewhere (`D/Exchange/V15/Logging`). */
const INSTALL_HINT = /(^|\/)(v15|exchange server|logging)(\/|$)/i;

/** Decode one path component the way Velociraptor encodes them (`C%3A`, `%5C%5C.%5CC%3A`). */
export function decodeComponent(c: string): string {
  if (!c.includes("%")) return c;
  try {
    return decodeURIComponent(c);
  } catch {
    return c;
  }
}

function explicitDrive(component: string): string | null {
  const c = decodeComponent(component);
  const m = /^([A-Za-z]):$/.exec(c) ?? /^\\\\[.?]\\([A-Za-z]):$/.exec(c);
  return m ? m[1].toUpperCase() : null;
}

export interface WindowsPath {
  /** `C:\Program Files\...`, or null when the layout does not reveal it. */
  path: string | null;
  /** The drive letter was assumed (C) because the copy started below the drive. */
  driveAssumed: boolean;
}

/**
 * The Windows path of a file from its path relative to the evidence root (forward slashes). In order
 * of trust: an explicit drive (`C:`, `C%3A`, `\\.\C:`); a one-letter folder followed by a folder found
 * below a system drive (`C/Program Files`); such a folder alone (drive C assumed); a one-letter folder
 * with an Exchange install below it (`D/Exchange/V15/Logging`), the one nearest to it.
 */
export function windowsPathOf(rel: string): WindowsPath {
  const parts = rel.split("/").filter((p) => p.length > 0);
  const from = (i: number, drive: string, assumed: boolean): WindowsPath => ({
    path: `${drive}:\\${parts.slice(i).map(decodeComponent).join("\\")}`,
    driveAssumed: assumed,
  });
  const top = (i: number) => i < parts.length && DRIVE_TOP.has(decodeComponent(parts[i]).toLowerCase());
  const letter = (i: number) => /^[A-Za-z]$/.test(parts[i]);
  for (let i = 0; i < parts.length; i++) {
    const d = explicitDrive(parts[i]);
    if (d) return from(i + 1, d, false);
  }
  for (let i = 0; i < parts.length; i++)
    if (letter(i) && top(i + 1)) return from(i + 1, parts[i].toUpperCase(), false);
  for (let i = 0; i < parts.length; i++) if (top(i)) return from(i, "C", true);
  for (let i = parts.length - 2; i >= 0; i--) {
    if (letter(i) && INSTALL_HINT.test(parts.slice(i + 1).join("/")))
      return from(i + 1, parts[i].toUpperCase(), false);
  }
  return { path: null, driveAssumed: false };
}

/** Whether a file's own name takes part in windowsPathOf's decision (a drive, a top folder, an install hint). */
function nameDecides(name: string): boolean {
  return (
    explicitDrive(name) !== null ||
    DRIVE_TOP.has(decodeComponent(name).toLowerCase()) ||
    /^(v15|exchange server|logging)$/i.test(name)
  );
}

/**
 * The Windows path of a folder's files without their name (ends with a backslash), or null when the
 * layout does not reveal it. Worked out once per folder; windowsPathIn adds each file's name. A name
 * that takes no part in the decision ("x") maps the same way as every other such name.
 */
export function windowsFolderOf(relDir: string): string | null {
  const p = windowsPathOf(relDir ? `${relDir}/x` : "x").path;
  return p === null ? null : p.slice(0, -1);
}

/** windowsPathOf(rel) for the file `name` of a folder whose windowsFolderOf is `folder`: the same answer, cheaper. */
export function windowsPathIn(folder: string | null, rel: string, name: string): string | null {
  if (nameDecides(name)) return windowsPathOf(rel).path;
  return folder === null ? null : folder + decodeComponent(name);
}

/** Exchange log folders directly below `<install>\Logging`. */
const LOG_FOLDERS =
  /^(httpproxy|ecp|oabgeneratorlog|owa|ews|mapi|rpchttp|autodiscover|cmdletinfra|monitoring|diagnostics|transportroles)$/i;

/** `Logging` as a folder below the first path component (what installPathOf looks for). */
const LOGGING_FOLDER = /\/logging\//i;

/**
 * The Exchange install path (`C:\Program Files\Microsoft\Exchange Server\V15\`) from the relative path of
 * a file under its Logging folder, when the layout shows where that folder was.
 */
export function installPathOf(rel: string): string | null {
  // Asked of every file of the walk until one answers: most paths have no `Logging` folder at all.
  if (!LOGGING_FOLDER.test(rel)) return null;
  const parts = rel.split("/");
  for (let i = 1; i < parts.length - 1; i++) {
    if (parts[i].toLowerCase() === "logging" && LOG_FOLDERS.test(parts[i + 1])) {
      const logging = windowsPathOf(parts.slice(0, i + 1).join("/")).path;
      if (!logging) return null;
      return logging.slice(0, -"Logging".length); // keeps the trailing backslash
    }
  }
  return null;
}

/** Exchange back-end folders below `ClientAccess\` whose URL differs from the folder name. */
const BACKEND_VDIR: Record<string, string> = { "exchweb\\ews": "ews" };

/**
 * The URL path of a file in a web folder, from its Windows path: `…\inetpub\wwwroot\aspnet_client\x.aspx`
 * → `/aspnet_client/x.aspx`; `…\FrontEnd\HttpProxy\owa\auth\x.aspx` → `/owa/auth/x.aspx`;
 * `…\ClientAccess\OAB\x.aspx` → `/OAB/x.aspx`. Null for any other place.
 */
export function webUrlOf(winPath: string): string | null {
  const p = winPath.replaceAll("/", "\\");
  const lower = p.toLowerCase();
  const url = (rest: string) =>
    `/${rest
      .split("\\")
      .filter((x) => x.length > 0)
      .join("/")}`;
  let i = lower.indexOf("\\inetpub\\wwwroot\\");
  if (i >= 0 || lower.startsWith("inetpub\\wwwroot\\")) {
    const from = i >= 0 ? i + "\\inetpub\\wwwroot\\".length : "inetpub\\wwwroot\\".length;
    return url(p.slice(from));
  }
  i = lower.indexOf("\\frontend\\httpproxy\\");
  if (i >= 0) return url(p.slice(i + "\\frontend\\httpproxy\\".length));
  i = lower.indexOf("\\clientaccess\\");
  if (i >= 0) {
    const rest = p.slice(i + "\\clientaccess\\".length);
    for (const [folder, vdir] of Object.entries(BACKEND_VDIR)) {
      if (rest.toLowerCase().startsWith(`${folder}\\`))
        return url(`${vdir}\\${rest.slice(folder.length + 1)}`);
    }
    return url(rest);
  }
  return null;
}
