// The web roots IIS serves, from its applicationHost.config: every <virtualDirectory physicalPath="...">
// of every site and application, with %SystemDrive%-style variables expanded. Used to sweep (and
// place) web shells in sites other than the default one. A regex over the attribute is enough: the
// file is machine-written XML, and a missed root only lowers a file's placement, never hides it.

/** Physical paths (Windows, lower case, trailing backslash) named in an applicationHost.config. */
export function iisWebRoots(text: string, env: Record<string, string> = {}): string[] {
  const vars: Record<string, string> = { systemdrive: "C:", ...lowerKeys(env) };
  vars.systemroot ??= `${vars.systemdrive}\\Windows`;
  vars.windir ??= vars.systemroot;
  const out = new Set<string>();
  for (const m of text.matchAll(/<virtualDirectory\b[^>]*?\bphysicalPath\s*=\s*"([^"]{1,400})"/gi)) {
    const expanded = m[1].replace(/%([\w()]+)%/g, (v, name: string) => vars[name.toLowerCase()] ?? v);
    if (!/^[a-z]:\\/i.test(expanded) && !expanded.startsWith("\\\\")) continue;
    out.add(`${expanded.replaceAll("/", "\\").replace(/\\+$/, "").toLowerCase()}\\`);
  }
  return [...out];
}

function lowerKeys(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k.toLowerCase(), v]));
}

/** The first URL segments of the virtual directories Exchange creates (lower case). */
export const EXCHANGE_VDIRS: readonly string[] = [
  "owa",
  "ecp",
  "ews",
  "mapi",
  "microsoft-server-activesync",
  "autodiscover",
  "oab",
  "rpc",
  "powershell",
];

/** One IIS site as applicationHost.config declares it. */
export interface IisSite {
  /** The site id: its logs are in `W3SVC<id>` and its rows name `s-sitename` W3SVC<id>. */
  id: string;
  name: string;
  /** Exchange virtual directories among its applications and virtual directories (as written). */
  exchangePaths: string[];
}

function attr(tag: string, name: string): string | null {
  return new RegExp(`\\b${name}\\s*=\\s*"([^"]{0,400})"`, "i").exec(tag)?.[1] ?? null;
}

/** Whether a URL path (`/owa`, `/Microsoft-Server-ActiveSync/Proxy`) is under an Exchange virtual directory. */
export function isExchangeVdirPath(path: string): boolean {
  const first = path.replace(/^\/+/, "").split("/")[0].toLowerCase();
  return EXCHANGE_VDIRS.includes(first);
}

/**
 * The sites of an applicationHost.config with the Exchange virtual directories each serves: the paths of
 * its `<application>`s, and of the `<virtualDirectory>`s inside them joined to their application's path.
 */
export function iisSites(text: string): IisSite[] {
  const out: IisSite[] = [];
  for (const m of text.matchAll(/<site\b([^>]*?)(\/>|>([\s\S]*?)<\/site\s*>)/gi)) {
    const id = attr(m[1], "id");
    if (!id || !/^\d{1,9}$/.test(id)) continue;
    const paths = new Set<string>();
    for (const a of (m[3] ?? "").matchAll(/<application\b([^>]*?)(\/>|>([\s\S]*?)<\/application\s*>)/gi)) {
      const app = (attr(a[1], "path") ?? "/").replace(/\/+$/, "");
      if (app) paths.add(app);
      for (const v of (a[3] ?? "").matchAll(/<virtualDirectory\b([^>]*)>/gi)) {
        const vp = attr(v[1], "path");
        if (vp && vp !== "/") paths.add(`${app}${vp.startsWith("/") ? "" : "/"}${vp}`);
      }
    }
    out.push({
      id,
      name: attr(m[1], "name") ?? `site ${id}`,
      exchangePaths: [...paths].filter(isExchangeVdirPath),
    });
  }
  return out;
}
