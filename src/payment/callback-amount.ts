// Strings (with escapes), numbers, the three literals, punctuation, whitespace: enough to walk
// any JSON text. Anything else means the body is not JSON, which the parser has refused already.
const TOKEN = /\s+|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[{}[\]:,]/gy;

/**
 * Whether every top-level `amount` in a JSON body is written as a plain integer. JSON.parse
 * turns `4242.0000000000001` or `9000000000000000.5` into an integer silently, and the
 * callback's amount must equal the order's total exactly, so the text itself is checked
 * (keys are decoded, so `"\u0061mount"` is found too; a repeated key is checked each time).
 */
export function amountIsWrittenAsInteger(rawBody: string): boolean {
  let depth = 0;
  let previous: string | undefined;
  let key: string | undefined;
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(rawBody); match; match = TOKEN.exec(rawBody)) {
    const token = match[0];
    if (/^\s+$/.test(token)) continue;
    if (token === '{' || token === '[') depth++;
    else if (token === '}' || token === ']') depth--;
    else if (token === ':' && depth === 1 && previous?.startsWith('"')) key = JSON.parse(previous) as string;
    else if (key === 'amount' && previous === ':' && /^-?\d/.test(token) && !/^\d+$/.test(token)) return false;
    if (token !== ':') key = token === ',' ? undefined : key;
    previous = token;
  }
  return true;
}
