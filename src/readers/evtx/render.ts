// Template instances + values → a resolved element tree (XElement), then the views we need: XML for
// display, the Rust evtx crate's JSON layout (to compare with its published renderings), and the
// project's EventRecord. Substitution semantics follow the Rust crate (see docs/evtx.md): an optional
// empty value contributes nothing, elements are kept, arrays repeat their element when they hold
// more than one item.
import { BinXmlError, type ChunkContext, K, type Node, parseStream, type ValueRef } from "./binxml.js";
import { arrayItems, isEmptyValue, type Scalar, scalar, T } from "./values.js";

/** Content of a resolved element: text pieces (typed where the value was), references, elements. */
export type XContent = Scalar | XRef | XElement;
export interface XRef {
  ref: string;
}
export interface XElement {
  name: string;
  attrs: { name: string; value: Scalar }[];
  children: XContent[];
}

/** A value slot: bytes in the chunk, or one item of an expanded array. */
type Slot = ValueRef | { item: Scalar };

const ENTITIES: Record<string, string> = { quot: '"', amp: "&", lt: "<", gt: ">", apos: "'" };

/** The text a reference stands for. */
export function refText(ref: string): string {
  if (ref.startsWith("#")) return String.fromCodePoint(Number(ref.slice(1)) || 0xfffd);
  return ENTITIES[ref] ?? `&${ref};`;
}

export function isElement(x: XContent): x is XElement {
  return typeof x === "object" && "name" in x;
}

/** Resolve a parsed stream into elements (and stray text, which callers ignore at top level). */
export function resolveNodes(
  c: ChunkContext,
  nodes: Node[],
  slots: Slot[],
  out: XContent[],
  depth: number,
): void {
  if (depth > 64) throw new BinXmlError("template instances nested too deeply");
  for (const n of nodes) {
    switch (n.k) {
      case K.Element:
        resolveElement(c, n, slots, out, depth);
        break;
      case K.Text:
        out.push(n.text);
        break;
      case K.Ref:
        out.push({ ref: n.ref });
        break;
      case K.Subst:
        resolveSubst(c, n.index, n.optional, slots, out, depth);
        break;
      case K.Instance:
        resolveNodes(c, n.template.nodes, n.values, out, depth + 1);
        break;
      case K.PI:
        break;
    }
  }
}

function resolveSubst(
  c: ChunkContext,
  index: number,
  optional: boolean,
  slots: Slot[],
  out: XContent[],
  depth: number,
) {
  const v = slots[index];
  if (v === undefined) return;
  if ("item" in v) {
    // An empty item of an expanded array leaves its element without content (as the Rust crate does).
    if (v.item !== "") out.push(v.item);
    return;
  }
  const b = c.b;
  if (isEmptyValue(b, v.type, v.off, v.size)) {
    if (!optional) out.push("");
    return;
  }
  if (v.type === T.BinXml) {
    const { nodes } = parseStream(c, v.off, v.off + v.size, false, depth + 1);
    resolveNodes(c, nodes, [], out, depth + 1);
    return;
  }
  if (v.type & T.Array) {
    const items = arrayItems(b, v.type, v.off, v.size);
    if (items.length === 0) {
      if (!optional) out.push("");
      return;
    }
    out.push(items.length === 1 ? items[0] : items.join(","));
    return;
  }
  out.push(scalar(b, v.type, v.off, v.size));
}

/** The index of the first multi-item array substituted directly in an element's content or attributes. */
function arrayToExpand(
  c: ChunkContext,
  n: Extract<Node, { k: K.Element }>,
  slots: Slot[],
): [number, Scalar[]] | null {
  const pick = (nodes: Node[]): [number, Scalar[]] | null => {
    for (const x of nodes) {
      if (x.k !== K.Subst) continue;
      const v = slots[x.index];
      if (!v || "item" in v || !(v.type & T.Array) || v.size === 0) continue;
      const items = arrayItems(c.b, v.type, v.off, v.size);
      if (items.length > 1) return [x.index, items];
    }
    return null;
  };
  if (n.children) {
    const r = pick(n.children);
    if (r) return r;
  }
  for (const a of n.attrs) {
    const r = pick(a.value);
    if (r) return r;
  }
  return null;
}

function resolveElement(
  c: ChunkContext,
  n: Extract<Node, { k: K.Element }>,
  slots: Slot[],
  out: XContent[],
  depth: number,
) {
  const expand = slots.length ? arrayToExpand(c, n, slots) : null;
  if (expand) {
    const [index, items] = expand;
    for (const item of items) {
      const copy = slots.slice();
      copy[index] = { item };
      out.push(buildElement(c, n, copy, depth));
    }
    return;
  }
  out.push(buildElement(c, n, slots, depth));
}

function buildElement(
  c: ChunkContext,
  n: Extract<Node, { k: K.Element }>,
  slots: Slot[],
  depth: number,
): XElement {
  const attrs: XElement["attrs"] = [];
  for (const a of n.attrs) {
    const parts: XContent[] = [];
    resolveNodes(c, a.value, slots, parts, depth);
    const value = flatten(parts);
    if (value !== "") attrs.push({ name: a.name, value });
  }
  const children: XContent[] = [];
  if (n.children) resolveNodes(c, n.children, slots, children, depth);
  return { name: n.name, attrs, children };
}

/** Text-only content as one value: a lone typed value keeps its type, anything else joins as a string. */
export function flatten(parts: XContent[]): Scalar {
  if (parts.length === 1 && !isElement(parts[0])) {
    const p = parts[0];
    return typeof p === "object" ? refText(p.ref) : p;
  }
  let s = "";
  for (const p of parts) {
    if (typeof p === "object") {
      if (!isElement(p)) s += refText(p.ref);
    } else s += String(p);
  }
  return s;
}

/** The text of an element: its non-element content, concatenated. */
export function textOf(e: XElement): string {
  const v = flatten(e.children.filter((x) => !isElement(x)));
  return typeof v === "string" ? v : String(v);
}

export function child(e: XElement | undefined, name: string): XElement | undefined {
  if (!e) return undefined;
  for (const x of e.children) if (isElement(x) && x.name === name) return x;
  return undefined;
}

export function attr(e: XElement | undefined, name: string): Scalar | undefined {
  return e?.attrs.find((a) => a.name === name)?.value;
}
