// The EVTX reader: Windows XML Event Log files (`ElfFile\0`), every record offered as an EventRecord.
// Chunks are independent after the file header, so large files are read as byte ranges: a range reads
// the chunk slots that start inside it.
import type { Reader, ReadStats } from "../types.js";
import { FILE_MAGIC, readEvtxEvents } from "./file.js";

export {
  type EvtxRecord,
  type EvtxSummary,
  eventDecoder,
  parseChunk,
  parseEvtx,
  parseEvtxBuffer,
  parseEvtxFile,
  readEvtxEvents,
  treeDecoder,
} from "./file.js";
export { toDumpJson, toEventRecord, toXml } from "./views.js";

export const evtxReader: Reader = {
  format: "evtx",
  splittable: true,
  // About 15-25 MB/s per thread: 64 MiB ranges left a 60 MB Security.evtx on one thread for seconds.
  rangeBytes: 8 * 2 ** 20,
  sniff(head) {
    if (head.length < 8 || !head.subarray(0, 8).equals(FILE_MAGIC)) return null;
    return { format: "evtx", kind: "event", preamble: null, header: null };
  },
  read(abs, size, _sniffed, range, h): ReadStats {
    const s = readEvtxEvents(abs, size, (e) => h.onEvent(e, null), range);
    const damage = [...s.damage];
    if (s.recordErrors)
      damage.unshift(`${s.recordErrors} record${s.recordErrors === 1 ? "" : "s"} not decoded`);
    if (!s.magicOk) damage.unshift("no ElfFile signature: not read");
    return {
      kind: "event",
      records: s.records,
      lines: 0,
      badRows: 0,
      badSamples: [],
      firstTime: s.firstTime,
      lastTime: s.lastTime,
      bytes: Math.max(0, Math.min(range.end, size) - range.start),
      lastHeader: null,
      usedInheritedHeader: false,
      damage,
    };
  },
};
