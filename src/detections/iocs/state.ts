// The indicators in effect for this thread: the bundled feeds plus the user's (`--ioc`). Set once per
// scan before any file is read, in the main thread and in each worker (hunt/setup.ts), so that row
// literals and content rules see the same indicators everywhere.
import { addIoc, bundledIocs, emptySet, type Ioc, type IocSet } from "./feeds.js";

let user: Ioc[] = [];
let merged: IocSet | null = null;
let version = 0;

export function setUserIocs(iocs: Ioc[]): void {
  user = iocs;
  merged = null;
  version++;
}

/** Bumped whenever the indicators change (caches keyed on them compare it). */
export function iocVersion(): number {
  return version;
}

export function activeIocs(): IocSet {
  if (merged) return merged;
  const b = bundledIocs();
  if (user.length === 0) {
    merged = b;
    return b;
  }
  const set = emptySet();
  for (const k of Object.keys(b) as (keyof IocSet)[]) for (const i of b[k].values()) addIoc(set, i);
  for (const i of user) addIoc(set, i);
  merged = set;
  return set;
}
