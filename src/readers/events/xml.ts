// XML as exports carry it: one `<Event>` cut out of a wevtutil stream, or an `EventData` / `UserData` /
// `ParameterXml` string inside a SIEM row. Parsed by a conforming XML parser (saxes), never by regex.
import { SaxesParser } from "saxes";
import type { XmlElement } from "./map.js";

/** Characters XML 1.0 forbids (control characters, literal or as references), made U+FFFD. */
export function scrubXml(text: string): string {
  return text
    .replace(/&#(x[0-9a-fA-F]+|[0-9]+);/g, (ref, num: string) => {
      const c = num[0] === "x" ? Number.parseInt(num.slice(1), 16) : Number.parseInt(num, 10);
      const ok =
        c === 9 || c === 10 || c === 13 || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0x10ffff);
      return ok ? ref : "\ufffd";
    })
    .split("")
    .map((ch) => {
      const c = ch.charCodeAt(0);
      return c < 0x20 && c !== 9 && c !== 10 && c !== 13 ? "\ufffd" : ch;
    })
    .join("");
}

const localName = (n: string) => n.slice(n.indexOf(":") + 1);

/** Parse one `<Event>…</Event>` into an element tree with a conforming XML parser. */
export function parseEventXml(text: string): XmlElement {
  const parser = new SaxesParser({ position: false });
  const roots: XmlElement[] = [];
  const stack: XmlElement[] = [];
  const addText = (s: string) => {
    const top = stack[stack.length - 1];
    if (top) top.text += s;
  };
  parser.on("opentag", (t) => {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.attributes))
      attrs[localName(k)] = typeof v === "string" ? v : v.value;
    const el: XmlElement = { name: localName(t.name), attrs, children: [], text: "" };
    (stack.length ? stack[stack.length - 1].children : roots).push(el);
    stack.push(el);
  });
  parser.on("text", addText);
  parser.on("cdata", addText);
  parser.on("closetag", () => {
    const el = stack.pop();
    // Pretty printers put a line break inside empty elements; that is not a value.
    if (el && (el.children.length > 0 || (el.text.includes("\n") && !el.text.trim())))
      el.text = el.text.trim();
  });
  parser.on("error", (e) => {
    throw e;
  });
  parser.write(text).close();
  if (!roots[0]) throw new Error("no element");
  return roots[0];
}
