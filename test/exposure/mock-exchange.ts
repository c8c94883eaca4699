// A local mock of Exchange's unauthenticated surface, on 127.0.0.0/8 only, for the probe tests and
// benchmark. HTTPS with a self-signed certificate made here with the openssl CLI.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttps, type Server as HttpsServer } from "node:https";
import { createServer as createNet, type Server as NetServer, type Socket } from "node:net";
import { join } from "node:path";
import { createServer as createTls } from "node:tls";

export type Role =
  | "vulnerable-2016-cu19"
  | "patched"
  | "mitigated"
  | "proxyshell-open"
  | "cu15-feb26"
  | "header-only-cu14"
  | "plain-iis"
  | "stalled-tls"
  | "garbage"
  | "refused";

export interface TlsMaterial {
  key: string;
  cert: string;
}

/** A self-signed EC certificate, CN = the Exchange server name (as Exchange's default certificate). */
export function selfSigned(dir: string, cn = "EXCH01.contoso.local"): TlsMaterial {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "ignore" },
  );
  return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
}

const BUILDS: Partial<Record<Role, string>> = {
  "vulnerable-2016-cu19": "15.1.2176.2",
  patched: "15.2.2562.46",
  mitigated: "15.1.2176.2",
  "proxyshell-open": "15.1.2242.4",
  "cu15-feb26": "15.2.1748.43",
  "header-only-cu14": "15.2.1544.4",
};

const MANIFEST = (v: string) =>
  `<?xml version="1.0" encoding="utf-8"?>\r\n<asmv1:assembly xsi:schemaLocation="urn:schemas-microsoft-com:asm.v1 assembly.adaptive.xsd" manifestVersion="1.0" xmlns:asmv1="urn:schemas-microsoft-com:asm.v1"><assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="${v}" publicKeyToken="b1d1a6c45aa418ce" language="neutral" processorArchitecture="msil" xmlns="urn:schemas-microsoft-com:asm.v1" /></asmv1:assembly>`;

function logonPage(build: string): string {
  const cu = build.split(".").slice(0, 3).join(".");
  return `<!DOCTYPE html><html><head><title>Outlook</title><link rel="shortcut icon" href="/owa/auth/${cu}/themes/resources/favicon.ico" type="image/x-icon"></head><body>sign in</body></html>`;
}

/** The request handler of one role (Exchange front end behaviour, per the published checks). */
export function exchangeHandler(role: Role) {
  const build = BUILDS[role];
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const cookie = req.headers.cookie ?? "";
    const uri = decodeURIComponent(url).toLowerCase();
    // URL Rewrite AbortRequest rules (EOMT cookie rules; EOMTv2 autodiscover+powershell rule).
    if (role === "mitigated") {
      if (/X-AnonResource-Backend/.test(cookie) || /X-BEResource=(.+)\/(.+)~(.+)/.test(cookie)) {
        req.socket.destroy();
        return;
      }
      if (uri.includes("autodiscover") && uri.includes("powershell")) {
        req.socket.destroy();
        return;
      }
    }
    if (role === "plain-iis" || !build) {
      res.writeHead(404, { server: "Microsoft-IIS/10.0", "content-type": "text/html" });
      res.end("<h2>404 - File or directory not found.</h2>");
      return;
    }
    const h = { "x-feserver": "EXCH01", "x-owa-version": build, server: "Microsoft-IIS/10.0" };
    if (url.startsWith("/owa/auth/logon.aspx")) {
      res.writeHead(200, { ...h, "content-type": "text/html; charset=utf-8" });
      res.end(logonPage(build));
    } else if (url.startsWith("/ecp/Current/exporttool/") && role === "header-only-cu14") {
      // ECP's export tool not published: the build comes from X-OWA-Version alone.
      res.writeHead(404, h);
      res.end();
    } else if (url.startsWith("/ecp/Current/exporttool/")) {
      res.writeHead(200, { ...h, "content-type": "application/x-ms-application" });
      res.end(MANIFEST(build));
    } else if (url.startsWith("/owa/auth/x.js")) {
      if (role === "vulnerable-2016-cu19" && cookie.includes("X-BEResource=localhost")) {
        res.writeHead(500, { ...h, "x-calculatedbetarget": "localhost", "content-type": "text/html" });
        res.end("NegotiateSecurityContext failed with for host 'localhost' with status 'TargetUnknown'");
      } else {
        res.writeHead(404, h);
        res.end();
      }
    } else if (url.startsWith("/autodiscover/autodiscover.json")) {
      if (url.includes("Protocol=XYZ")) {
        res.writeHead(302, { ...h, location: "/owa/auth/errorFE.aspx?httpCode=500" });
        res.end("Object moved");
      } else if (role === "vulnerable-2016-cu19" || role === "proxyshell-open") {
        res.writeHead(500, { ...h, "content-type": "text/html" });
        res.end(
          "<html><body>Microsoft.Exchange.Clients.Owa2.Server.Core.OwaADUserNotFoundException: No user found</body></html>",
        );
      } else {
        res.writeHead(400, h);
        res.end();
      }
    } else {
      res.writeHead(404, h);
      res.end();
    }
  };
}

export interface MockServer {
  role: Role;
  host: string;
  port: number;
  close(): Promise<void>;
}

function listen(server: NetServer | HttpsServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : port);
    });
  });
}

/** Start one mock on host:port (port 0 = any). Loopback addresses only. */
export async function startMock(
  role: Role,
  tls: TlsMaterial,
  host = "127.0.0.1",
  port = 0,
): Promise<MockServer> {
  if (!host.startsWith("127.") && host !== "::1")
    throw new Error("mock servers bind loopback addresses only");
  const sockets = new Set<Socket>();
  let server: NetServer | HttpsServer;
  if (role === "refused") {
    // Take a free port, then release it: connections to it are refused.
    const s = createNet();
    const p = await listen(s, host, port);
    await new Promise<void>((r) => s.close(() => r()));
    return { role, host, port: p, close: async () => undefined };
  }
  if (role === "stalled-tls") {
    server = createNet((sock) => {
      sockets.add(sock);
      sock.on("close", () => sockets.delete(sock));
      sock.on("error", () => undefined);
      // Accept TCP, never answer the TLS ClientHello.
    });
  } else if (role === "garbage") {
    server = createTls({ ...tls }, (sock) => {
      sockets.add(sock);
      sock.on("close", () => sockets.delete(sock));
      sock.on("error", () => undefined);
      sock.once("data", () => sock.end("\u0000\u00ffNOT HTTP AT ALL\r\n\r\n\u0007garbage"));
    });
  } else {
    const https = createHttps({ ...tls }, exchangeHandler(role));
    https.on("connection", (sock: Socket) => {
      sockets.add(sock);
      sock.on("close", () => sockets.delete(sock));
    });
    https.keepAliveTimeout = 2_000;
    server = https;
  }
  const p = await listen(server, host, port);
  return {
    role,
    host,
    port: p,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
