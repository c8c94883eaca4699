// Headers of line logs (parsed once per distinct `#Fields:` line) and the lazy row the scanner hands
// out: fields are split and decoded only when a detection asks for one.

import { memo } from "../model/once.js";
import type { HttpField, LogKind, LogRow, RecordFamily } from "../model/records.js";
import { familyOf, mappedField } from "./fields.js";
import type { Dialect, Header } from "./types.js";

/** A header for these columns; the same columns give the same object (every hourly file repeats them). */
export const makeHeader: (fields: string[]) => Header = memo(buildHeader, (fields) => JSON.stringify(fields));

/** Per dialect (commas or spaces): the header of each `#Fields:` line text seen lately. */
const byDialect = new WeakMap<Dialect["parseFields"], (line: string) => Header>();

/** The header of a `#Fields:` line, parsed once per distinct line text (and per dialect: commas or spaces). */
export function headerFromText(line: string, dialect: Pick<Dialect, "parseFields">): Header {
  let of = byDialect.get(dialect.parseFields);
  if (!of) {
    const parse = dialect.parseFields;
    of = memo(
      (text: string) => makeHeader(parse(text.slice(text.indexOf(":") + 1))),
      (text) => text,
    );
    byDialect.set(dialect.parseFields, of);
  }
  return of(line);
}

function buildHeader(fields: string[]): Header {
  const index = new Map<string, number>();
  fields.forEach((f, i) => {
    if (!index.has(f)) index.set(f, i);
    const lower = f.toLowerCase();
    if (!index.has(lower)) index.set(lower, i);
  });
  return { fields, index };
}

/** Column of `name` under a header (exact name first, then case-insensitively), or -1. */
export function columnOf(h: Header | null, name: string): number {
  return h ? (h.index.get(name) ?? h.index.get(name.toLowerCase()) ?? -1) : -1;
}

/** A data row over bytes [start, end) of the read buffer; valid until the buffer is reused. */
export class Row implements LogRow {
  readonly kind: LogKind;
  readonly family: RecordFamily;
  readonly line: number;
  private bounds: number[] = [];
  private count = -1;
  private line_: string | null = null;
  constructor(
    private readonly buf: Buffer,
    private readonly start: number,
    private readonly end: number,
    private header: Header | null,
    private readonly dialect: Dialect,
    kind: LogKind,
    line: number,
    /** The scanner's split of this same line (a copy the row owns), so that it is not split twice. */
    split?: { bounds: number[]; count: number },
  ) {
    this.kind = kind;
    this.family = familyOf(kind);
    this.line = line;
    if (split) {
      this.bounds = split.bounds;
      this.count = split.count;
      this.fitHeader();
    }
  }
  private fitHeader(): void {
    if (this.dialect.fallbackHeader && (!this.header || this.header.fields.length !== this.count)) {
      this.header = this.dialect.fallbackHeader(this.count) ?? this.header;
    }
  }
  field(name: HttpField): string | undefined {
    return mappedField(this.kind, name, (c) => this.get(c));
  }
  private splitOnce(): void {
    if (this.count >= 0) return;
    this.count = this.dialect.split(this.buf, this.start, this.end, this.bounds);
    this.fitHeader();
  }
  get fieldCount(): number {
    this.splitOnce();
    return this.count;
  }
  get headerCount(): number {
    if (this.dialect.fallbackHeader) this.splitOnce();
    return this.header ? this.header.fields.length : 0;
  }
  get(field: string): string | undefined {
    this.splitOnce();
    const i = columnOf(this.header, field);
    if (i < 0 || i >= this.count) return undefined;
    return this.dialect.decode(this.buf, this.bounds[2 * i], this.bounds[2 * i + 1]);
  }
  text(): string {
    this.line_ ??= this.buf.toString("utf8", this.start, this.end);
    return this.line_;
  }
  time(): string | null {
    return this.dialect.rowTime((name) => this.get(name));
  }
}
