// Small pieces both request correlations (ProxyLogon IIS × HttpProxy, ProxyShell IIS × HttpProxy) read
// their rows with and describe their groups by.

/** A finding's time in epoch milliseconds, or null when it has none or it does not parse. */
export const msOf = (t: string | null): number | null => {
  const v = t ? Date.parse(t) : Number.NaN;
  return Number.isNaN(v) ? null : v;
};

/** The client addresses of log fields that may hold several (`X-Forwarded-For` lists), `-` left out. */
export const addresses = (...vs: (string | null | undefined)[]): string[] =>
  vs.flatMap((v) => (v ? v.split(/[,\s]+/).filter((x) => x !== "" && x !== "-") : []));

/** Values listed in evidence, at most this many distinct ones. */
const MAX_LISTED = 20;

/** `value (count)` for each distinct value, most frequent first, each clipped, at most MAX_LISTED. */
export function tally(values: Iterable<string>): string {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  const all = [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = all.slice(0, MAX_LISTED).map(([k, n]) => `${k.slice(0, 300)} (${n})`);
  if (all.length > MAX_LISTED) shown.push(`… ${all.length - MAX_LISTED} more`);
  return shown.join(", ");
}
