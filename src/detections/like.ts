// PowerShell `-like` semantics, as Microsoft's scripts use them: case-insensitive, `*` = any run of
// characters, `?` = one character, the whole value must match. Implemented without regular
// expressions so that attacker-sized values (AnchorMailbox comes from a cookie) cost O(n·m) at worst,
// never exponential backtracking. (`[...]` classes are not needed by any pattern here.)
export function like(value: string, pattern: string): boolean {
  const v = value.toLowerCase();
  const p = pattern.toLowerCase();
  let vi = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === "?" || (p[pi] !== "*" && p[pi] === v[vi]))) {
      vi++;
      pi++;
    } else if (pi < p.length && p[pi] === "*") {
      star = pi++;
      mark = vi;
    } else if (star >= 0) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}
