// Exit codes (README): 0 nothing found · 1 findings · 2 usage or fatal error · 3 incomplete.
import type { VerdictName } from "../model/types.js";

export const EXIT = { clean: 0, findings: 1, usage: 2, incomplete: 3 } as const;

/**
 * 1 when any server is compromised, attempted or vulnerable; otherwise 3 when some evidence was
 * skipped or a verdict is unknown (the answer is incomplete); otherwise 0.
 */
export function exitCodeFor(result: {
  // A whole result, or a run summary (skipped as a count): the same rule for `scan` and `report`.
  servers: readonly { verdict: VerdictName; skipped: number | readonly unknown[] }[];
}): number {
  const bad = result.servers.some(
    (s) =>
      s.verdict === "compromised" ||
      s.verdict === "attempted" ||
      s.verdict === "suspicious" ||
      s.verdict === "vulnerable",
  );
  if (bad) return EXIT.findings;
  const incomplete = result.servers.some(
    (s) => (typeof s.skipped === "number" ? s.skipped : s.skipped.length) > 0 || s.verdict === "unknown",
  );
  return incomplete ? EXIT.incomplete : EXIT.clean;
}
