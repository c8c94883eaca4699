// Template plans: what the scan lane reads from a template (System fields, EventData/UserData values),
// worked out once per template and then applied to every record that instantiates it, as the Rust
// evtx crate does. A plan is the Extractor's walk (extract.ts) done ahead of time with the values left
// as substitution indexes; it assumes every value is a plain scalar. A record whose values break that
// assumption (a nested BinXML value, an array) goes through the Extractor instead, so both give the
// same EventRecord (the corpus test compares every record with the element-tree view).
import type { EventRecord } from "../../model/records.js";
import {
  type ChunkContext,
  type ElementNode,
  type InstanceNode,
  K,
  type Node,
  parseStream,
  type Template,
  type ValueRef,
} from "./binxml.js";
import { type Fields, finishEvent, setOnce } from "./extract.js";
import { refText } from "./render.js";
import { isEmptyValue, scalar, T } from "./values.js";

/** Text made of literal pieces (strings) and substitution indexes (numbers). */
type Recipe = (string | number)[];

enum F {
  Provider = 0,
  EventID = 1,
  Level = 2,
  Time = 3,
  RecordID = 4,
  Channel = 5,
  Computer = 6,
  Data = 7,
  /** A section of the record, entered once (the first <Event>, <System>, <EventData>, <UserData>). */
  Section = 8,
  /** A value in a walked position: a nested BinXML value is walked in `ctx` by its own template's plan. */
  Nested = 9,
}

/** Where the walk is (extract.ts's Ctx): which elements mean what. */
enum Ctx {
  Root = 0,
  Event = 1,
  System = 2,
  Data = 3,
  User = 4,
  UserLeaf = 5,
}

/** Section flags in the record state. */
enum S {
  Event = 1,
  System = 2,
  Data = 4,
  User = 8,
}

type Op =
  | { f: F.Provider; name: Recipe | null; src: Recipe | null }
  | { f: F.EventID | F.Level | F.RecordID | F.Channel | F.Computer; text: Recipe }
  | { f: F.Time; attr: Recipe | null }
  | { f: F.Data; name: Recipe; value: Recipe }
  | { f: F.Section; flag: S; ops: Op[] }
  | { f: F.Nested; index: number; ctx: Ctx };

/** Every op gets the same fields in the same order (one object shape): the plan's loop stays monomorphic. */
function mk<O extends Op>(o: O): O {
  const x = {
    f: o.f,
    name: null,
    src: null,
    text: null,
    attr: null,
    value: null,
    flag: 0,
    ops: null,
    index: 0,
    ctx: 0,
  };
  return Object.assign(x, o) as unknown as O;
}

export interface Plan {
  ops: Op[];
  /** Substitutions read as text: a nested-BinXML or array value there needs the walk. */
  textSubsts: number[];
}

type Planned = Template & { plans?: (Plan | null)[] };

/** The template's plan for a walk position, compiled on first use and kept on the template (null: walk). */
function planOf(t: Planned, ctx: Ctx): Plan | null {
  if (!t.plans) t.plans = [];
  const plans = t.plans;
  let p = plans[ctx];
  if (p === undefined) {
    p = compile(t.nodes, ctx);
    plans[ctx] = p;
  }
  return p;
}

function compile(nodes: Node[], ctx: Ctx): Plan | null {
  const textSubsts = new Set<number>();
  const ops = walk(nodes, ctx, textSubsts, 0);
  return ops && { ops, textSubsts: [...textSubsts] };
}

/** The Extractor's walk over template nodes; null when the template holds an instance (nested template). */
function walk(nodes: Node[], ctx: Ctx, text: Set<number>, level: number): Op[] | null {
  if (level > 64) return null;
  const ops: Op[] = [];
  for (const n of nodes) {
    if (n.k === K.Instance) return null;
    if (n.k === K.Subst) ops.push(mk({ f: F.Nested, index: n.index, ctx }));
    else if (n.k === K.Element && !element(n, ctx, text, level, ops)) return null;
  }
  return ops;
}

function section(flag: S, e: ElementNode, ctx: Ctx, text: Set<number>, level: number, ops: Op[]): boolean {
  const inner = e.children ? walk(e.children, ctx, text, level + 1) : [];
  if (!inner) return false;
  ops.push(mk({ f: F.Section, flag, ops: inner }));
  return true;
}

function element(e: ElementNode, ctx: Ctx, text: Set<number>, level: number, ops: Op[]): boolean {
  switch (ctx) {
    case Ctx.Root:
      return section(S.Event, e, Ctx.Event, text, level, ops);
    case Ctx.Event:
      if (!e.children) return true;
      if (e.name === "System") return section(S.System, e, Ctx.System, text, level, ops);
      if (e.name === "EventData") return section(S.Data, e, Ctx.Data, text, level, ops);
      if (e.name === "UserData") return section(S.User, e, Ctx.User, text, level, ops);
      return true;
    case Ctx.System:
      systemOp(e, ops, text);
      return true;
    case Ctx.Data: {
      const name = e.name === "Data" ? (attrRecipe(e, "Name", text) ?? []) : [e.name];
      ops.push(mk({ f: F.Data, name, value: e.children ? recipe(e.children, text) : [] }));
      return true;
    }
    case Ctx.User: {
      if (!e.children) return true;
      const inner = walk(e.children, Ctx.UserLeaf, text, level + 1);
      if (inner) ops.push(...inner);
      return inner !== null;
    }
    case Ctx.UserLeaf: {
      if (e.children?.some((x) => x.k === K.Element)) {
        const inner = walk(e.children, Ctx.UserLeaf, text, level + 1);
        if (inner) ops.push(...inner);
        return inner !== null;
      }
      // A substitution here would be walked if it held BinXML: it is checked as text instead.
      ops.push(mk({ f: F.Data, name: [e.name], value: e.children ? recipe(e.children, text) : [] }));
      return true;
    }
  }
  return true;
}

function systemOp(e: ElementNode, ops: Op[], substs: Set<number>): void {
  const text = e.children ? recipe(e.children, substs) : [];
  switch (e.name) {
    case "Provider":
      ops.push(
        mk({
          f: F.Provider,
          name: attrRecipe(e, "Name", substs),
          src: attrRecipe(e, "EventSourceName", substs),
        }),
      );
      return;
    case "EventID":
      ops.push(mk({ f: F.EventID, text }));
      return;
    case "Level":
      ops.push(mk({ f: F.Level, text }));
      return;
    case "TimeCreated":
      ops.push(mk({ f: F.Time, attr: attrRecipe(e, "SystemTime", substs) }));
      return;
    case "EventRecordID":
      ops.push(mk({ f: F.RecordID, text }));
      return;
    case "Channel":
      ops.push(mk({ f: F.Channel, text }));
      return;
    case "Computer":
      ops.push(mk({ f: F.Computer, text }));
      return;
  }
}

/** The first attribute of that name as a recipe; null when absent. */
function attrRecipe(e: ElementNode, name: string, substs: Set<number>): Recipe | null {
  const a = e.attrs.find((x) => x.name === name);
  return a ? recipe(a.value, substs) : null;
}

/** Text content as the Extractor's text(): literal text, references, values; elements skipped. */
function recipe(nodes: Node[], substs: Set<number>): Recipe {
  const out: Recipe = [];
  const lit = (s: string) => {
    const last = out.length - 1;
    if (last >= 0 && typeof out[last] === "string") out[last] = (out[last] as string) + s;
    else out.push(s);
  };
  for (const n of nodes) {
    if (n.k === K.Text) lit(n.text);
    else if (n.k === K.Ref) lit(refText(n.ref));
    else if (n.k === K.Subst) {
      out.push(n.index);
      substs.add(n.index);
    }
  }
  return out;
}

/** Value `p` of the first `n` in `values` as text (a substitution past the values is empty). */
function slotText(b: Buffer, values: ValueRef[], n: number, p: number): string {
  if (p >= n) return "";
  const v = values[p];
  if (isEmptyValue(b, v.type, v.off, v.size)) return "";
  const x = scalar(b, v.type, v.off, v.size);
  return typeof x === "string" ? x : String(x);
}

function render(b: Buffer, r: Recipe, values: ValueRef[], n: number): string {
  if (r.length === 1) {
    const p = r[0];
    return typeof p === "string" ? p : slotText(b, values, n, p);
  }
  let s = "";
  for (let i = 0; i < r.length; i++) {
    const p = r[i];
    s += typeof p === "string" ? p : slotText(b, values, n, p);
  }
  return s;
}

/** An attribute's text; undefined when absent or empty, as the Extractor's attr(). */
function attrText(b: Buffer, r: Recipe | null, values: ValueRef[], n: number): string | undefined {
  if (r === null) return undefined;
  const t = render(b, r, values, n);
  return t === "" ? undefined : t;
}

interface State extends Fields {
  sections: number;
}

/** Thrown inside a plan when a value needs the walk; caught in applyPlan only. */
const WALK = new Error("walk");

/**
 * The EventRecord of a record that is one template instance, or null when it needs the walk (no plan,
 * a value the plan does not cover). Throws BinXmlError/ValueError on malformed input, as the walk does.
 */
export function planEvent(c: ChunkContext, root: InstanceNode, headerId: number): EventRecord | null {
  return planValues(c, root.template, root.values, root.values.length, headerId);
}

/**
 * planEvent for a record that is one instance of `template` whose values are the first `n` of
 * `values` (the reader's fast path passes a scratch array reused from record to record).
 */
export function planValues(
  c: ChunkContext,
  template: Template,
  values: ValueRef[],
  n: number,
  headerId: number,
): EventRecord | null {
  const s: State = {
    eventId: "",
    hasEventId: false,
    provider: undefined,
    sourceName: undefined,
    channel: undefined,
    computer: undefined,
    recordId: "",
    hasRecordId: false,
    time: undefined,
    level: "",
    hasLevel: false,
    data: {},
    values: [],
    sections: 0,
  };
  try {
    if (!instance(c, s, template, values, n, Ctx.Root, 0)) return null;
  } catch (e) {
    if (e === WALK) return null;
    throw e;
  }
  if (!(s.sections & S.Event)) return null;
  return finishEvent(s, headerId);
}

/** Apply the template's plan to one instance; false when it has none or a value needs the walk. */
function instance(
  c: ChunkContext,
  s: State,
  template: Template,
  values: ValueRef[],
  n: number,
  ctx: Ctx,
  depth: number,
): boolean {
  const p = planOf(template, ctx);
  if (p === null) return false;
  const t = p.textSubsts;
  for (let i = 0; i < t.length; i++) {
    if (t[i] >= n) continue;
    const v = values[t[i]];
    if (v.type === T.BinXml || (v.type & T.Array) !== 0) return false;
  }
  run(c, s, p.ops, values, n, depth);
  return true;
}

function run(c: ChunkContext, s: State, ops: Op[], values: ValueRef[], n: number, depth: number): void {
  const b = c.b;
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    switch (o.f) {
      case F.Section:
        if (!(s.sections & o.flag)) {
          s.sections |= o.flag;
          run(c, s, o.ops, values, n, depth);
        }
        break;
      case F.Nested: {
        if (o.index >= n) break;
        const v = values[o.index];
        if (v.type !== T.BinXml || v.size === 0) break;
        if (depth >= 64) throw WALK;
        const { nodes } = parseStream(c, v.off, v.off + v.size, false, depth + 1);
        for (const x of nodes) {
          if (
            x.k !== K.Instance ||
            !instance(c, s, x.template, x.values, x.values.length, o.ctx, depth + 1)
          ) {
            if (x.k === K.Instance || x.k === K.Element) throw WALK;
          }
        }
        break;
      }
      case F.Provider:
        if (s.provider === undefined && s.sourceName === undefined) {
          s.provider = attrText(b, o.name, values, n);
          s.sourceName = attrText(b, o.src, values, n);
        }
        break;
      case F.EventID:
        if (!s.hasEventId) {
          s.hasEventId = true;
          s.eventId = render(b, o.text, values, n);
        }
        break;
      case F.Level:
        if (!s.hasLevel) {
          s.hasLevel = true;
          s.level = render(b, o.text, values, n);
        }
        break;
      case F.Time:
        if (s.time === undefined) s.time = attrText(b, o.attr, values, n) ?? "";
        break;
      case F.RecordID:
        if (!s.hasRecordId) {
          s.hasRecordId = true;
          s.recordId = render(b, o.text, values, n);
        }
        break;
      case F.Channel:
        if (s.channel === undefined) s.channel = render(b, o.text, values, n);
        break;
      case F.Computer:
        if (s.computer === undefined) s.computer = render(b, o.text, values, n);
        break;
      case F.Data: {
        const v = render(b, o.value, values, n);
        const name = render(b, o.name, values, n);
        s.values.push(v);
        if (name) setOnce(s.data, name, v);
        break;
      }
    }
  }
}
