// `exhunt probe TARGET...`: harmless unauthenticated checks of Exchange servers over the network.
import { createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { count } from "../model/plural.js";
import { CSV_COLUMNS, hostCsvRow, hostJson, hostTableHeader, hostTableLine } from "../outputs/probe.js";
import { csvRow, forTerminal } from "../outputs/safe.js";
import type { HostResult } from "../probe.js";
import { EXIT } from "./exit.js";

interface ProbeCliOptions {
  json?: string;
  csv?: string;
  concurrency: string;
  timeout: string;
  connectTimeout?: string;
  rate?: string;
  port: string;
  allowLarge?: boolean;
  threads: string;
  store?: string;
}

function num(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}`);
  return n;
}

export function registerProbe(program: Command): void {
  program
    .command("probe")
    .description(
      "remote, unauthenticated and harmless: build fingerprint, CVE-2021-26855 and ProxyShell checks, ProxyNotShell mitigation",
    )
    .argument(
      "<targets...>",
      "host, host:port, [IPv6]:port, https://URL, CIDR (≤ /16), or @file with one per line",
    )
    .option(
      "--json <file|->",
      "write { hosts: [...] } as JSON to FILE (-: stdout; the table then goes to stderr)",
    )
    .option("--csv <file>", "write the per-host table as CSV")
    .option("--concurrency <n>", "hosts probed at once", "64")
    .option("--timeout <ms>", "header and body timeout per request", "10000")
    .option("--connect-timeout <ms>", "TCP + TLS connect timeout (default: min(5000, --timeout))")
    .option("--rate <n>", "at most N requests per second over all hosts")
    .option("--port <n>", "port for targets given without one", "443")
    .option("--allow-large", "allow CIDR ranges larger than /16")
    .option(
      "--threads <n>",
      "worker threads sharing the targets (TLS handshakes cost CPU: one per free core)",
      "1",
    )
    .option("--store <file>", "also write every host into this fleet store (created if missing)")
    .action(async (specs: string[], o: ProbeCliOptions) => {
      const timeout = num(o.timeout, "--timeout", 1)!;
      // Loaded here, not at start-up: the HTTP client costs every other command about 0.15 s.
      const { probeHosts: probeThreaded, resolveProbeTargets } = await import("../probe.js");
      const list = await resolveProbeTargets(specs, {
        defaultPort: num(o.port, "--port", 1),
        allowLarge: o.allowLarge,
      });
      // Opened before probing, so a foreign or damaged store fails the run up front.
      const fleet = o.store ? await import("../fleet.js") : null;
      const store = o.store && fleet ? await fleet.openStore(o.store) : null;
      const table = o.json === "-" ? process.stderr : process.stdout;
      table.write(`${hostTableHeader()}\n`);
      const csv = o.csv ? createWriteStream(o.csv) : null;
      csv?.write(csvRow(CSV_COLUMNS));
      let withFindings = 0;
      let unreachable = 0;
      const hosts = await probeThreaded(list.targets(), {
        threads: num(o.threads, "--threads", 1),
        concurrency: num(o.concurrency, "--concurrency", 1),
        rate: num(o.rate, "--rate", 0),
        timeouts: {
          connectMs: num(o.connectTimeout, "--connect-timeout", 1) ?? Math.min(5000, timeout),
          headersMs: timeout,
          bodyMs: timeout,
        },
        collect: !!o.json || !!store,
        onHost: (h: HostResult) => {
          table.write(`${hostTableLine(h)}\n`);
          csv?.write(hostCsvRow(h));
          if (h.findings.length) withFindings++;
          if (!h.reachable) unreachable++;
        },
      });
      if (csv) await new Promise<void>((r, j) => csv.end((e?: Error | null) => (e ? j(e) : r())));
      if (o.json) {
        const text = `${JSON.stringify({ hosts: hosts.map(hostJson) }, null, 2)}\n`;
        if (o.json === "-") process.stdout.write(text);
        else await writeFile(o.json, text);
      }
      if (store && fleet) {
        try {
          const c = await fleet.recordProbeHosts(store, hosts.map(hostJson), {
            command: "probe",
            targets: specs,
          });
          process.stderr.write(`stored ${count(c.servers, "host")} in ${forTerminal(o.store ?? "")}\n`);
        } finally {
          await store.close();
        }
      }
      process.stderr.write(
        `${count(list.count, "target")}: ${withFindings} with findings, ${unreachable} unreachable\n`,
      );
      process.exitCode = withFindings ? EXIT.findings : unreachable ? EXIT.incomplete : EXIT.clean;
    });
}
