// Benchmark helper (not a benchmark itself): loopback mock Exchange listeners, one per target.
// Usage: tsx bench/probe-servers.ts DIR COUNT — prints READY when listening; exits when stdin closes.
import { mkdirSync } from "node:fs";
import { createServer } from "node:https";
import { exchangeHandler, type Role, selfSigned } from "../test/exposure/mock-exchange.js";

const [dir, countArg] = process.argv.slice(2);
const count = Number(countArg);
mkdirSync(dir, { recursive: true });
const tls = selfSigned(dir);
const ROLES: Role[] = ["vulnerable-2016-cu19", "patched", "mitigated", "proxyshell-open", "plain-iis"];
const handlers = ROLES.map((r) => exchangeHandler(r));

/** Target i: address 127.1.(i/100).(i%100+1), port 20000 + (i % 100)... kept in step with bench/probe.bench.ts. */
export function addressOf(i: number): { host: string; port: number } {
  return { host: `127.1.${Math.floor(i / 100) % 250}.${(i % 100) + 1}`, port: 20000 + Math.floor(i / 25000) };
}

let ready = 0;
for (let i = 0; i < count; i++) {
  const { host, port } = addressOf(i);
  const s = createServer({ ...tls, sessionTimeout: 300 }, handlers[i % handlers.length]);
  s.keepAliveTimeout = 5_000;
  s.listen(port, host, () => {
    if (++ready === count) process.stdout.write("READY\n");
  });
  s.on("error", (e) => {
    process.stderr.write(`listen ${host}:${port}: ${e.message}\n`);
    process.exit(1);
  });
}
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
