// What `exhunt probe` may touch: exactly the named targets. host, host:port, [v6]:port, a URL, an IPv4
// or IPv6 CIDR (larger than /16, or 65,536 addresses, only with allowLarge), or @file (one a line,
// # comments). Expanded lazily so 10,000 targets cost no memory up front.
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { UsageError } from "../../model/errors.js";

export interface ProbeTarget {
  /** As the user wrote it (or the address of a CIDR member). */
  target: string;
  protocol: "https:" | "http:";
  /** Hostname or IP (IPv6 without brackets). */
  host: string;
  port: number;
}

export interface TargetOptions {
  defaultPort?: number;
  allowLarge?: boolean;
}

const MAX_ADDRESSES = 65_536;

function hostPort(spec: string): { host: string; port: number | null } {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(spec);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : null };
  if (isIP(spec) === 6) return { host: spec, port: null };
  const m = /^([A-Za-z0-9.-]+)(?::(\d+))?$/.exec(spec);
  if (!m) throw new UsageError(`not a host, URL or CIDR: ${JSON.stringify(spec.slice(0, 100))}`);
  return { host: m[1], port: m[2] ? Number(m[2]) : null };
}

function checkPort(p: number, spec: string): number {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new UsageError(`bad port in ${spec}`);
  return p;
}

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function ipv6ToBig(ip: string): bigint {
  const [head, tail] = ip.includes("::") ? ip.split("::") : [ip, null];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const fill = tail === null ? [] : new Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].reduce((n, g) => (n << 16n) + BigInt(Number.parseInt(g || "0", 16)), 0n);
}

function bigToIpv6(n: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

/** Number of addresses a CIDR names, and a lazy list of them. */
export function cidr(
  spec: string,
  allowLarge = false,
): { count: number; addresses: () => Generator<string> } | null {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(spec);
  if (!m) return null;
  const fam = isIP(m[1]);
  const bits = Number(m[2]);
  if (fam === 0 || bits > (fam === 4 ? 32 : 128)) throw new UsageError(`bad CIDR ${spec}`);
  const hostBits = (fam === 4 ? 32 : 128) - bits;
  const count = 2 ** hostBits;
  if (count > MAX_ADDRESSES && !allowLarge)
    throw new UsageError(
      `${spec} names ${count.toLocaleString("en-US")} addresses (more than a /16): add --allow-large`,
    );
  if (hostBits > 32) throw new UsageError(`${spec}: at most 2^32 addresses per CIDR`);
  if (fam === 4) {
    const base = (ipv4ToInt(m[1]) & (hostBits === 32 ? 0 : ~(2 ** hostBits - 1))) >>> 0;
    return {
      count,
      *addresses() {
        for (let i = 0; i < count; i++) yield intToIpv4(base + i);
      },
    };
  }
  const mask = (1n << BigInt(hostBits)) - 1n;
  const base = ipv6ToBig(m[1]) & ~mask;
  return {
    count,
    *addresses() {
      for (let i = 0n; i < BigInt(count); i++) yield bigToIpv6(base + i);
    },
  };
}

type Word =
  | { single: ProbeTarget }
  | { range: { count: number; addresses: () => Generator<string> }; port: number };

/** One TARGET word (not @file). Throws UsageError on anything it cannot read exactly. */
function parseWord(spec: string, o: TargetOptions): Word {
  const defaultPort = o.defaultPort ?? 443;
  const s = spec.trim();
  if (/^https?:\/\//i.test(s)) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new UsageError(`bad URL ${s}`);
    }
    const protocol = u.protocol === "http:" ? "http:" : "https:";
    const host = u.hostname.replace(/^\[|\]$/g, "");
    return {
      single: { target: s, protocol, host, port: u.port ? Number(u.port) : protocol === "http:" ? 80 : 443 },
    };
  }
  // CIDR, optionally with a port: 10.0.0.0/24, 10.0.0.0/24:8443, fd00::/120, [fd00::/120]:8443
  const c =
    /^\[([0-9a-fA-F:.]+\/\d{1,3})\](?::(\d+))?$/.exec(s) ??
    /^([0-9.]+\/\d{1,2})(?::(\d+))?$/.exec(s) ??
    /^([0-9a-fA-F:]+\/\d{1,3})()$/.exec(s);
  if (c) {
    const range = cidr(c[1], o.allowLarge);
    if (range) return { range, port: c[2] ? checkPort(Number(c[2]), s) : defaultPort };
  }
  const hp = hostPort(s);
  return {
    single: { target: s, protocol: "https:", host: hp.host, port: checkPort(hp.port ?? defaultPort, s) },
  };
}

function* expandWord(w: Word): Generator<ProbeTarget> {
  if ("single" in w) {
    yield w.single;
    return;
  }
  for (const a of w.range.addresses()) yield { target: a, protocol: "https:", host: a, port: w.port };
}

/** All TARGET words, @file lists included, validated up front (so a typo fails before any traffic). */
export async function resolveProbeTargets(
  specs: string[],
  o: TargetOptions = {},
): Promise<{ count: number; targets: () => Generator<ProbeTarget> }> {
  const words: Word[] = [];
  for (const spec of specs) {
    if (spec.startsWith("@")) {
      let text: string;
      try {
        text = await readFile(spec.slice(1), "utf8");
      } catch (e) {
        throw new UsageError(`cannot read target list ${spec.slice(1)}: ${(e as Error).message}`);
      }
      for (const line of text.split(/\r?\n/)) {
        const w = line.replace(/#.*/, "").trim();
        if (w) words.push(parseWord(w, o));
      }
    } else words.push(parseWord(spec, o));
  }
  if (words.length === 0) throw new UsageError("name at least one target (host, URL, CIDR or @file)");
  const count = words.reduce((n, w) => n + ("single" in w ? 1 : w.range.count), 0);
  return {
    count,
    *targets() {
      for (const w of words) yield* expandWord(w);
    },
  };
}
