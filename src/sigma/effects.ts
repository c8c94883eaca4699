// How a Sigma match moves the verdict. Most rules are context: listed for the responder, raising the
// verdict only when another check hit. Only the Exchange-exploitation rules below may raise it, and
// only at level high or critical: they look for the exploit itself (its requests, its cmdlets, the
// files and processes it leaves), not for behaviour an administrator also shows. Documented in
// docs/sigma.md; the table is data so a reviewer sees each decision with its reason.
import type { SigmaRuleMeta } from "./types.js";

export type SigmaEffect = "compromise" | "attempt" | "context";

interface EffectEntry {
  effect: "compromise" | "attempt";
  /** The rule as it is known (its title changes upstream; the id does not). */
  rule: string;
  why: string;
}

/**
 * Considered and left as context, because they also match what administrators do:
 * - 516376b4 "Mailbox Export to Exchange Webserver": any export to a UNC share (`-FilePath "\\`), and
 *   any grant of the Mailbox Import Export role; exhunt's own cmdlet check tells a web-folder export apart.
 * - 09570ae5 "Remove Exported Mailbox from Exchange Webserver": any `Remove-MailboxExportRequest -Confirm False`.
 * - 9db37458 "Exchange Set OabVirtualDirectory ExternalUrl Property": any ExternalUrl change.
 * - 67bce556 "Exchange Exploitation Used by HAFNIUM" (webserver): besides HAFNIUM's user agents it takes any
 *   POST to `/ecp/…js` or `/owa/auth/Current/`, which ECP scripts in build folders also are; exhunt's
 *   own IIS ProxyLogon checks make that call more narrowly.
 */
const SENT = "a request was sent; the log does not show that it worked";

export const EXCHANGE_RULE_EFFECTS: Readonly<Record<string, EffectEntry>> = {
  "550d3350-bb8a-4ff3-9533-2ba533f4a1c0": {
    effect: "compromise",
    rule: "ProxyLogon MSExchange OabVirtualDirectory",
    why: "the cmdlet log shows a script put into the OAB virtual directory (CVE-2021-27065 web shell write)",
  },
  "b7bc7038-638b-4ffd-880c-292c692209ef": {
    effect: "compromise",
    rule: "Certificate Request Export to Exchange Webserver",
    why: "a certificate request was exported into a web folder: ProxyShell's way to write a web shell",
  },
  "992be1eb-e5da-437e-9a54-6d13b57bb4d8": {
    effect: "compromise",
    rule: "Successful Exchange ProxyShell Attack",
    why: "the autodiscover SSRF to the PowerShell back end was answered with success",
  },
  "cd479ccc-d8f0-4c66-ba7d-e06286f3f887": {
    effect: "compromise",
    rule: "Potential CVE-2021-26857 Exploitation Attempt",
    why: "UMWorkerProcess started a process: code ran in the Unified Messaging worker",
  },
  "b06335b3-55ac-4b41-937e-16b7f5d57dfd": {
    effect: "compromise",
    rule: "CVE-2021-26858 Exchange Exploitation",
    why: "UMWorkerProcess wrote a file (the CVE-2021-26858 arbitrary file write)",
  },
  "bbb2dedd-a0e3-46ab-ba6c-6c82ae7a9aa7": {
    effect: "compromise",
    rule: "HAFNIUM Exchange Exploitation Activity",
    why: "process command lines HAFNIUM ran after breaking in",
  },
  "bd1212e5-78da-431e-95fa-c58e3237a8e6": {
    effect: "compromise",
    rule: "Suspicious ASPX File Drop by Exchange",
    why: "an Exchange process wrote an .aspx file into a web folder",
  },
  "7280c9f3-a5af-45d0-916a-bc01cb4151c9": {
    effect: "compromise",
    rule: "Suspicious MSExchangeMailboxReplication ASPX Write",
    why: "the mailbox replication service wrote an .aspx file (ProxyShell export shell)",
  },
  "23eee45e-933b-49f9-ae1b-df706d2d52ef": {
    effect: "attempt",
    rule: "Exchange ProxyShell Pattern",
    why: SENT,
  },
  "effee1f6-a932-4297-a81f-acb44064fa3a": {
    effect: "attempt",
    rule: "ProxyLogon Reset Virtual Directories Based On IIS Log",
    why: SENT,
  },
  "a2a9d722-0acb-4096-bccc-daaf91a5037b": {
    effect: "attempt",
    rule: "Exchange Exploitation CVE-2021-28480",
    why: SENT,
  },
  "56973b50-3382-4b56-bdf5-f51a3183797a": {
    effect: "attempt",
    rule: "CVE-2021-33766 Exchange ProxyToken Exploitation",
    why: SENT,
  },
  "181f49fa-0b21-4665-a98c-a57025ebb8c7": {
    effect: "attempt",
    rule: "Potential OWASSRF Exploitation Attempt - Webserver",
    why: SENT,
  },
  "92d78c63-5a5c-4c40-9b60-463810ffb082": {
    effect: "attempt",
    rule: "OWASSRF Exploitation Attempt Using Public POC - Webserver",
    why: SENT,
  },
  "fce2c2e2-0fb5-41ab-a14c-5391e1fd70a5": {
    effect: "attempt",
    rule: "CVE-2020-0688 Exchange Exploitation via Web Log",
    why: SENT,
  },
  "7c64e577-d72e-4c3d-9d75-8de6d1f9146a": {
    effect: "attempt",
    rule: "CVE-2020-0688 Exploitation Attempt",
    why: SENT,
  },
  "d6266bf5-935e-4661-b477-78772735a7cb": {
    effect: "attempt",
    rule: "CVE-2020-0688 Exploitation via Eventlog",
    why: "the ViewState deserialisation error the exploit causes; it does not show that code ran",
  },
  "c92f1896-d1d2-43c3-92d5-7a5b35c217bb": {
    effect: "attempt",
    rule: "Possible Exploitation of Exchange RCE CVE-2021-42321",
    why: "the deserialisation error the exploit causes; it does not show that code ran",
  },
};

/** The effect of a match of this rule (context unless listed above and at level high or critical). */
export function sigmaEffect(meta: Pick<SigmaRuleMeta, "id" | "level">): SigmaEffect {
  const e = EXCHANGE_RULE_EFFECTS[meta.id];
  if (!e || (meta.level !== "high" && meta.level !== "critical")) return "context";
  return e.effect;
}
