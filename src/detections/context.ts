// The hunt context: what one scan set up (the user's indicator feeds, YARA rules) in the form the
// detections read it. It is made once per scan in each thread from the scan's setup (plain data that
// crosses to worker threads) and passed down explicitly: two scans with different options in one
// process never see each other's indicators or rules.
import type { Skipped } from "../model/types.js";
import type { FileMemo } from "../readers/types.js";
import { addIoc, bundledIocs, emptySet, type Ioc, type IocSet } from "./iocs/feeds.js";
import { detections as registered } from "./registry.js";
import { DEFAULT_SIGMA, type SigmaSetup } from "./sigma.js";
import type { Detection } from "./types.js";
import type { YaraSource } from "./yara.js";

/** What a scan sets up before reading (hunt/setup.ts reads and checks it); structured-clonable. */
export interface HuntSetup {
  userIocs: Ioc[];
  yara: YaraSource[];
  /** The rule cache folder: compiled YARA rule sets are kept in its yara/ folder (null or absent: none). */
  yaraCache?: string | null;
  /** Sigma rules: the bundled set unless turned off, the user's (--sigma) and the level filter (absent: bundled, every level). */
  sigma?: SigmaSetup;
  /** Problems with the set-up itself (unreadable feed lines, YARA unavailable): listed on every server. */
  warnings: Skipped[];
}

/** Files whose facts a thread remembers (a thread reads one file's ranges close together). */
const FILE_MEMO_FILES = 8;

export const EMPTY_SETUP: HuntSetup = { userIocs: [], yara: [], sigma: DEFAULT_SIGMA, warnings: [] };

export interface HuntContext {
  readonly setup: HuntSetup;
  /** Bundled indicators plus the user's. */
  readonly iocs: IocSet;
  /** Per-context memory for data a detection derives from the setup (computed once per scan). */
  memo<T>(key: string, make: () => T): T;
  /** Facts about whole files kept between the ranges of one file this thread reads (the last few files). */
  readonly fileMemo: FileMemo;
  /** The detection table this scan runs (the registry's; tests may run another in one thread). */
  readonly detections: readonly Detection[];
  /** The detections of one type, in table order (computed once per context). */
  ofType<K extends Detection["type"]>(type: K): Extract<Detection, { type: K }>[];
}

function mergeIocs(user: Ioc[]): IocSet {
  const b = bundledIocs();
  if (user.length === 0) return b;
  const set = emptySet();
  for (const k of Object.keys(b) as (keyof IocSet)[]) for (const i of b[k].values()) addIoc(set, i);
  for (const i of user) addIoc(set, i);
  return set;
}

export function createHuntContext(
  setup: HuntSetup = EMPTY_SETUP,
  detections: readonly Detection[] = registered,
): HuntContext {
  const iocs = mergeIocs(setup.userIocs);
  const memos = new Map<string, unknown>();
  const memo = <T>(key: string, make: () => T): T => {
    if (!memos.has(key)) memos.set(key, make());
    return memos.get(key) as T;
  };
  const files = new Map<string, unknown>();
  const fileMemo: FileMemo = <T>(key: string, make: () => T): T => {
    if (files.has(key)) return files.get(key) as T;
    const v = make();
    // Insertion order is age: the oldest file is forgotten first.
    if (files.size >= FILE_MEMO_FILES) files.delete(files.keys().next().value as string);
    files.set(key, v);
    return v;
  };
  return {
    setup,
    iocs,
    detections,
    ofType: <K extends Detection["type"]>(type: K) =>
      memo(`detections:${type}`, () =>
        detections.filter((d): d is Extract<Detection, { type: K }> => d.type === type),
      ),
    memo,
    fileMemo,
  };
}
