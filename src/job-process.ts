// The process of one worker slot (`exhunt worker`): it keeps one store connection and runs the jobs
// its slot sends it, one at a time, reporting progress and the outcome over the IPC channel. The slot
// kills the process when a job outlives its timeout (or the worker stops past its grace period):
// the job's reads, writes and connections end with it, and the slot starts a fresh process for its
// next job. A process rather than a worker thread: a thread can only be terminated between two
// JavaScript steps, so a job inside a long native call (a YARA scan, a SQLite read) would outlive its
// timeout; a killed process ends at once, and its memory and sockets are the system's to reclaim.
import { message, persist, runJob } from "./jobs.js";
import { openPostgresStore } from "./store/postgres.js";
import type { JobData } from "./store/queue.js";
import type { FleetStore } from "./store/types.js";

export interface JobProcessInit {
  url: string;
  /** Scan worker threads per job (0: the scan runs in this process's main thread). */
  threads: number;
  /** The worker machine's rule cache folder (parsed Sigma rules, compiled YARA rules), or null. */
  ruleCache?: string | null;
}

/** From the slot: the set-up (first, once), a job to run, or the end. */
export type ToJobProcess =
  | { type: "init"; init: JobProcessInit }
  | { type: "job"; id: string; data: JobData }
  | { type: "close" };
/** To the slot. */
export type FromJobProcess =
  | { type: "progress"; id: string; done: number; total: number | null; unit: string }
  | { type: "done"; id: string; servers: number }
  | { type: "failed"; id: string; error: string };

const send = process.send?.bind(process);
if (send) {
  // The store URL comes over the IPC channel, never on the command line (`ps` shows argv, and a
  // postgres:// URL may carry a password).
  let init: JobProcessInit | null = null;
  const post = (m: FromJobProcess) => send(m);
  // The worker decides when this process ends: a terminal's Ctrl-C or a SIGTERM sent to the whole
  // group reaches the worker, which finishes or returns the job, then closes or kills this process.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => {});
  // The worker gone (killed): nobody will complete this job; it expires and runs elsewhere.
  process.on("disconnect", () => process.exit(0));
  let store: Promise<FleetStore> | null = null;
  process.on("message", async (m: ToJobProcess) => {
    if (m.type === "init") {
      init = m.init;
      return;
    }
    if (m.type === "close") {
      const s = store;
      store = null;
      if (s) await (await s.catch(() => null))?.close().catch(() => {});
      process.exit(0);
    }
    try {
      // The connection is opened with the first job (the database may be restarting then).
      const url = init?.url;
      if (!url) throw new Error("job process: no set-up received");
      store ??= persist(() => openPostgresStore(url, { poolSize: 1 }));
      const s = await store.catch((e) => {
        store = null;
        throw e;
      });
      const servers = await runJob(
        s,
        m.id,
        m.data,
        init?.threads ?? 0,
        (p) => post({ type: "progress", id: m.id, ...p }),
        init?.ruleCache ?? null,
      );
      post({ type: "done", id: m.id, servers });
    } catch (e) {
      post({ type: "failed", id: m.id, error: message(e) });
    }
  });
}
