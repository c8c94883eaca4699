// JSON.parse for exported events, with integers beyond 2^53 kept exact. Exporters write 64-bit event
// values (UInt64 counters, sizes) as JSON numbers, which JSON.parse would round
// (18446744073709551615 → 18446744073709552000), while the .evtx gives the exact digits: such an
// integer is read as its text, so the value is the same whatever the format. Text without a run of 16
// digits (nearly every event) goes to JSON.parse unchanged.

const LONG_DIGITS = /\d{16}/;

/** Integer literals outside strings too large for a double, put in quotes. */
function quoteBigIntegers(text: string): string {
  let out = "";
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      continue;
    }
    const digit = c >= 48 && c <= 57;
    if (!digit && c !== 45) continue;
    // A number token: -?digits, then maybe a fraction or exponent.
    let j = i + (c === 45 ? 1 : 0);
    while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
    const intEnd = j;
    while (j < text.length && /[0-9.eE+-]/.test(text[j])) j++;
    const token = text.slice(i, j);
    if (j === intEnd && intEnd - i >= 16 && !Number.isSafeInteger(Number(token))) {
      out += `${text.slice(from, i)}"${token}"`;
      from = j;
    }
    i = j - 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** JSON.parse, with integers beyond 2^53 read as their exact text. */
export function parseEventJson(text: string): unknown {
  return JSON.parse(LONG_DIGITS.test(text) ? quoteBigIntegers(text) : text);
}
