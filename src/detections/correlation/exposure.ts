// The build's open CVEs as findings (effect "exposure"), once per server, from the assessment the
// engine made of the build it found (--build, ExSetup.exe, or a log header).
import { exposureChecks } from "../../exposure/checks.js";
import { exposureDrafts } from "../../exposure/findings.js";
import type { FindingsDetection } from "../types.js";

export const buildExposure: FindingsDetection = {
  type: "findings",
  id: "build-exposure",
  checks: exposureChecks,
  run: ({ exposure }) =>
    exposure ? exposureDrafts(exposure.assessment, exposure.buildSource, exposure.asOf) : [],
};
