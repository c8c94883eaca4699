// Benchmark: the event-export readers and event detections over exported Windows events (evtx_dump JSON
// lines and wevtutil-style XML, 8 files each), against a reference tool that parses the same bytes:
// jq for the JSON lines, xmllint --stream for the XML; ripgrep counting one literal is the ceiling.
// Usage: npx tsx bench/events.bench.ts [--mb N] [--runs N] [--quick]
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rng } from "../examples/generate.js";
import { median, numArg, pair, type Run, runOnce, table, which, writeParts } from "./lib.js";

const QUICK = process.argv.includes("--quick");
const MB = numArg("--mb", QUICK ? 40 : 100);
const RUNS = numArg("--runs", 3);
const FILES = 8;
const VERSION = "events-v1";
const ROOT = join(process.cwd(), ".bench", `events-${MB}m`);

interface Ev {
  time: Date;
  provider: string;
  channel: string;
  id: number;
  level: number;
  named: Record<string, string> | null;
  values: string[];
}

/** A realistic mix: Sysmon process creations, Exchange cmdlets, Application information events. */
function background(r: () => number, t: Date, i: number): Ev {
  const k = r();
  if (k < 0.45) {
    const exe = ["svchost.exe", "conhost.exe", "MSExchangeHMWorker.exe", "csc.exe", "WmiPrvSE.exe"][i % 5];
    return {
      time: t,
      provider: "Microsoft-Windows-Sysmon",
      channel: "Microsoft-Windows-Sysmon/Operational",
      id: 1,
      level: 4,
      named: {
        RuleName: "-",
        UtcTime: t.toISOString().replace("T", " ").slice(0, 23),
        ProcessGuid: `{94F748D5-${(i % 65536).toString(16).padStart(4, "0")}-5A42-0000-0010D265F20F}`,
        ProcessId: String(1000 + (i % 60000)),
        Image: `C:\\Windows\\System32\\${exe}`,
        CommandLine: `${exe} -k netsvcs -p -s Schedule ${i}`,
        CurrentDirectory: "C:\\Windows\\system32\\",
        User: "NT AUTHORITY\\SYSTEM",
        IntegrityLevel: "System",
        Hashes: `SHA256=${(i * 2654435761).toString(16).padStart(64, "0").slice(0, 64)}`,
        ParentImage: "C:\\Windows\\System32\\services.exe",
        ParentCommandLine: "C:\\Windows\\system32\\services.exe",
      },
      values: [],
    };
  }
  if (k < 0.8) {
    return {
      time: t,
      provider: "MSExchange CmdletLogs",
      channel: "MSExchange Management",
      id: 1,
      level: 4,
      named: null,
      values: [
        ["Get-Mailbox", "Get-MailboxDatabase", "Set-OwaVirtualDirectory", "Get-ExchangeServer"][i % 4],
        i % 4 === 2
          ? '-ExternalUrl "https://mail.contoso.com/owa" -Identity "owa"'
          : `-Identity "user${i % 500}"`,
        "contoso.local/Users/Administrator",
        "S-1-5-21-1004336348-1177238915-682003330-500",
        "S-1-5-21-1004336348-1177238915-682003330-500",
        "Remote-ManagementShell-Unknown",
        "6140 w3wp#MSExchangePowerShellAppPool",
        "",
        "12",
        "00:00:00.0468750",
      ],
    };
  }
  return {
    time: t,
    provider: "MSExchange ADAccess",
    channel: "Application",
    id: 2080,
    level: 4,
    named: null,
    values: [
      `Process Microsoft.Exchange.Directory.TopologyService.exe (PID=3012). Servers: DC0${i % 3}.contoso.local`,
    ],
  };
}

function planted(t: Date, n: number): Ev {
  return n % 2 === 0
    ? {
        time: t,
        provider: "MSExchange Unified Messaging",
        channel: "Application",
        id: 1040,
        level: 2,
        named: null,
        values: ["System.InvalidCastException: Unable to cast object (bench)"],
      }
    : {
        time: t,
        provider: "MSExchange CmdletLogs",
        channel: "MSExchange Management",
        id: 1,
        level: 4,
        named: null,
        values: [
          "Set-OabVirtualDirectory",
          '-ExternalUrl "http://f/<script>function Page_Load(){}</script>"',
        ],
      };
}

function jsonLine(e: Ev, rid: number): string {
  const data = e.named ?? { Data: { "#text": e.values } };
  return JSON.stringify({
    Event: {
      "#attributes": { xmlns: "http://schemas.microsoft.com/win/2004/08/events/event" },
      System: {
        Provider: { "#attributes": { Name: e.provider } },
        EventID: e.id,
        Level: e.level,
        TimeCreated: { "#attributes": { SystemTime: e.time.toISOString() } },
        EventRecordID: rid,
        Channel: e.channel,
        Computer: "EXCH01.contoso.local",
      },
      EventData: data,
    },
  });
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function xmlEvent(e: Ev, rid: number): string {
  const data = e.named
    ? Object.entries(e.named).map(([k, v]) => `<Data Name="${k}">${esc(v)}</Data>`)
    : e.values.map((v) => `<Data>${esc(v)}</Data>`);
  return (
    `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="${e.provider}"/>` +
    `<EventID>${e.id}</EventID><Level>${e.level}</Level><TimeCreated SystemTime="${e.time.toISOString()}"/>` +
    `<EventRecordID>${rid}</EventRecordID><Channel>${e.channel}</Channel><Computer>EXCH01.contoso.local</Computer>` +
    `</System><EventData>${data.join("")}</EventData></Event>`
  );
}

interface Corpus {
  bytes: Record<"json" | "xml", number>;
  events: number;
  planted: number;
}

/** Writes both corpora once (cached under .bench/): the same events as JSON lines and as XML. */
async function corpus(): Promise<Corpus> {
  const marker = join(ROOT, "READY");
  if (existsSync(marker) && readFileSync(marker, "utf8").startsWith(VERSION)) {
    return JSON.parse(readFileSync(marker, "utf8").slice(VERSION.length + 1));
  }
  rmSync(ROOT, { recursive: true, force: true });
  mkdirSync(join(ROOT, "json"), { recursive: true });
  mkdirSync(join(ROOT, "xml"), { recursive: true });
  process.stderr.write(`generating ${MB} MB of exported events in ${ROOT} ...\n`);
  const r = rng(7);
  const per = (MB * 2 ** 20) / FILES;
  const out: Corpus = { bytes: { json: 0, xml: 0 }, events: 0, planted: 0 };
  let t = Date.parse("2021-03-01T00:00:00Z");
  for (let f = 0; f < FILES; f++) {
    const json: string[] = [];
    const xml: string[] = ['<?xml version="1.0" encoding="utf-8"?>\n<Events>\n'];
    let size = 0;
    let i = 0;
    const plantAt = 1000 + Math.floor(r() * 1000);
    while (size < per) {
      const e = i === plantAt ? planted(new Date(t), out.planted++) : background(r, new Date(t), i);
      const j = jsonLine(e, ++out.events);
      json.push(`${j}\n`);
      xml.push(`${xmlEvent(e, out.events)}\n`);
      size += j.length + 1;
      t += 250;
      i++;
    }
    xml.push("</Events>\n");
    await writeParts(join(ROOT, "json", `events-${f}.jsonl`), json);
    await writeParts(join(ROOT, "xml", `events-${f}.xml`), xml);
    out.bytes.json += statSync(join(ROOT, "json", `events-${f}.jsonl`)).size;
    out.bytes.xml += statSync(join(ROOT, "xml", `events-${f}.xml`)).size;
  }
  writeFileSync(marker, `${VERSION} ${JSON.stringify(out)}`);
  return out;
}

async function main(): Promise<void> {
  const bin = join(process.cwd(), "dist/cli/exhunt.js");
  if (!existsSync(bin)) throw new Error("run `npm run build` first");
  const c = await corpus();
  const files = (kind: "json" | "xml") =>
    Array.from({ length: FILES }, (_, f) =>
      join(ROOT, kind, `events-${f}.${kind === "json" ? "jsonl" : "xml"}`),
    );
  const rows: (string | number)[][] = [["command", "input", "median s", "MB/s", "events/s", "peak RSS MiB"]];
  const fmt = (name: string, kind: "json" | "xml", runs: Run[]) => {
    const s = median(runs.map((r) => r.seconds));
    const rss = runs.map((r) => r.peakMiB).filter((x): x is number => x !== null);
    const mb = c.bytes[kind] / 2 ** 20;
    rows.push([
      name,
      `${mb.toFixed(0)} MB ${kind}`,
      s.toFixed(2),
      (mb / s).toFixed(0),
      `${(c.events / s / 1000).toFixed(0)}k`,
      rss.length ? Math.max(...rss).toFixed(0) : "n/a",
    ]);
  };
  const ratios: string[] = [];
  for (const kind of ["json", "xml"] as const) {
    const dir = join(ROOT, kind);
    const exhunt: [string, string[]] = [process.execPath, [bin, "scan", dir, "--brief", "--no-progress"]];
    const check = await runOnce(process.execPath, [bin, "scan", dir, "--json", "-", "--no-progress"]);
    const found = (JSON.parse(check.stdout || "{}").servers?.[0]?.findings ?? []).filter(
      (f: { check: string }) => f.check !== "log-coverage",
    ).length;
    if (check.status !== 1 || found !== c.planted) {
      throw new Error(
        `exhunt found ${found} of the ${c.planted} planted events in ${kind} (status ${check.status})`,
      );
    }
    const single: [string, string[]] = [
      process.execPath,
      [bin, "scan", dir, "--brief", "--no-progress", "--workers", "0"],
    ];
    const reference: [string, string[]] | null =
      kind === "json"
        ? which("jq")
          ? ["jq", ["-c", ".Event.System.EventID", ...files(kind)]]
          : null
        : which("xmllint")
          ? ["xmllint", ["--stream", "--noout", ...files(kind)]]
          : null;
    if (reference) {
      const p = await pair(exhunt, reference, RUNS);
      fmt("exhunt scan (default threads)", kind, p.a);
      fmt(kind === "json" ? "jq -c .Event.System.EventID" : "xmllint --stream --noout", kind, p.b);
      const s = await pair(single, reference, Math.max(2, Math.floor(RUNS / 2)));
      fmt("exhunt scan --workers 0", kind, s.a);
      ratios.push(
        `${kind}: exhunt/${reference[0]} time ratio ${p.ratio.toFixed(2)}x (default threads), ${s.ratio.toFixed(2)}x (1 thread)`,
      );
    } else {
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await runOnce(...exhunt));
      fmt("exhunt scan (default threads)", kind, runs);
      ratios.push(`${kind}: no reference tool installed`);
    }
    if (which("rg")) {
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++)
        runs.push(await runOnce("rg", ["-c", "-F", "InvalidCastException", dir]));
      fmt("rg -c -F InvalidCastException (ceiling)", kind, runs);
    }
  }
  console.log(table(rows));
  console.log(
    `\n${c.events} events per format in ${FILES} files each, ${c.planted} planted attack events found in both`,
  );
  for (const r of ratios) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
