// JSON values out of a text stream, whatever the layout exporters chose: one object per line, one
// top-level array (PowerShell ConvertTo-Json, Chainsaw, Log Analytics), or pretty-printed objects written
// one after another with no separator (Hayabusa, the Sigma regression twins). Brackets are counted
// outside strings; each complete value is handed over as text with the line it starts on. Garbage
// between values and values cut off are reported, never fatal; memory is bounded by `maxValue`.

export interface JsonSplitter {
  /** Feed decoded text; `final` at the end of the input. */
  push(text: string, final: boolean): void;
}

export interface SplitHandlers {
  value(text: string, line: number): void;
  bad(line: number, reason: string): void;
  /** The input ended inside a value. */
  cutOff(line: number): void;
}

const NL = 10;
const QUOTE = 34;
const BACKSLASH = 92;

export function jsonSplitter(maxValue: number, h: SplitHandlers): JsonSplitter {
  let text = "";
  let i = 0;
  let line = 1;
  let depth = 0;
  let inStr = false;
  let esc = false;
  let start = -1;
  let startLine = 0;
  let discard = false;
  let arrayOpen = false;
  let seenAny = false;

  const skipLine = (final: boolean): boolean => {
    const nl = text.indexOf("\n", i);
    if (nl < 0) {
      if (!final) return false;
      i = text.length;
      return true;
    }
    i = nl + 1;
    line++;
    return true;
  };

  return {
    push(chunk, final) {
      text += chunk;
      while (i < text.length) {
        const c = text.charCodeAt(i);
        if (depth === 0) {
          if (c === NL) line++;
          if (c === NL || c === 13 || c === 32 || c === 9 || c === 0xfeff || (c === 44 && arrayOpen)) {
            i++;
            continue;
          }
          if (c === 91 /* [ */ && !arrayOpen && !seenAny) {
            arrayOpen = true;
            seenAny = true;
            i++;
            continue;
          }
          if (c === 93 /* ] */ && arrayOpen) {
            arrayOpen = false;
            i++;
            continue;
          }
          if (c === 123 /* { */ || c === 91) {
            seenAny = true;
            start = i;
            startLine = line;
            depth = 1;
            discard = false;
            i++;
            continue;
          }
          const badLine = line;
          if (!skipLine(final)) break;
          h.bad(badLine, "not JSON: text between values");
          continue;
        }
        if (inStr) {
          if (esc) esc = false;
          else if (c === BACKSLASH) esc = true;
          else if (c === QUOTE) inStr = false;
          else if (c === NL) {
            // JSON strings never hold a raw line break: the value was cut (a torn JSON line).
            if (!discard) h.bad(startLine, "not JSON: a string runs past the end of its line");
            line++;
            inStr = false;
            depth = 0;
            start = -1;
          }
          i++;
          if (depth > 0 && !discard && i - start > maxValue) {
            h.bad(startLine, `event longer than ${maxValue} bytes`);
            discard = true;
          }
          continue;
        }
        if (c === QUOTE) inStr = true;
        else if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) {
          depth--;
          if (depth === 0) {
            if (!discard) h.value(text.slice(start, i + 1), startLine);
            start = -1;
            discard = false;
          }
        } else if (c === NL) line++;
        i++;
        if (depth > 0 && !discard && i - start > maxValue) {
          h.bad(startLine, `event longer than ${maxValue} bytes`);
          discard = true;
        }
      }
      if (final && depth > 0) {
        if (!discard) h.cutOff(startLine);
        depth = 0;
      }
      // Keep only what is still needed: the open value, or nothing.
      const keep = depth > 0 && !discard ? start : i;
      text = text.slice(keep);
      i -= keep;
      if (start >= 0) start -= keep;
    },
  };
}
