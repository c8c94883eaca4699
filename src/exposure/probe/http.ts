// One host, a handful of GETs over one connection (undici Client): TLS without verification (Exchange
// often has a self-signed certificate) but the certificate recorded; connect, header and body
// timeouts; capped bodies; redirects never followed; no retries.
import { createSecureContext, type SecureContext, type TLSSocket } from "node:tls";
import type * as Undici from "undici";
import type { buildConnector, Client } from "undici";

/** The HTTP client library, loaded when the first host is probed (not by every command: ~1 MB of code). */
export type HttpLib = Pick<typeof Undici, "buildConnector" | "Client">;
export const loadHttp = (): Promise<HttpLib> => import("undici");

export interface CertificateInfo {
  subject: string | null;
  issuer: string | null;
  subjectAltName: string | null;
  validFrom: string | null;
  validTo: string | null;
  fingerprint256: string | null;
  selfSigned: boolean;
}

export interface HttpTimeouts {
  connectMs: number;
  headersMs: number;
  bodyMs: number;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  /** The first `maxBody` bytes, latin1 (signatures are ASCII). */
  body: string;
}

export type Outcome = { reply: Reply } | { error: string; code: string; aborted: boolean };

const MAX_BODY = 256 * 1024;

function name(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.join(", ");
  return null;
}

function certInfo(socket: TLSSocket): CertificateInfo | null {
  const c = socket.getPeerCertificate();
  if (!c || Object.keys(c).length === 0) return null;
  const subject = name(c.subject?.CN);
  const issuer = name(c.issuer?.CN);
  return {
    subject,
    issuer,
    subjectAltName: c.subjectaltname ?? null,
    validFrom: c.valid_from ? new Date(c.valid_from).toISOString() : null,
    validTo: c.valid_to ? new Date(c.valid_to).toISOString() : null,
    fingerprint256: c.fingerprint256 ?? null,
    selfSigned: subject !== null && subject === issuer,
  };
}

/** Errors that mean the server closed the connection on a request it had accepted (IIS AbortRequest). */
const ABORT_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

/**
 * The connector every host of one probe run shares: a TLS secure context is costly to build (it loads
 * the CA store), and without a shared one each connection would build its own. No TLS session is
 * cached: a resumed session presents no certificate, so a host probed twice (or a target listed twice)
 * would come back without one; distinct hosts never resume anyway.
 */
export type Connector = buildConnector.connector;
export function newConnector(lib: HttpLib, connectMs: number): Connector {
  const secureContext: SecureContext = createSecureContext();
  return lib.buildConnector({
    rejectUnauthorized: false,
    timeout: connectMs,
    secureContext,
    maxCachedSessions: 0,
  });
}

export class HostSession {
  private readonly client: Client;
  certificate: CertificateInfo | null = null;
  /** Whether any TCP/TLS connection to the host succeeded. */
  connected = false;

  constructor(lib: HttpLib, origin: string, t: HttpTimeouts, connector: Connector) {
    this.client = new lib.Client(origin, {
      connect: (opts, cb) =>
        connector(opts, (err, socket) => {
          if (socket) {
            this.connected = true;
            if (!this.certificate && "getPeerCertificate" in socket)
              this.certificate = certInfo(socket as TLSSocket);
          }
          if (err) cb(err, null);
          else cb(null, socket!);
        }),
      headersTimeout: t.headersMs,
      bodyTimeout: t.bodyMs,
      keepAliveTimeout: 5_000,
      pipelining: 1,
    });
  }

  async get(path: string, headers: Record<string, string>, overallMs: number): Promise<Outcome> {
    try {
      const res = await this.client.request({
        method: "GET",
        path,
        headers: { "user-agent": "exhunt-probe (exposure check)", accept: "*/*", ...headers },
        // A Client never follows redirects (no redirect interceptor): a Location is only recorded.
        signal: AbortSignal.timeout(overallMs),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        const b = chunk as Buffer;
        chunks.push(b);
        size += b.length;
        if (size >= MAX_BODY) {
          res.body.destroy();
          break;
        }
      }
      const h: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) h[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
      return {
        reply: {
          status: res.statusCode,
          headers: h,
          body: Buffer.concat(chunks).subarray(0, MAX_BODY).toString("latin1"),
        },
      };
    } catch (e) {
      const err = e as Error & { code?: string; cause?: { code?: string } };
      const code = err.code ?? err.cause?.code ?? err.name;
      return { error: err.message, code, aborted: ABORT_CODES.has(code) && this.connected };
    }
  }

  async close(): Promise<void> {
    await this.client.destroy().catch(() => undefined);
  }
}
