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
