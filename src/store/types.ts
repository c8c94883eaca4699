// The fleet store: one interface, one file per driver (sqlite.ts today; a PostgreSQL driver can sit
// next to it). Every method is async so that a networked driver fits the same shape; driver-specific
// SQL stays in the driver. Verdicts are never computed here: the store keeps what runs found and what
// people decided, and asks the verdict layer (verdict/acknowledged.ts) what that makes the verdict.
import type { Finding } from "../model/finding.js";
import type {
  Confidence,
  Coverage,
  Exposure,
  PlanStep,
  ServerResult,
  Timeline,
  VerdictName,
} from "../model/types.js";

/** A store that cannot be used: not a store, damaged, or from a newer version. The message says which. */
export class StoreError extends Error {}

export type RunKind = "scan" | "probe" | "shadowserver" | "result" | "build";

/** The servers' workflow state, as a CERT tracks a notification. */
export const STATUSES = ["notified", "in-progress", "remediated", "false-positive"] as const;
export type ServerStatus = (typeof STATUSES)[number];

/** One invocation that writes (a scan, a probe, an import). */
export interface RunMeta {
  kind: RunKind;
  /**
   * What makes a write idempotent: a run with the same key and evidence digest for the same server is
   * stored once. A CLI scan uses a fresh id; an import uses the file's digest; a job queue its job id.
   */
  key: string;
  at: string;
  version: string;
  options: Record<string, unknown>;
}

/** What the store knows of a server besides its runs. */
export interface ServerInfo {
  name: string;
  addresses?: string[];
  owner?: string | null;
  contact?: string | null;
  asn?: string | null;
  tags?: string[];
}

/** One server's result, as written by a run. */
export interface RunInput {
  server: ServerInfo;
  result: ServerResult;
  /** A probe run's host, as `exhunt probe --json` reports it. */
  probe?: ProbeRecord;
}

export interface ProbeRecord {
  target: string;
  address: string | null;
  port: number | null;
  reachable: boolean;
  build: string | null;
  body: Record<string, unknown>;
}

export interface WriteOutcome {
  runId: number;
  /** False when the same run and evidence were already stored (a retried write). */
  inserted: boolean;
}

/** One row of `fleet list`. */
export interface FleetRow {
  name: string;
  addresses: string[];
  owner: string | null;
  contact: string | null;
  asn: string | null;
  tags: string[];
  /** The verdict with acknowledged findings set aside (verdict/acknowledged.ts). */
  verdict: VerdictName;
  confidence: Confidence;
  /** The scanned verdict of the latest run, before acknowledgements. */
  scannedVerdict: VerdictName;
  verdictAt: string | null;
  lastScan: string | null;
  lastKind: RunKind | null;
  build: string | null;
  /** CVEs the known build leaves open. */
  openCves: string[];
  updateAction: string | null;
  logsFrom: string | null;
  logsTo: string | null;
  /** True when the logs read reach back to the start of the campaign window. */
  coversWindow: boolean | null;
  openFindings: number;
  acknowledged: number;
  status: ServerStatus | null;
  statusAt: string | null;
  runs: number;
}

/** One server with why its verdict is what it is (acknowledged findings set aside), most important first. */
export interface ServerRow extends FleetRow {
  reasons: string[];
}

export interface ListFilter {
  verdict?: VerdictName[];
  unpatched?: boolean;
  staleLogs?: boolean;
  tag?: string;
  /** Case-insensitive substring of name, address, owner or tag. */
  search?: string;
}

export interface RunRow {
  id: number;
  kind: RunKind;
  key: string;
  digest: string;
  at: string;
  version: string;
  options: Record<string, unknown>;
  verdict: VerdictName;
  confidence: Confidence;
  findings: number;
  build: string | null;
}

/** A stored run with what a renderer needs (reasons, plan, timeline, coverage, findings). */
export interface RunDetail extends RunRow {
  reasons: string[];
  plan: PlanStep[];
  timeline: Timeline;
  coverage: Coverage | null;
  exposure: Exposure | null;
  omittedFindings: Record<string, number>;
  findingList: Finding[];
}

export interface Acknowledgement {
  id: number;
  server: string;
  fingerprint: string | null;
  rule: string | null;
  reason: string;
  by: string;
  at: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

export interface Note {
  at: string;
  by: string;
  status: ServerStatus;
  text: string;
}

export interface AckInput {
  /** One finding, by its fingerprint (the server is the finding's). */
  fingerprint?: string;
  /** Every finding of a rule (check id) on `server`, now and in later runs. */
  rule?: string;
  server?: string;
  reason: string;
  by: string;
  at?: string;
}

/** One export line (NDJSON); `fleet import export` reads them back. */
export type ExportRecord =
  | ({ type: "server" } & ServerInfo & { status: ServerStatus | null })
  | {
      type: "run";
      server: string;
      run: Omit<RunMeta, "key"> & { key: string; digest: string };
      result: ServerResult;
    }
  | ({ type: "ack" } & Omit<Acknowledgement, "id">)
  | ({ type: "note"; server: string } & Note);

export interface FleetStore {
  readonly path: string;
  /** Store version (the latest migration applied). */
  readonly version: number;
  recordRun(run: RunMeta, input: RunInput): Promise<WriteOutcome>;
  /** The stored server a name or an address belongs to (imports merge on both), or null. */
  resolveName(nameOrAddress: string): Promise<string | null>;
  list(filter?: ListFilter): Promise<FleetRow[]>;
  server(name: string): Promise<ServerRow | null>;
  runs(server: string): Promise<RunRow[]>;
  run(id: number): Promise<RunDetail | null>;
  acknowledge(a: AckInput): Promise<Acknowledgement[]>;
  unacknowledge(a: Omit<AckInput, "reason">): Promise<number>;
  acknowledgements(server: string, includeRevoked?: boolean): Promise<Acknowledgement[]>;
  setStatus(server: string, status: ServerStatus, note: string, by: string, at?: string): Promise<void>;
  notes(server: string): Promise<Note[]>;
  exportAll(): AsyncIterable<ExportRecord>;
  close(): Promise<void>;
}
