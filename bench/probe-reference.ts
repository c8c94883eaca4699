// Benchmark reference: the same five GETs per host as exhunt probe, with no analysis, using either
// node:https (Agent per host, keep-alive) or undici (Client per host). Prints hosts/s.
// Usage: tsx bench/probe-reference.ts https|undici|tls TARGETS_FILE CONCURRENCY
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { connect } from "node:tls";
import { buildConnector, Client } from "undici";
import { REQUESTS } from "../src/exposure/probe/probe.js";

const [client, file, conc] = process.argv.slice(2);
const targets = readFileSync(file, "utf8").trim().split("\n");
const reqs = Object.values(REQUESTS);

function viaHttps(target: string): Promise<void> {
  const [host, port] = target.split(":");
  const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
  const one = (path: string, headers: Record<string, string>) =>
    new Promise<void>((ok) => {
      const req = request(
        { host, port: Number(port), path, headers, agent, signal: AbortSignal.timeout(10_000) },
        (res) => {
          res.resume();
          res.on("end", ok);
          res.on("error", () => ok());
        },
      );
      req.on("error", () => ok());
      req.end();
    });
  return (async () => {
    for (const r of reqs) await one(r.path, r.headers);
    agent.destroy();
  })();
}

function viaUndici(target: string): Promise<void> {
  const c = new Client(`https://${target}`, {
    connect: buildConnector({ rejectUnauthorized: false, timeout: 5_000 }),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  return (async () => {
    for (const r of reqs) {
      try {
        const res = await c.request({ method: "GET", path: r.path, headers: r.headers });
        await res.body.dump();
      } catch {
        // aborted by a mitigation rule: as exhunt, go on
      }
    }
    await c.destroy();
  })();
}

/** The floor of any HTTPS probe: one TLS handshake per host, no request. */
function tlsOnly(target: string): Promise<void> {
  const [host, port] = target.split(":");
  return new Promise((ok) => {
    const s = connect({ host, port: Number(port), rejectUnauthorized: false }, () => {
      s.destroy();
      ok();
    });
    s.on("error", () => ok());
  });
}

const run = client === "undici" ? viaUndici : client === "tls" ? tlsOnly : viaHttps;
const t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: Number(conc) }, async () => {
    while (next < targets.length) await run(targets[next++]);
  }),
);
const s = (performance.now() - t0) / 1000;
process.stdout.write(
  `${JSON.stringify({ hosts: targets.length, seconds: s, hostsPerSecond: targets.length / s })}\n`,
);
