#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";
import { main } from "./main.js";

// V8 grows the old generation to a multiple of the live set before it collects; a scan's live set is
// small (a chunk, the rules, the findings) but it allocates a stream of short-lived records, so the
// default growth let the 500 MB EVTX lane with every SigmaHQ rule peak at 428-491 MiB. Growing by 10 %
// keeps it at 262 MiB with the same findings (measured 2026-12-05, docs/operations.md). Process-wide:
// worker threads share the setting.
setFlagsFromString("--heap-growing-percent=10");

main(process.argv).then((code) => {
  process.exitCode = code;
});
