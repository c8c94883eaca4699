// What the behaviour analysis reports: signals (rule, line, points), the sink kinds they concern, and
// the analysis as a whole. Shared by the taint, sink and cue modules and by the callers that score.
import type { Normalised } from "./normalise.js";

export interface Signal {
  rule: string;
  line: number;
  points: number;
  /** What was seen, in words. */
  what: string;
  /** For sink signals: the sink kind, and whether request data reached it. */
  kind?: SinkKind;
  flow?: boolean;
}

export type SinkKind =
  | "code"
  | "load"
  | "process"
  | "reflect"
  | "write"
  | "read"
  | "sql"
  | "dbconnect"
  | "socket"
  | "registry";

export interface Analysis {
  norm: Normalised;
  signals: Signal[];
  score: number;
  /** Sink kinds reached by request data. */
  flows: Set<SinkKind>;
  /** Sink kinds present at all. */
  sinks: Set<SinkKind>;
}
