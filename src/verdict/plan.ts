// The remediation plan per server: what to do now, in order, and why. It follows the order of CISA
// Emergency Directive 21-02 and its supplemental direction (contain, preserve and report, hunt and
// remove, treat credentials as stolen, patch, harden, check again), written for one server from the
// findings of that server. Every step names the findings that call for it.

import type { Finding } from "../model/finding.js";
import { count, plural } from "../model/plural.js";
import type { PlanStep, ServerResult } from "../model/types.js";
import { localPath, serverPaths, sha256 } from "./facts.js";

/** What the plan is made from: a judged server before its plan and timeline. */
export type PlanInput = Pick<ServerResult, "findings" | "verdict" | "coverage" | "exposure">;

export type { PlanStep, StepId } from "../model/types.js";

export const REFS = {
  ed2102:
    "https://www.cisa.gov/news-events/directives/ed-21-02-mitigate-microsoft-exchange-premises-product-vulnerabilities",
  ed2102supplemental:
    "https://www.cisa.gov/news-events/directives/supplemental-direction-v2-ed-21-02-mitigate-microsoft-exchange-premises-product-vulnerabilities",
  aa21062a: "https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a",
  msrcResponders:
    "https://msrc.microsoft.com/blog/2021/03/guidance-for-responders-investigating-and-remediating-on-premises-exchange-server-vulnerabilities/",
  onPremMitigation: "https://microsoft.github.io/CSS-Exchange/Security/EOMTv2/",
  buildNumbers: "https://learn.microsoft.com/en-us/exchange/new-features/build-numbers-and-release-dates",
  krbtgt:
    "https://learn.microsoft.com/en-us/windows-server/identity/ad-ds/manage/ad-forest-recovery-resetting-the-krbtgt-password",
} as const;

/** A web shell the findings name: where it is and, when the sweep hashed it, its SHA-256. */
export interface NamedShell {
  path: string;
  sha256: string | null;
  findingIds: string[];
}

/** Files to remove: paths named by compromise findings (file sweep, OAB write, cmdlet with a path). */
export function namedShells(findings: readonly Finding[]): NamedShell[] {
  const by = new Map<string, NamedShell>();
  for (const f of findings) {
    if (f.effect !== "compromise") continue;
    for (const p of serverPaths(f)) {
      const path = localPath(p);
      const key = path.toLowerCase();
      const s = by.get(key) ?? { path, sha256: null, findingIds: [] };
      s.sha256 ??= sha256(f);
      if (!s.findingIds.includes(f.id)) s.findingIds.push(f.id);
      by.set(key, s);
    }
  }
  return [...by.values()].sort((a, b) => a.path.localeCompare(b.path));
}

function ids(fs: Finding[]): string[] {
  return fs.map((f) => f.id);
}

/** The update to install, in words, from the exposure recommendation when the build is known. */
export function updateActions(s: Pick<ServerResult, "exposure">): { actions: string[]; known: boolean } {
  const exp = s.exposure;
  const rec = exp?.recommendation;
  const actions: string[] = [];
  if (rec) {
    actions.push(rec.summary);
    rec.steps.forEach((st, i) => {
      const kb = st.kb ? ` (${st.kb})` : "";
      const first = rec.cuUpgradeNeeded && i === 0 && rec.steps.length > 1;
      actions.push(
        first
          ? `First install ${st.name}${kb}, build ${st.build}: the installed cumulative update cannot take the security update.`
          : `Install ${st.name}${kb}, which brings the server to build ${st.build}.`,
      );
    });
    if (rec.steps.length === 0 && rec.target)
      actions.push(`Bring the server to build ${rec.target.build} or later.`);
    for (const n of rec.notes) actions.push(n); // the end-of-support notice is one of them
  }
  if (actions.length > 0) {
    if (exp?.build) actions.push(`Installed build: ${exp.build} (${exp.buildSource}).`);
    return { actions, known: true };
  }
  const open = exp
    ? Object.entries(exp.cves)
        .filter(([, c]) => c.status === "vulnerable")
        .map(([id, c]) => `${id}${c.fixedIn ? ` (fixed in ${c.fixedIn})` : ""}`)
    : [];
  if (exp?.build) actions.push(`Installed build: ${exp.build} (${exp.buildSource}).`);
  if (open.length) actions.push(`Open: ${open.join(", ")}.`);
  if (!exp?.build)
    actions.push(
      "The build is not known from this evidence: determine it with `exhunt build` on the server (or Get-ExchangeServer | fl AdminDisplayVersion plus the ExSetup.exe file version).",
    );
  actions.push(
    "Install the latest cumulative update and the latest security update for it (March 2021 SU or later closes ProxyLogon; later SUs close ProxyShell and ProxyNotShell).",
  );
  return { actions, known: false };
}

/** Ordered steps for one server. */
export function remediationPlan(s: PlanInput): PlanStep[] {
  const fs = s.findings;
  const compromise = fs.filter((f) => f.effect === "compromise");
  const attempts = fs.filter((f) => f.effect === "attempt");
  const context = fs.filter((f) => f.effect === "context");
  // Bookkeeping (lsass-process-id) and dumps of other processes (info) call for no credential reset.
  const dumps = fs.filter((f) => f.effect !== "info" && (f.check === "lsass-dump" || /lsass/i.test(f.check)));
  const exposure = fs.filter((f) => f.effect === "exposure");
  const steps: PlanStep[] = [];
  const compromised = s.verdict === "compromised";
  // Suspicious (not proven) evidence is kept like an attempt's: a later look may prove it.
  const attempted = s.verdict === "attempted" || s.verdict === "suspicious";

  if (compromised) {
    steps.push({
      id: "contain",
      title: "Contain: take the server off the internet now",
      why: `Exploitation succeeded (${count(compromise.length || dumps.length, "finding")}): the attacker may still hold a web shell or credentials.`,
      actions: [
        "Block inbound HTTPS (443) from the internet to this server (OWA, ECP, EWS, Autodiscover) at the firewall or load balancer; keep internal mail flow if you must.",
        "Do not power it off or reimage it yet: memory and disks are evidence (next step).",
        "If you cannot block it, at least disconnect the ECP virtual directory from the internet and watch for new files in the web folders.",
      ],
      findingIds: ids(compromise.length ? compromise : dumps),
      references: [REFS.ed2102, REFS.msrcResponders],
    });
  }
  if (compromised || attempted) {
    steps.push({
      id: "preserve",
      title: "Preserve evidence before cleaning anything",
      why: compromised
        ? "Removing shells, patching or rebooting destroys what shows how far the attacker got."
        : "Exploitation was attempted; if a later look finds more, these records are what proves it.",
      actions: [
        ...(compromised ? ["Capture memory (full RAM image) before any reboot."] : []),
        "Copy the Exchange logs (V15\\Logging: HttpProxy, ECP, OABGeneratorLog and the rest), the IIS logs (C:\\inetpub\\logs\\LogFiles) and the Windows event logs (Application, Security, System, MSExchange Management).",
        "Copy the web folders: C:\\inetpub\\wwwroot\\aspnet_client and V15\\FrontEnd\\HttpProxy\\owa\\auth and \\ecp\\auth, with timestamps (a forensic image or a ZIP made with a tool that keeps them).",
        "Keep this report and the JSON result with the copies; note who collected what and when.",
      ],
      findingIds: ids([...compromise, ...attempts]),
      references: [REFS.ed2102, REFS.ed2102supplemental],
    });
  }
  if (compromised) {
    steps.push({
      id: "report",
      title: "Report the incident",
      why: "CISA's directive required agencies to report indicators of compromise; most organisations have a similar duty (CERT, regulator, insurer).",
      actions: [
        "Open an incident with your security team and report it to your national CERT (US federal agencies: CISA).",
        "Share the first malicious request, the client IPs and the web shell paths and hashes from this report.",
      ],
      findingIds: ids(compromise),
      references: [REFS.ed2102],
    });
    const shells = namedShells(fs);
    if (shells.length > 0) {
      steps.push({
        id: "remove-webshells",
        title: `Remove the ${plural(shells.length, "web shell")} (after the copy)`,
        why: `The evidence names ${count(shells.length, "file")} written by the attack.`,
        actions: [
          ...shells.map((x) => `Delete ${x.path}${x.sha256 ? ` (SHA-256 ${x.sha256})` : ""}`),
          "Then look for more: other .aspx files in the same folders that are not part of Exchange, and the OAB/virtual-directory ExternalUrl and InternalUrl values (Get-OabVirtualDirectory | fl *Url*) that must not contain script.",
        ],
        findingIds: shells.flatMap((x) => x.findingIds),
        references: [REFS.msrcResponders, REFS.aa21062a],
      });
    } else {
      steps.push({
        id: "hunt-webshells",
        title: "Find and remove web shells",
        why: "Exploitation succeeded but no file path is named in the evidence read.",
        actions: [
          "Sweep C:\\inetpub\\wwwroot\\aspnet_client, V15\\FrontEnd\\HttpProxy\\owa\\auth and \\ecp\\auth for .aspx files that are not part of Exchange (copy, then delete).",
          "Check the virtual directory URLs (Get-OabVirtualDirectory | fl *Url*) for script.",
        ],
        findingIds: ids(compromise),
        references: [REFS.msrcResponders, REFS.aa21062a],
      });
    }
  }
  if (compromised) {
    const dumped = dumps.length > 0;
    steps.push({
      id: "credentials",
      title: dumped
        ? "Treat every credential on the server as stolen"
        : "Reset the credentials the server holds",
      why: dumped
        ? `LSASS memory was dumped (${count(dumps.length, "finding")}): every account that logged on to the server, and the machine account, must be taken as known to the attacker.`
        : "Web shells run as SYSTEM on Exchange: the attacker could read any secret on the server.",
      actions: dumped
        ? [
            "Reset the passwords of every account that logged on to the server (administrators, service accounts), and of Exchange-related privileged groups' members.",
            "Reset the krbtgt password twice, with the replication interval between the two resets, to invalidate forged Kerberos tickets.",
            "Review recent changes to privileged groups, new accounts, scheduled tasks and services on the server and the domain controllers.",
            "Consider rebuilding the server from known-good media once evidence is copied.",
          ]
        : [
            "Reset the passwords of administrators and service accounts used on this server.",
            "Review new accounts, privileged group changes and scheduled tasks on the server.",
          ],
      findingIds: ids(dumped ? dumps : compromise),
      references: dumped ? [REFS.ed2102supplemental, REFS.krbtgt] : [REFS.ed2102supplemental],
    });
  } else if (dumps.length > 0 && attempted) {
    steps.push({
      id: "credentials",
      title: "Check the LSASS dump file",
      why: "An LSASS dump is on disk on a server that saw exploitation attempts.",
      actions: [
        "Find out who made it (backup or antivirus tools also write such files); if nobody can explain it, handle the server as compromised.",
      ],
      findingIds: ids(dumps),
      references: [REFS.ed2102supplemental],
    });
  }
  const upd = updateActions(s);
  const vulnerable = s.verdict === "vulnerable";
  steps.push({
    id: "update",
    title: upd.known ? "Install the update for this build" : "Find the build, then install the update",
    why: vulnerable
      ? `The server is vulnerable (${count(exposure.length, "finding")}).`
      : compromised || attempted
        ? "Patching does not remove what the attacker left, but stops the next attacker."
        : "Keep the server on a supported, fully updated build.",
    actions: upd.actions,
    findingIds: ids(exposure),
    references: [REFS.buildNumbers, REFS.ed2102],
  });
  steps.push({
    id: "mitigate",
    title:
      vulnerable || compromised || attempted
        ? "Apply or keep the mitigations until patched"
        : "Keep the mitigations",
    why: "The URL rewrite mitigations stop the known request shapes while the update is not installed.",
    actions: [
      "Run `exhunt mitigate` to see which mitigations are present, or apply Microsoft's Exchange On-premises Mitigation Tool (EOMT).",
      "Remove them only after the update is installed and verified.",
    ],
    findingIds: [],
    references: [REFS.onPremMitigation],
  });
  if (s.verdict === "unknown" || s.coverage.missing.length > 0 || !s.coverage.coversWindow) {
    steps.push({
      id: "collect",
      title: "Collect the missing evidence",
      why:
        s.verdict === "unknown"
          ? "No log this tool reads was found: nothing can be said about exploitation."
          : `The evidence does not cover the campaign${s.coverage.missing.length ? ` (missing: ${s.coverage.missing.join(", ")})` : ""}${s.coverage.coversWindow ? "" : `; no log reaches back to ${s.coverage.window.exploitationFrom.slice(0, 10)}`}.`,
      actions: [
        "Copy V15\\Logging (HttpProxy, ECP, OABGeneratorLog), the IIS logs and the event logs from the server or from backups that reach back to January 2021.",
      ],
      findingIds: ids(fs.filter((f) => f.effect === "coverage")),
      references: ["https://microsoft.github.io/CSS-Exchange/Security/Test-ProxyLogon/"],
    });
  }
  steps.push({
    id: "rescan",
    title: "Scan again",
    why:
      compromised || attempted
        ? "After cleaning and patching, a new scan must show no new activity; attackers often return through shells that were missed."
        : "Logs roll over: scan again after collecting more evidence and after each update.",
    actions: [
      "Run exhunt scan on a fresh copy of the logs and web folders; compare with this report.",
      ...(context.length
        ? ["Explain every listed file (LSASS dumps, archives) or hand it to the responders."]
        : []),
    ],
    findingIds: [],
    references: [REFS.ed2102supplemental],
  });
  return steps;
}
