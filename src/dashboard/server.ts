// `exhunt dashboard`: a local web UI over a fleet store, on node:http (no framework, no external
// asset: it works offline). Bound to 127.0.0.1 unless told otherwise. Access needs the random token of
// the printed URL; the first visit trades it for an HttpOnly, SameSite=Strict cookie. State changes
// are POSTs that need that cookie, a CSRF token derived from the access token, and (when the browser
// sends one) an Origin of this server; the Host header must name this server (DNS rebinding).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type FleetStore, type ServerStatus, STATUSES } from "../store/types.js";
import { esc, page, qs } from "./html.js";
import { fleetPage, listFilter, serverPage } from "./pages.js";
import { noQueuePage, queuePage } from "./queue-page.js";

export interface DashboardOptions {
  store: FleetStore;
  host?: string;
  port?: number;
  /** Tests may fix it; by default 32 random bytes. */
  token?: string;
  /** Who the acknowledgements and notes made through the UI are recorded as. */
  user: string;
  /** The store's postgres:// URL, for the /queue page (the job queue lives in that database). */
  queueUrl?: string;
}

export interface Dashboard {
  url: string;
  origin: string;
  token: string;
  close(): Promise<void>;
}

const COOKIE = "exhunt_dashboard";
const MAX_BODY = 64 * 1024;
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieOf(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === COOKIE) return v.join("=");
  }
  return null;
}

function send(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on the page's own form posts.
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    ...headers,
  });
  res.end(html);
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("request body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", reject);
  });
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const token = o.token ?? randomBytes(32).toString("base64url");
  const csrf = createHmac("sha256", token).update("csrf").digest("base64url");
  const host = o.host ?? "127.0.0.1";
  let origin = "";
  let hosts = new Set<string>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hosts.has((req.headers.host ?? "").toLowerCase())) {
      send(res, 421, page("exhunt", "<p>Wrong host name for this dashboard.</p>"));
      return;
    }
    const url = new URL(req.url ?? "/", origin);
    const given = url.searchParams.get("token");
    if (given !== null) {
      if (!same(given, token)) {
        send(res, 401, page("exhunt", "<p>Wrong access token.</p>"));
        return;
      }
      // Trade the token for a cookie and drop it from the address bar (and from any later Referer).
      url.searchParams.delete("token");
      res.writeHead(303, {
        location: `${url.pathname}${url.search}`,
        "set-cookie": `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        "cache-control": "no-store",
      });
      res.end();
      return;
    }
    const cookie = cookieOf(req);
    if (!cookie || !same(cookie, token)) {
      send(
        res,
        401,
        page(
          "exhunt",
          "<p>Open the address <code>exhunt dashboard</code> printed: it carries the access token.</p>",
        ),
      );
      return;
    }
    if (req.method === "POST") {
      const from = req.headers.origin;
      if (from !== undefined && !hosts.has(from.toLowerCase().replace(/^http:\/\//, ""))) {
        send(res, 403, page("exhunt", "<p>Cross-site request refused.</p>"));
        return;
      }
      const form = await readForm(req);
      if (!same(form.get("csrf") ?? "", csrf)) {
        send(res, 403, page("exhunt", "<p>Missing or wrong form token: reload the page and try again.</p>"));
        return;
      }
      const server = form.get("server") ?? "";
      const fingerprint = form.get("fingerprint") ?? undefined;
      if (url.pathname === "/ack")
        await o.store.acknowledge({ fingerprint, server, reason: form.get("reason") ?? "", by: o.user });
      else if (url.pathname === "/unack") await o.store.unacknowledge({ fingerprint, server, by: o.user });
      else if (url.pathname === "/status") {
        const status = form.get("status") ?? "";
        if (!(STATUSES as readonly string[]).includes(status)) throw new Error(`unknown status ${status}`);
        await o.store.setStatus(server, status as ServerStatus, form.get("note") ?? "", o.user);
      } else {
        send(res, 404, page("exhunt", "<p>No such action.</p>"));
        return;
      }
      res.writeHead(303, { location: `/server${qs({ name: server })}`, "cache-control": "no-store" });
      res.end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, page("exhunt", "<p>Method not allowed.</p>"), { allow: "GET, POST" });
      return;
    }
    if (url.pathname === "/") {
      send(res, 200, fleetPage(await o.store.list(listFilter(url.searchParams)), url.searchParams));
      return;
    }
    if (url.pathname === "/server") {
      const html = await serverPage(o.store, url.searchParams.get("name") ?? "", csrf);
      if (html) send(res, 200, html);
      else send(res, 404, page("exhunt", "<p>No such server in the store.</p>"));
      return;
    }
    if (url.pathname === "/queue") {
      if (!o.queueUrl) {
        send(res, 200, noQueuePage("sqlite", o.store.path));
        return;
      }
      // Loaded on the first visit: a SQLite dashboard never loads the PostgreSQL client or pg-boss.
      const { readQueueStatus } = await import("../store/queue.js");
      const s = await readQueueStatus(o.queueUrl);
      send(res, 200, s ? queuePage(s, o.store.path) : noQueuePage("empty", o.store.path));
      return;
    }
    send(res, 404, page("exhunt", "<p>Not found.</p>"));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 400, page("exhunt", `<p>${esc((e as Error).message)}</p>`));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  origin = `http://${shown}:${port}`;
  hosts = new Set([`${shown}:${port}`.toLowerCase()]);
  if (host === "127.0.0.1" || host === "::1")
    for (const h of ["127.0.0.1", "localhost", "[::1]"]) hosts.add(`${h}:${port}`);
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
