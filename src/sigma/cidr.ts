// The `cidr` modifier: IPv4 and IPv6 networks, parsed once; field values parsed per test. Addresses
// are arrays of 16-bit groups (IPv4 as 2 groups), so one prefix comparison serves both families.

/** An address as 16-bit groups (2 for IPv4, 8 for IPv6), or null when the text is not one. */
export function parseIp(text: string): number[] | null {
  let s = text.trim();
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (s.includes(":")) return parseV6(s);
  const v4 = parseV4(s);
  return v4 ? [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]] : null;
}

function parseV4(s: string): number[] | null {
  const p = s.split(".");
  if (p.length !== 4) return null;
  const out: number[] = [];
  for (const x of p) {
    if (!/^\d{1,3}$/.test(x)) return null;
    const n = Number(x);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

function parseV6(s: string): number[] | null {
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === "") return [];
    const out: number[] = [];
    const items = h.split(":");
    for (let i = 0; i < items.length; i++) {
      const x = items[i];
      if (i === items.length - 1 && x.includes(".")) {
        const v4 = parseV4(x);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(x)) out.push(Number.parseInt(x, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const fill = 8 - head.length - tail.length;
  if (fill < 1) return null;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}

export interface Network {
  groups: number[];
  bits: number;
}

/** Parse `10.0.0.0/8`, `fe80::/10` or a bare address (a /32 or /128). Null when malformed. */
export function parseCidr(text: string): Network | null {
  const [addr, len, extra] = text.trim().split("/");
  if (extra !== undefined) return null;
  const groups = parseIp(addr);
  if (!groups) return null;
  const max = groups.length * 16;
  const bits = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : -1;
  if (bits < 0 || bits > max) return null;
  return { groups, bits };
}

export function inNetwork(ip: number[], net: Network): boolean {
  if (ip.length !== net.groups.length) return false;
  let left = net.bits;
  for (let i = 0; i < ip.length && left > 0; i++) {
    const take = Math.min(16, left);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((ip[i] & mask) !== (net.groups[i] & mask)) return false;
    left -= take;
  }
  return true;
}
