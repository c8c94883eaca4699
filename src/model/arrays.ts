// `into.push(...items)` passes every item as an argument, and V8 throws "Maximum call stack size
// exceeded" beyond about 120,000 of them: a server with that many swept files, skipped files or
// matches in one file. Lists that grow with the evidence are appended with a loop instead.

/** Append `items` to `into` (any length), and return `into`. */
export function append<T>(into: T[], items: Iterable<T>): T[] {
  for (const x of items) into.push(x);
  return into;
}
