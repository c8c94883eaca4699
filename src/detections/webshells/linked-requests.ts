// Checks emitted by the shell ↔ request linking (verdict/correlate.ts), after every file and log of a
// server has been read: a file the sweep flagged in a web folder, joined to the IIS requests for its URL.
import type { CheckInfo } from "../../model/types.js";
import { REF } from "../proxylogon/refs.js";

export const linkChecks = {
  used: {
    id: "webshell-used",
    title: "Flagged web file was requested and answered (IIS)",
    cves: [],
    severity: "critical",
    effect: "compromise",
    description:
      "A file that another check flagged in a web folder (aspnet_client, owa\\auth, ecp\\auth, OAB, EWS, wwwroot) " +
      "was requested over HTTP and IIS answered at least one request with 2xx: the page ran. The evidence says " +
      "who used it (client IPs), when (first and last request) and how often; the finding points at the first " +
      "successful request and names the file finding it is linked to.",
    references: [REF.msBlog, REF.cisaAA21062A],
  },
  requested: {
    id: "webshell-requested",
    title: "Flagged web file was requested, never successfully (IIS)",
    cves: [],
    severity: "high",
    effect: "attempt",
    description:
      "Requests for the URL of a file another check flagged in a web folder, none answered 2xx (e.g. 404 before " +
      "the file was written, or after it was removed): someone looked for it.",
    references: [REF.msBlog, REF.cisaAA21062A],
  },
} satisfies Record<string, CheckInfo>;
