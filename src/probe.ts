// The library API of the network probe: `import { probeHosts } from "exhunt/probe"`. A separate entry
// from src/index.ts so that loading the scan API (and every CLI command but `probe`) does not load
// the HTTP client.
export { type HostResult, probeTargets } from "./exposure/probe/probe.js";
export { resolveProbeTargets } from "./exposure/probe/targets.js";
export { probeThreaded as probeHosts } from "./exposure/probe/threads.js";
