// Sets of literals that a text must contain one of (gates, prefilters): the ones that add nothing dropped.

/**
 * The literals without those that contain another (a text with the longer one has the shorter too),
 * shortest first, ties in code-unit order.
 */
export function minimalLiterals(literals: readonly string[]): string[] {
  const byLength = [...new Set(literals)].sort((x, y) => x.length - y.length || (x < y ? -1 : 1));
  const kept: string[] = [];
  for (const l of byLength) if (!kept.some((k) => l.includes(k))) kept.push(l);
  return kept;
}
