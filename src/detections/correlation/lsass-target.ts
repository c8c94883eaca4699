// A dump of a PID in one log file, resolved with the process events of another (Security 4688 in
// Security.evtx, Sysmon in its own channel): when the PID is lsass.exe's on the same computer, the dump
// was an LSASS dump. Runs once per server, over the findings of the LSASS event detection.
import type { FindingDraft } from "../../model/finding.js";
import { checks, provenDump } from "../events/lsass-dump.js";
import type { FindingsDetection } from "../types.js";

export const lsassTarget: FindingsDetection = {
  type: "findings",
  id: "lsass-dump-target",
  checks: [checks.dump],
  run({ findings }): FindingDraft[] {
    const lsass = new Set(
      findings
        .filter((f) => f.check === checks.pid.id)
        .map((f) => `${(f.evidence.Computer ?? "").toLowerCase()}|${f.evidence.Pid}`),
    );
    if (lsass.size === 0) return [];
    const out: FindingDraft[] = [];
    for (const f of findings) {
      if (f.check !== checks.possible.id || !f.evidence.TargetPid) continue;
      if (!lsass.has(`${(f.evidence.Computer ?? "").toLowerCase()}|${f.evidence.TargetPid}`)) continue;
      out.push(
        provenDump(
          f.time,
          {
            ...f.evidence,
            Target: "lsass.exe (by its PID in another log of this server)",
            LinkedFinding: f.id,
          },
          `LSASS memory dumped (${f.evidence.Rule ?? "dump of a PID"})`,
        ),
      );
    }
    return out;
  },
};
