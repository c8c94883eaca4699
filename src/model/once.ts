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

/**
 * A pure function, remembered for up to `max` distinct keys (`keyOf` must tell arguments apart exactly;
 * all are forgotten at once when full, so evidence with endless distinct keys cannot grow it). Only for
 * functions whose result depends on the argument alone: the memo changes how fast an answer comes,
 * never the answer.
 */
export function memo<A, T>(compute: (arg: A) => T, keyOf: (arg: A) => string, max = 512): (arg: A) => T {
  const known = new Map<string, T>();
  return (arg) => {
    const key = keyOf(arg);
    let v = known.get(key);
    if (v === undefined) {
      if (known.size >= max) known.clear();
      v = compute(arg);
      known.set(key, v);
    }
    return v;
  };
}
