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

function driveLetter(component: string, rest: string[]): string | null {
  const c = decodeComponent(component);
  let m = /^([A-Za-z]):$/.exec(c) ?? /^\\\\[.?]\\([A-Za-z]):$/.exec(c);
  if (m) return m[1].toUpperCase();
  m = /^([A-Za-z])$/.exec(c);
  if (m && rest.length > 0) {
    if (DRIVE_TOP.has(decodeComponent(rest[0]).toLowerCase()) || INSTALL_HINT.test(rest.join("/"))) {
      return m[1].toUpperCase();
    }
  }
  return null;
}

export interface WindowsPath {
  /** `C:\Program Files\...`, or null when the layout does not reveal it. */
  path: string | null;
  /** The drive letter was assumed (C) because the copy started below the drive. */
  driveAssumed: boolean;
}

/** The Windows path of a file from its path relative to the evidence root (forward slashes). */
export function windowsPathOf(rel: string): WindowsPath {
  const parts = rel.split("/").filter((p) => p.length > 0);
  for (let i = 0; i < parts.length; i++) {
    const rest = parts.slice(i + 1);
    const d = driveLetter(parts[i], rest);
    if (d) return { path: `${d}:\\${rest.map(decodeComponent).join("\\")}`, driveAssumed: false };
    if (DRIVE_TOP.has(decodeComponent(parts[i]).toLowerCase())) {
      return { path: `C:\\${parts.slice(i).map(decodeComponent).join("\\")}`, driveAssumed: true };
    }
  }
  return { path: null, driveAssumed: false };
}

/** Exchange log folders directly below `<install>\Logging`. */
const LOG_FOLDERS =
  /^(httpproxy|ecp|oabgeneratorlog|owa|ews|mapi|rpchttp|autodiscover|cmdletinfra|monitoring|diagnostics|transportroles)$/i;

/**
 * The Exchange install path (`C:\Program Files\Microsoft\Exchange Server\V15\`) from the relative path of
 * a file under its Logging folder, when the layout shows where that folder was.
 */
export function installPathOf(rel: string): string | null {
  const parts = rel.split("/");
  for (let i = 1; i < parts.length - 1; i++) {
    if (parts[i].toLowerCase() === "logging" && LOG_FOLDERS.test(parts[i + 1])) {
      const base = windowsPathOf(`${parts.slice(0, i).join("/")}/x`).path;
      if (!base) return null;
      return base.slice(0, -1); // drop the placeholder, keep the trailing backslash
    }
  }
  return null;
}
