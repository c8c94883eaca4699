// `exhunt dashboard --store FILE`: serve the local fleet dashboard until interrupted.
import { userInfo } from "node:os";
import type { Command } from "commander";
import { UsageError } from "../index.js";

function listenAddress(v: string | undefined): { host: string; port: number } {
  if (!v) return { host: "127.0.0.1", port: 0 };
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(v) ?? /^()()(\d+)$/.exec(v);
  if (!m) throw new UsageError(`--listen: expected HOST[:PORT], [IPv6]:PORT or PORT, not ${v}`);
  const port = m[3] ? Number(m[3]) : 0;
  if (port > 65535) throw new UsageError(`--listen: port ${port} out of range`);
  return { host: m[1] || m[2] || "127.0.0.1", port };
}

export function registerDashboard(program: Command): void {
  program
    .command("dashboard")
    .description(
      "a local web dashboard over a fleet store (127.0.0.1, random access token in the printed URL)",
    )
    .option("--store <file|url>", "the fleet store: a SQLite file or postgres://… (default: $EXHUNT_STORE)")
    .option(
      "--listen <host:port>",
      "bind address (default 127.0.0.1 on a free port); anything but loopback exposes evidence to that network",
    )
    .action(async (o: { store?: string; listen?: string }) => {
      const path = o.store ?? process.env.EXHUNT_STORE;
      if (!path) throw new UsageError("name the store: --store FILE (or set EXHUNT_STORE)");
      const { host, port } = listenAddress(o.listen);
      const { openStore } = await import("../fleet.js");
      const { startDashboard } = await import("../dashboard/server.js");
      const store = await openStore(path);
      let user = "dashboard";
      try {
        user = userInfo().username || user;
      } catch {}
      const queueUrl = /^postgres(ql)?:\/\//i.test(path) ? path : undefined;
      const d = await startDashboard({ store, host, port, user, queueUrl });
      process.stdout.write(`exhunt dashboard on ${d.url}\n(Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await d.close();
      await store.close();
    });
}
