// The one sanctioned form of module-level memory: a value computed on first use and never changed
// again (shipped data files, a native or WebAssembly module, a constant table). It cannot carry
// options or per-scan data: `load` takes no arguments, so the value is the same for every caller of
// the process (or worker thread). Everything else travels in an explicit context; the architecture
// test rejects module-level `let`/`var` and module-level collections written inside functions.

/** A function returning `load()`'s value, computed on its first call (a throw is not kept: the next call loads again). */
export function once<T>(load: () => T): () => T {
  const cell: { done: boolean; value?: T } = { done: false };
  return () => {
    if (!cell.done) {
      cell.value = load();
      cell.done = true;
    }
    return cell.value as T;
  };
}
