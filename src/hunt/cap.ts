// `--max-findings`: at most so many findings are listed per check and server; the others are counted
// in `omittedFindings`, never lost. Tasks cap what they send back per file (their memory), the sweep
// and the engine cap again over the whole server, in evidence order, so the first ones are kept
// whatever thread finished first.

/** Whether one more finding of `check` may be listed; counts it in `omitted` when not. */
export type CheckCap = (check: string) => boolean;

export function checkCap(max: number, omitted: Record<string, number>): CheckCap {
  const kept = new Map<string, number>();
  return (check) => {
    const n = kept.get(check) ?? 0;
    if (n >= max) {
      omitted[check] = (omitted[check] ?? 0) + 1;
      return false;
    }
    kept.set(check, n + 1);
    return true;
  };
}
