// Benchmark helper (not a benchmark itself): the probe's loopback targets served by nginx from Debian
// instead of the Node mock, so the server side costs little CPU. One server block per role, with the
// canned answers of test/exposure/mock-exchange.ts (X-OWA-Version, the export-tool manifest, the
// CVE-2021-26855 and ProxyShell answers, the EOMT URL Rewrite rules as a dropped connection = 444).
// nginx is started here with one worker (as the handshake limit in tls-limit.ts) and stopped by the caller.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { selfSigned } from "../test/exposure/mock-exchange.js";
import { listening, nginxBin } from "./tls-limit.js";

/** The roles of bench/probe-servers.ts, in its order (target i has role i % 5). */
const ROLES = [
  { name: "vulnerable-2016-cu19", build: "15.1.2176.2", ssrf: true, autodiscover500: true, mitigated: false },
  { name: "patched", build: "15.2.2562.46", ssrf: false, autodiscover500: false, mitigated: false },
  { name: "mitigated", build: "15.1.2176.2", ssrf: false, autodiscover500: false, mitigated: true },
  { name: "proxyshell-open", build: "15.1.2242.4", ssrf: false, autodiscover500: true, mitigated: false },
  { name: "plain-iis", build: null, ssrf: false, autodiscover500: false, mitigated: false },
] as const;

const MANIFEST = (v: string) =>
  `<?xml version="1.0" encoding="utf-8"?>\\r\\n<asmv1:assembly xsi:schemaLocation="urn:schemas-microsoft-com:asm.v1 assembly.adaptive.xsd" manifestVersion="1.0" xmlns:asmv1="urn:schemas-microsoft-com:asm.v1"><assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="${v}" publicKeyToken="b1d1a6c45aa418ce" language="neutral" processorArchitecture="msil" xmlns="urn:schemas-microsoft-com:asm.v1" /></asmv1:assembly>`;

const logon = (build: string) =>
  `<!DOCTYPE html><html><head><title>Outlook</title><link rel="shortcut icon" href="/owa/auth/${build.split(".").slice(0, 3).join(".")}/themes/resources/favicon.ico" type="image/x-icon"></head><body>sign in</body></html>`;

function serverBlock(
  role: (typeof ROLES)[number],
  listens: string[],
  tls: { key: string; cert: string },
): string {
  const head = `  server {\n${listens.map((a) => `    listen ${a} ssl;\n`).join("")}    ssl_certificate ${tls.cert};\n    ssl_certificate_key ${tls.key};\n`;
  if (!role.build)
    return `${head}    location / { return 404 "<h2>404 - File or directory not found.</h2>"; }\n  }\n`;
  const h = `add_header X-FEServer EXCH01 always; add_header X-OWA-Version ${role.build} always;`;
  const lines = [
    `    ${h}`,
    // EOMT's URL Rewrite rules: the request is aborted (the connection dropped).
    ...(role.mitigated
      ? [
          `    if ($http_cookie ~ "X-AnonResource-Backend|X-BEResource=.+/.+~.+") { return 444; }`,
          `    if ($request_uri ~* "autodiscover.*powershell") { return 444; }`,
        ]
      : []),
    `    location /owa/auth/logon.aspx { default_type "text/html; charset=utf-8"; return 200 '${logon(role.build)}'; }`,
    `    location /ecp/Current/exporttool/ { default_type application/x-ms-application; return 200 '${MANIFEST(role.build)}'; }`,
    role.ssrf
      ? `    location /owa/auth/x.js { ${h} add_header X-CalculatedBETarget $betarget always; if ($http_cookie ~ "X-BEResource=localhost") { return 500 "NegotiateSecurityContext failed with for host 'localhost' with status 'TargetUnknown'"; } return 404; }`
      : "    location /owa/auth/x.js { return 404; }",
    `    location /autodiscover/autodiscover.json { if ($args ~ "Protocol=XYZ") { return 302 /owa/auth/errorFE.aspx?httpCode=500; } ${role.autodiscover500 ? `return 500 "<html><body>Microsoft.Exchange.Clients.Owa2.Server.Core.OwaADUserNotFoundException: No user found</body></html>";` : "return 400;"} }`,
    "    location / { return 404; }",
  ];
  return `${head}${lines.join("\n")}\n  }\n`;
}

export interface Nginx {
  process: ChildProcess;
  /** The worker's pid (for its CPU time), or null when not found. */
  workerPid(): number | null;
  stop(): void;
}

/** nginx serving `addresses` (host:port, target i with role i % 5) on loopback, or null when not installed. */
export async function startNginx(dir: string, addresses: string[]): Promise<Nginx | null> {
  const bin = nginxBin();
  if (!bin) return null;
  if (!addresses.every((a) => a.startsWith("127."))) throw new Error("nginx targets are loopback only");
  mkdirSync(join(dir, "logs"), { recursive: true });
  selfSigned(dir);
  const tls = { key: join(dir, "key.pem"), cert: join(dir, "cert.pem") };
  const byRole = ROLES.map((_, r) => addresses.filter((_, i) => i % ROLES.length === r));
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes 1;
worker_rlimit_nofile ${Math.min(addresses.length + 8192, 20_000)};
daemon off;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "logs", "error.log")};
events { worker_connections ${addresses.length + 4096}; }
http {
  access_log off;
  server_tokens off;
  absolute_redirect off;
  default_type text/html;
  keepalive_timeout 5s;
  map $http_cookie $betarget { "~X-BEResource=localhost" localhost; default ""; }
${ROLES.map((r, i) => (byRole[i].length ? serverBlock(r, byRole[i], tls) : "")).join("")}}
`,
  );
  // Every listening socket takes a connection slot: worker_connections is above the address count.
  const child = spawn(bin, ["-p", dir, "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    if (stderr.length < 4000) stderr += d;
  });
  const [host, port] = addresses[addresses.length - 1].split(":");
  if (!(await listening(Number(port), 100, host))) {
    child.kill("SIGTERM");
    throw new Error(`nginx did not listen on ${host}:${port}: ${stderr.trim() || `see ${dir}/logs`}`);
  }
  return {
    process: child,
    workerPid: () => {
      try {
        const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8")
          .trim()
          .split(/\s+/);
        return kids[0] ? Number(kids[0]) : null;
      } catch {
        return null;
      }
    },
    stop: () => child.kill("SIGTERM"),
  };
}
