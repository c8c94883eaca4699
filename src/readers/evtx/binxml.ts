// BinXML token stream → a small node tree (MS-EVEN6 §2.2.12, EVTX chunk-relative names and templates).
// Template definitions are parsed once per chunk and cached by their offset; every offset and size read
// from the file is checked against the chunk, recursion is bounded, and a template that references
// itself is refused.
import { utf16 } from "./values.js";

/**
 * Malformed BinXML. Carving tries record headers found in slack space, and noise fails as this error
 * thousands of times per file (6,700 on the 200 MB bench file): it carries no stack, whose capture
 * was 3 % of the parser's time. The message names the offset; a bug in the parser is another error
 * and keeps its stack.
 */
export class BinXmlError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/** A substitution value of a template instance: where its bytes are in the chunk. */
export interface ValueRef {
  type: number;
  off: number;
  size: number;
}

export enum K {
  Element = 0,
  Text = 1,
  Subst = 2,
  Ref = 3,
  Instance = 4,
  PI = 5,
}

export interface ElementNode {
  k: K.Element;
  name: string;
  attrs: AttrNode[];
  /** null: closed empty (`/>`). */
  children: Node[] | null;
  /** Memo for the fast lane: substitution indexes in content and attributes. */
  substs?: number[];
  /** Memo for the fast lane: the Name attribute when it is literal text (null: absent or not literal). */
  litName?: string | null;
}
export interface AttrNode {
  name: string;
  value: Node[];
}
export interface TextNode {
  k: K.Text;
  text: string;
  cdata: boolean;
}
export interface SubstNode {
  k: K.Subst;
  index: number;
  optional: boolean;
}
/** Entity (`&name;`) or character (`&#N;`) reference, kept as written. */
export interface RefNode {
  k: K.Ref;
  ref: string;
}
export interface InstanceNode {
  k: K.Instance;
  template: Template;
  values: ValueRef[];
  /**
   * Whether the instance's template id (4 bytes after the token) is the first 4 bytes of the GUID of
   * the definition it points at, as in every record a chunk still counts (18,398 of 18,398 in the
   * corpus). A carved record in slack whose offset now points at another template fails it.
   */
  idMatches: boolean;
}
export interface PINode {
  k: K.PI;
  target: string;
  data: string;
}
export type Node = ElementNode | TextNode | SubstNode | RefNode | InstanceNode | PINode;

export interface Template {
  offset: number;
  guid: string;
  nodes: Node[];
}

/** Limits against crafted input. */
export const LIMITS = { depth: 64, elements: 512, values: 4096, nodesPerRecord: 200_000 };

/** Per-chunk parsing state: the chunk's bytes and its name and template caches. */
export class ChunkContext {
  readonly names = new Map<number, string>();
  readonly templates = new Map<number, Template>();
  private readonly building = new Set<number>();
  /** Node budget of the record being parsed (bounded work per record). */
  budget = LIMITS.nodesPerRecord;
  /** Value descriptors of the record being read by the fast path (record.ts), reused from record to record. */
  readonly scratch: ValueRef[] = [];

  constructor(readonly b: Buffer) {}

  /** A name at `off`; `cursor` is the position right after its u32 offset (inline when equal). */
  name(off: number, cursor: number): [string, number] {
    const b = this.b;
    if (off < 0 || off + 8 > b.length)
      throw new BinXmlError(`name offset 0x${off.toString(16)} outside the chunk`);
    let name = this.names.get(off);
    const n = b.readUInt16LE(off + 6);
    if (name === undefined) {
      if (off + 8 + 2 * n > b.length)
        throw new BinXmlError(`name at 0x${off.toString(16)} runs past the chunk`);
      name = utf16(b, off + 8, off + 8 + 2 * n);
      this.names.set(off, name);
    }
    return [name, off === cursor ? cursor + 10 + 2 * n : cursor];
  }

  template(off: number, depth: number): Template {
    const cached = this.templates.get(off);
    if (cached) return cached;
    const b = this.b;
    if (off < 512 || off + 24 > b.length)
      throw new BinXmlError(`template offset 0x${off.toString(16)} outside the chunk`);
    if (this.building.has(off)) throw new BinXmlError(`template at 0x${off.toString(16)} references itself`);
    const size = b.readUInt32LE(off + 20);
    const end = Math.min(off + 24 + size, b.length);
    this.building.add(off);
    try {
      const guid = b.toString("hex", off + 4, off + 20);
      const { nodes } = parseStream(this, off + 24, end, true, depth + 1);
      const t: Template = { offset: off, guid, nodes };
      this.templates.set(off, t);
      return t;
    } finally {
      this.building.delete(off);
    }
  }
}

function need(c: ChunkContext, pos: number, n: number, end: number): void {
  if (pos + n > end) throw new BinXmlError(`truncated BinXML at chunk offset 0x${pos.toString(16)}`);
  if (--c.budget < 0) throw new BinXmlError("record too complex (node budget exhausted)");
}

/**
 * Parse a stream (record, template body or nested value) from `pos` to its EOF token or `end`.
 * `inTemplate`: elements carry a dependency id (template definition bodies only).
 */
export function parseStream(
  c: ChunkContext,
  pos: number,
  end: number,
  inTemplate: boolean,
  depth: number,
): { nodes: Node[]; pos: number } {
  if (depth > LIMITS.depth) throw new BinXmlError("BinXML nested too deeply");
  const b = c.b;
  const nodes: Node[] = [];
  while (pos < end) {
    need(c, pos, 1, end);
    const tok = b[pos];
    switch (tok & 0x1f) {
      case 0x00:
        return { nodes, pos: pos + 1 };
      case 0x0f:
        pos += 4;
        break;
      case 0x0c: {
        const r = parseInstance(c, pos, end, depth);
        nodes.push(r.node);
        pos = r.pos;
        break;
      }
      case 0x01: {
        const r = parseElement(c, pos, end, inTemplate, depth, 0);
        nodes.push(r.node);
        pos = r.pos;
        break;
      }
      case 0x0a: {
        const r = parsePI(c, pos, end);
        nodes.push(r.node);
        pos = r.pos;
        break;
      }
      default:
        throw new BinXmlError(`unexpected token 0x${tok.toString(16)} at chunk offset 0x${pos.toString(16)}`);
    }
  }
  return { nodes, pos };
}

function parsePI(c: ChunkContext, pos: number, end: number): { node: PINode; pos: number } {
  const b = c.b;
  need(c, pos, 5, end);
  const [target, p1] = c.name(b.readUInt32LE(pos + 1), pos + 5);
  let p = p1;
  let data = "";
  if (p < end && (b[p] & 0x1f) === 0x0b) {
    need(c, p, 3, end);
    const n = b.readUInt16LE(p + 1);
    need(c, p + 3, 2 * n, end);
    data = utf16(b, p + 3, p + 3 + 2 * n);
    p += 3 + 2 * n;
  }
  return { node: { k: K.PI, target, data }, pos: p };
}

function parseInstance(
  c: ChunkContext,
  pos: number,
  end: number,
  depth: number,
): { node: InstanceNode; pos: number } {
  const b = c.b;
  need(c, pos, 10, end);
  const defOff = b.readUInt32LE(pos + 6);
  let p = pos + 10;
  if (defOff === p) {
    need(c, p, 24, end);
    p += 24 + b.readUInt32LE(p + 20);
  }
  const template = c.template(defOff, depth);
  const idMatches = defOff + 8 <= b.length && b.readUInt32LE(pos + 2) === b.readUInt32LE(defOff + 4);
  need(c, p, 4, end);
  const n = b.readUInt32LE(p);
  p += 4;
  if (n > LIMITS.values) throw new BinXmlError(`template instance declares ${n} values`);
  need(c, p, 4 * n, end);
  const values: ValueRef[] = new Array(n);
  let v = p + 4 * n;
  for (let i = 0; i < n; i++) {
    const size = b.readUInt16LE(p + 4 * i);
    const type = b[p + 4 * i + 2];
    values[i] = { type, off: v, size };
    v += size;
  }
  if (v > end)
    throw new BinXmlError(
      `template values run past their stream (0x${v.toString(16)} > 0x${end.toString(16)})`,
    );
  return { node: { k: K.Instance, template, values, idMatches }, pos: v };
}

/** A text node whose 16-bit character count sits `at` bytes after the token. */
function countedText(
  c: ChunkContext,
  pos: number,
  at: number,
  end: number,
  cdata: boolean,
): { node: Node; pos: number } {
  need(c, pos, at + 2, end);
  const n = c.b.readUInt16LE(pos + at);
  const from = pos + at + 2;
  need(c, from, 2 * n, end);
  return { node: { k: K.Text, text: utf16(c.b, from, from + 2 * n), cdata }, pos: from + 2 * n };
}

/** Value-ish tokens allowed in attribute values and element content. */
function parseLeaf(c: ChunkContext, pos: number, end: number): { node: Node; pos: number } | null {
  const b = c.b;
  switch (b[pos] & 0x1f) {
    case 0x05:
      // Value text: token, value type, then the counted UTF-16 string.
      return countedText(c, pos, 2, end, false);
    case 0x07:
      // CDATA section: token, then the counted UTF-16 string.
      return countedText(c, pos, 1, end, true);
    case 0x08:
      need(c, pos, 3, end);
      return { node: { k: K.Ref, ref: `#${b.readUInt16LE(pos + 1)}` }, pos: pos + 3 };
    case 0x09: {
      need(c, pos, 5, end);
      const [ref, p] = c.name(b.readUInt32LE(pos + 1), pos + 5);
      return { node: { k: K.Ref, ref }, pos: p };
    }
    case 0x0d:
    case 0x0e:
      need(c, pos, 4, end);
      return {
        node: { k: K.Subst, index: b.readUInt16LE(pos + 1), optional: (b[pos] & 0x1f) === 0x0e },
        pos: pos + 4,
      };
    default:
      return null;
  }
}

function parseElement(
  c: ChunkContext,
  pos: number,
  end: number,
  inTemplate: boolean,
  depth: number,
  level: number,
): { node: ElementNode; pos: number } {
  if (level > LIMITS.elements) throw new BinXmlError("elements nested too deeply");
  const b = c.b;
  const hasAttrs = (b[pos] & 0x40) !== 0;
  let p = pos + 1 + (inTemplate ? 2 : 0);
  need(c, p, 8, end);
  p += 4; // element byte length: not needed for a linear parse
  const [name, p1] = c.name(b.readUInt32LE(p), p + 4);
  p = p1;
  if (hasAttrs) p += 4;
  const attrs: AttrNode[] = [];
  while (true) {
    need(c, p, 1, end);
    if ((b[p] & 0x1f) !== 0x06) break;
    need(c, p, 5, end);
    const [an, p2] = c.name(b.readUInt32LE(p + 1), p + 5);
    p = p2;
    const value: Node[] = [];
    while (p < end) {
      const leaf = parseLeaf(c, p, end);
      if (!leaf) break;
      value.push(leaf.node);
      p = leaf.pos;
    }
    attrs.push({ name: an, value });
  }
  need(c, p, 1, end);
  const close = b[p] & 0x1f;
  if (close === 0x03) return { node: { k: K.Element, name, attrs, children: null }, pos: p + 1 };
  if (close !== 0x02) throw new BinXmlError(`unexpected token 0x${b[p].toString(16)} in start of <${name}>`);
  p++;
  const children: Node[] = [];
  while (true) {
    need(c, p, 1, end);
    const t = b[p] & 0x1f;
    if (t === 0x04) return { node: { k: K.Element, name, attrs, children }, pos: p + 1 };
    if (t === 0x01) {
      const r = parseElement(c, p, end, inTemplate, depth, level + 1);
      children.push(r.node);
      p = r.pos;
    } else if (t === 0x0c) {
      const r = parseInstance(c, p, end, depth);
      children.push(r.node);
      p = r.pos;
    } else if (t === 0x0a) {
      const r = parsePI(c, p, end);
      children.push(r.node);
      p = r.pos;
    } else {
      const leaf = parseLeaf(c, p, end);
      if (!leaf) throw new BinXmlError(`unexpected token 0x${b[p].toString(16)} in <${name}>`);
      children.push(leaf.node);
      p = leaf.pos;
    }
  }
}
