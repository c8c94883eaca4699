// Rule files (YAML, with the `yaml` package) to compiled rules, correlation rules and load problems.
// A file may hold several documents (Sigma 2 correlations sit next to their rules). Every document
// becomes a rule or a LoadProblem that names the exact reason: nothing is dropped silently.
import { isMap, isScalar, isSeq, type Node, parseAllDocuments } from "yaml";
import { compileDetection, parseTimespan } from "./compile.js";
import { W3C_PLUS_FIELDS } from "./logsources.js";
import {
  type CompiledRule,
  type CompileOptions,
  type CorrelationRule,
  type CorrelationType,
  invalid,
  type LoadProblem,
  type LogSource,
  RuleError,
  SIGMA_LEVELS,
  type SigmaLevel,
  type SigmaRuleMeta,
  unsupported,
} from "./types.js";

export interface LoadedRules {
  rules: CompiledRule[];
  correlations: CorrelationRule[];
  problems: LoadProblem[];
}

/**
 * A YAML node as plain data. Plain numbers whose text is not their canonical form (`0x1010`, `1.50`,
 * `007`) stay strings: a Sigma value is compared as written, and YAML's number reading would change it.
 */
function toPlain(n: Node | null | undefined): unknown {
  if (n === null || n === undefined) return null;
  if (isScalar(n)) {
    const v = n.value;
    if (typeof v === "number" && typeof n.source === "string" && n.source !== String(v)) return n.source;
    if (typeof v === "bigint") return String(v);
    if (v instanceof Date) return n.source ?? v.toISOString();
    return v;
  }
  if (isSeq(n)) return n.items.map((x) => toPlain(x as Node));
  if (isMap(n)) {
    const o: Record<string, unknown> = {};
    for (const p of n.items) {
      // An own property even for `__proto__` (plain assignment would set the prototype), as JSON.parse does.
      Object.defineProperty(o, String(toPlain(p.key as Node)), {
        value: toPlain(p.value as Node),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return o;
  }
  throw invalid(`unsupported YAML node ${n.constructor.name}`);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : null;
const strList = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(str).filter((x): x is string => x !== null) : str(v) ? [str(v) as string] : [];

function metaOf(doc: Obj, file: string, licence: string | null): SigmaRuleMeta {
  const level = (str(doc.level) ?? "medium").toLowerCase();
  if (!SIGMA_LEVELS.includes(level as SigmaLevel)) throw invalid(`level: '${level}' is not a Sigma level`);
  const title = str(doc.title);
  if (!title) throw invalid("title: missing");
  return {
    id: str(doc.id) ?? file,
    title,
    level: level as SigmaLevel,
    status: str(doc.status),
    author: str(doc.author),
    references: strList(doc.references),
    tags: strList(doc.tags),
    licence: str(doc.license) ?? str(doc.licence) ?? licence,
    file,
    description: str(doc.description),
    falsepositives: strList(doc.falsepositives),
  };
}

function logsourceOf(v: unknown): LogSource {
  if (!isObj(v)) throw invalid("logsource: missing or not a map");
  const ls: LogSource = {};
  for (const k of ["product", "service", "category"] as const) {
    const s = str(v[k]);
    if (s) ls[k] = s;
  }
  return ls;
}

const CONDITION_OPS = ["gt", "gte", "lt", "lte", "eq"] as const;
const CORRELATION_TYPES: readonly CorrelationType[] = [
  "event_count",
  "value_count",
  "temporal",
  "temporal_ordered",
];

function aliasesOf(v: unknown): CorrelationRule["aliases"] {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw invalid("correlation aliases: not a map of alias → {rule: field}");
  const out: CorrelationRule["aliases"] = {};
  for (const [alias, per] of Object.entries(v)) {
    if (!isObj(per)) throw invalid(`correlation alias ${alias}: not a map of rule name → field`);
    const m: Record<string, string> = {};
    for (const [rule, field] of Object.entries(per)) {
      const f = str(field);
      if (!f) throw invalid(`correlation alias ${alias}: the field for ${rule} is not a name`);
      m[rule] = f;
    }
    out[alias] = m;
  }
  return out;
}

function correlationOf(doc: Obj, meta: SigmaRuleMeta): CorrelationRule {
  const c = doc.correlation;
  if (!isObj(c)) throw invalid("correlation: not a map");
  const type = str(c.type);
  if (!CORRELATION_TYPES.includes(type as CorrelationType))
    throw unsupported(`correlation type '${type}' (${CORRELATION_TYPES.join(", ")} are supported)`);
  const temporal = type === "temporal" || type === "temporal_ordered";
  const rules = strList(c.rules);
  if (rules.length === 0) throw invalid("correlation: no rules");
  const cond = c.condition;
  if (!isObj(cond) && !(temporal && cond === undefined))
    throw invalid("correlation: condition must be a map like {gte: 10}");
  const condition: CorrelationRule["condition"] = {};
  for (const [k, v] of Object.entries(isObj(cond) ? cond : {})) {
    if (type === "value_count" && k === "field") continue;
    if (!(CONDITION_OPS as readonly string[]).includes(k)) throw unsupported(`correlation condition '${k}'`);
    if (typeof v !== "number") throw invalid(`correlation condition ${k}: not a number`);
    if (temporal && k !== "gt" && k !== "gte")
      throw unsupported(
        `correlation condition '${k}' for ${type} (gt and gte are supported: a lower bound of rules seen)`,
      );
    condition[k as (typeof CONDITION_OPS)[number]] = v;
  }
  // temporal without a condition: every referenced rule must be seen in the timespan.
  if (temporal && Object.keys(condition).length === 0) condition.gte = rules.length;
  if (Object.keys(condition).length === 0) throw invalid("correlation: empty condition");
  const field = str(isObj(cond) ? cond.field : null) ?? str(c.field);
  if (type === "value_count" && !field) throw invalid("value_count: no field");
  // Whether an alias names one of the referenced rules is checked with the whole set (ruleset.ts).
  const aliases = aliasesOf(c.aliases);
  return {
    meta,
    type: type as CorrelationType,
    name: str(doc.name),
    rules,
    groupBy: strList(c["group-by"]),
    aliases,
    timespanMs: parseTimespan(c.timespan ?? c.timeframe),
    field: type === "value_count" ? field : null,
    condition,
    generate: c.generate === true,
  };
}

/**
 * One rule file's YAML as plain data, before any rule is read from it: the file's parse error, or per
 * document its value or the reason it is not one. JSON-safe (sigma/cache.ts stores it as JSON).
 */
export type ParsedRuleFile = { error: string } | { docs: ParsedDoc[] };
export type ParsedDoc = { value: unknown } | { error: string };

/** The YAML step of loading (the costly one: ~0.5 ms per SigmaHQ file against ~0.05 ms to compile). */
export function parseRuleText(text: string): ParsedRuleFile {
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { uniqueKeys: false });
  } catch (e) {
    return { error: `YAML: ${(e as Error).message}` };
  }
  const list = Array.isArray(docs) ? docs : [docs];
  return {
    docs: list.map((d): ParsedDoc => {
      if (d.errors.length > 0) return { error: `YAML: ${d.errors[0].message.split("\n")[0]}` };
      try {
        return { value: toPlain(d.contents as Node) };
      } catch (e) {
        return { error: (e as Error).message };
      }
    }),
  };
}

/** Load the rules of one file's text. `licence`: the licence of the set the file belongs to, if known. */
export function loadRuleText(
  text: string,
  file: string,
  o: CompileOptions = {},
  licence: string | null = null,
): LoadedRules {
  return compileParsed(parseRuleText(text), file, o, licence);
}

/** The rules of one parsed file (parseRuleText's result, fresh or from the cache). */
export function compileParsed(
  parsed: ParsedRuleFile,
  file: string,
  o: CompileOptions = {},
  licence: string | null = null,
): LoadedRules {
  const out: LoadedRules = { rules: [], correlations: [], problems: [] };
  if ("error" in parsed) {
    out.problems.push({ file, id: null, title: null, kind: "invalid", reason: parsed.error });
    return out;
  }
  for (const d of parsed.docs) {
    if ("error" in d) {
      out.problems.push({ file, id: null, title: null, kind: "invalid", reason: d.error });
      continue;
    }
    const doc = d.value;
    const problem = (kind: "unsupported" | "invalid", reason: string) => {
      const o2 = isObj(doc) ? doc : {};
      out.problems.push({ file, id: str(o2.id), title: str(o2.title), kind, reason });
    };
    try {
      if (doc === null) continue; // an empty document (a trailing `---`)
      if (!isObj(doc)) throw invalid("a rule must be a YAML map");
      if (str(doc.action)) throw unsupported(`multi-document rule collection (action: ${str(doc.action)})`);
      const meta = metaOf(doc, file, licence);
      if (doc.correlation !== undefined) {
        out.correlations.push(correlationOf(doc, meta));
        continue;
      }
      const logsource = logsourceOf(doc.logsource);
      const web = logsource.category?.toLowerCase() === "webserver";
      const det = compileDetection(doc.detection, web ? { ...o, normalise: W3C_PLUS_FIELDS } : o, web);
      out.rules.push({
        meta,
        logsource,
        match: det.match,
        eventIds: det.eventIds,
        fields: det.fields,
        keys: det.keys,
        anchors: det.anchors,
        lineLiterals: det.lineLiterals,
        webAnchors: det.webAnchors,
        name: str(doc.name),
        generate: true,
      });
    } catch (e) {
      if (e instanceof RuleError) problem(e.kind, e.message);
      else problem("invalid", `cannot compile: ${(e as Error).message}`);
    }
  }
  return out;
}
