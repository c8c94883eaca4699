// Benchmark helper (not a benchmark itself): this machine's TLS handshake limit, measured with
// `openssl s_time -new` against nginx from Debian on loopback (127.0.0.1 only), serving a canned
// Exchange answer with the same kind of certificate the probe's mock servers use (EC P-256).
// nginx is started and stopped here; returns null when nginx or openssl is not installed.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { selfSigned } from "../test/exposure/mock-exchange.js";
import { which } from "./lib.js";

export interface HandshakeLimit {
  /** New handshakes per wall second, one openssl client against one nginx worker. */
  perSecond: number;
  /** New handshakes per second of the client's CPU (openssl's own figure). */
  perClientCpuSecond: number;
  seconds: number;
}

const NGINX = ["/usr/sbin/nginx", "nginx"];

export function nginxBin(): string | null {
  for (const n of NGINX) if (n.startsWith("/") ? spawnSync(n, ["-v"]).status === 0 : which(n)) return n;
  return null;
}

export function listening(port: number, tries = 50, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((ok) => {
    const attempt = (left: number) => {
      const s = connect(port, host);
      s.once("connect", () => {
        s.destroy();
        ok(true);
      });
      s.once("error", () => {
        s.destroy();
        if (left <= 0) ok(false);
        else setTimeout(() => attempt(left - 1), 100);
      });
    };
    attempt(tries);
  });
}

export async function handshakeLimit(dir: string, seconds = 5, port = 18443): Promise<HandshakeLimit | null> {
  const bin = nginxBin();
  if (!bin || !which("openssl")) return null;
  mkdirSync(join(dir, "logs"), { recursive: true });
  selfSigned(dir); // writes key.pem and cert.pem into dir
  const tls = { key: join(dir, "key.pem"), cert: join(dir, "cert.pem") };
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "logs", "error.log")};
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    location / { add_header X-OWA-Version 15.1.2176.2; return 200 "ok"; }
  }
}
`,
  );
  const server: ChildProcess = spawn(bin, ["-p", dir, "-c", conf], { stdio: "ignore" });
  try {
    if (!(await listening(port)))
      throw new Error(`nginx did not listen on 127.0.0.1:${port} (see ${dir}/logs)`);
    const r = spawnSync(
      "openssl",
      ["s_time", "-connect", `127.0.0.1:${port}`, "-new", "-time", String(seconds)],
      { encoding: "utf8" },
    );
    // "N connections in Xs; Y connections/user sec, ..." then "N connections in Z real seconds, ..."
    const user = /(\d+) connections in [\d.]+s; ([\d.]+) connections\/user sec/.exec(r.stdout);
    const real = /(\d+) connections in (\d+) real seconds/.exec(r.stdout);
    if (!user || !real) throw new Error(`openssl s_time printed no figures: ${r.stdout.slice(-300)}`);
    return {
      perSecond: Number(real[1]) / Number(real[2]),
      perClientCpuSecond: Number(user[2]),
      seconds: Number(real[2]),
    };
  } finally {
    server.kill("SIGTERM");
  }
}
