// CVE-2021-26857, insecure deserialization in Unified Messaging: Test-ProxyLogon's check, an Application
// log error of MSExchange Unified Messaging whose text holds System.InvalidCastException.
import type { CheckInfo } from "../../model/types.js";
import { clip } from "../evidence.js";
import type { EventDetection } from "../types.js";
import { around, eventEvidence, findText, REF } from "./common.js";

const NEEDLE = "System.InvalidCastException";

export const checks = {
  um: {
    id: "cve-2021-26857-um",
    title: "Unified Messaging deserialization error (CVE-2021-26857)",
    cves: ["CVE-2021-26857"],
    severity: "critical",
    effect: "compromise",
    description:
      "Application log, provider 'MSExchange Unified Messaging', level Error, with 'System.InvalidCastException' " +
      "in the event (Test-ProxyLogon's condition; Microsoft lists these events as the sign of CVE-2021-26857 " +
      "exploitation). The exception is raised when the deserialized object turns out not to be the expected " +
      "type, i.e. after an attacker's gadget chain has run as SYSTEM. Offline there is no message table: the " +
      "event's parameters (and the rendered message, when an export carries it) are searched instead of the " +
      "Message. Events with no level recorded are accepted.",
    references: [REF.cve26857, REF.msBlog, REF.testProxyLogon],
  },
} satisfies Record<string, CheckInfo>;

export const umDeserialization26857: EventDetection = {
  type: "event",
  id: "cve-2021-26857-um",
  checks: [checks.um],
  providers: ["MSExchange Unified Messaging"],
  match(ev) {
    if (ev.level !== null && ev.level !== 2) return null;
    const text = findText(ev, NEEDLE);
    if (text === null) return null;
    return {
      check: checks.um.id,
      time: ev.time,
      evidence: { ...eventEvidence(ev), Message: clip(text), Match: around(text, NEEDLE) },
    };
  },
};
