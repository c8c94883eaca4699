// Which clock an exported event's time was in, and what a file's readers say about it. Windows stamps
// events in UTC, but collectors do not all say so: NXLog's `EventTime` is the collector's local clock
// without a zone, and some exports label a local time as UTC. A time is converted only where the
// document itself tells the offset; otherwise it is kept and the file's notes say what was assumed.

/** How one event's time was read (filled by applyMap). */
export interface TimeInfo {
  /** "zoned": the value named its zone (or the format documents UTC); "local": converted with an offset
   * the document gave; "assumed-utc": no zone and nothing to tell one by, taken as UTC. */
  basis: "zoned" | "local" | "assumed-utc" | "none";
  /** The field the time came from (for the notes). */
  field?: string;
  /** "local": the collector's UTC offset in minutes (east positive). */
  offsetMin?: number;
  /** The event's time minus the time Sysmon wrote into the event itself (`UtcTime`), in minutes. */
  skewMin?: number;
}

const QUARTER = 15 * 60 * 1000;
/** The forwarder's UTC stamp follows the collector's receipt by the transport delay: at most this. */
const MAX_DELAY = 5 * 60 * 1000;

/**
 * The UTC offset (minutes) of a local clock, from one moment read in it (`localAsUtc`: the zone-less
 * value read as if it were UTC) and in UTC: their difference to the nearest quarter hour, when what
 * is left over is a plausible transport delay and the offset a real one (−12 h to +14 h).
 */
export function clockOffset(localAsUtc: number, utc: number): number | null {
  const diff = localAsUtc - utc;
  const offset = Math.round(diff / QUARTER) * QUARTER;
  if (Math.abs(diff - offset) > MAX_DELAY) return null;
  const min = offset / 60000 + 0; // no -0
  return min >= -12 * 60 && min <= 14 * 60 ? min : null;
}

/** The offset and skew of times, for a note: `+05:30`, `−04:00`. */
export function offsetText(min: number): string {
  const a = Math.abs(min);
  return `${min < 0 ? "-" : "+"}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

function hours(min: number): string {
  const h = Math.abs(min) / 60;
  return `${min < 0 ? "-" : "+"}${Number.isInteger(h) ? h : h.toFixed(2)} h`;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/** What the events of one file said about their clocks, summed into the file's notes. */
export class ClockNotes {
  private assumed = new Map<string, number>();
  private local = new Map<string, number>();
  private skew = new Map<number, number>();

  add(info: TimeInfo): void {
    if (info.basis === "assumed-utc") {
      const k = info.field ?? "time";
      this.assumed.set(k, (this.assumed.get(k) ?? 0) + 1);
    } else if (info.basis === "local" && info.offsetMin !== undefined) {
      const k = `${info.field ?? "time"}\u0000${info.offsetMin}`;
      this.local.set(k, (this.local.get(k) ?? 0) + 1);
    }
    if (info.skewMin !== undefined) this.skew.set(info.skewMin, (this.skew.get(info.skewMin) ?? 0) + 1);
  }

  notes(): string[] {
    const out: string[] = [];
    for (const [key, n] of this.local) {
      const [field, off] = key.split("\u0000");
      out.push(
        `${plural(n, "event")}: ${field} has no zone; read as the collector's local clock, UTC${offsetText(+off)} (its EventReceivedTime against the forwarder's @timestamp), and converted to UTC`,
      );
    }
    for (const [field, n] of this.assumed)
      out.push(
        `${plural(n, "event")}: ${field} has no zone and nothing in the event tells the collector's clock; taken as UTC (if the export was written in local time, these times are off by that machine's UTC offset)`,
      );
    for (const [min, n] of this.skew)
      out.push(
        `${plural(n, "Sysmon event")}: the exported time is ${hours(min)} from the event's own UtcTime; this export's time stamps are probably local time labelled as UTC (kept as exported)`,
      );
    return out;
  }
}
