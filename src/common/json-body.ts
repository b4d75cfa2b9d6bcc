import { BadRequestException } from '@nestjs/common';

/** Far beyond any body of this API (an order is 3 levels deep), far below what recursion survives. */
export const MAX_JSON_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const [OPEN_OBJECT, OPEN_ARRAY, CLOSE_OBJECT, CLOSE_ARRAY, QUOTE, BACKSLASH] = ['{', '[', '}', ']', '"', '\\'].map((c) => c.charCodeAt(0));

/**
 * The text of a JSON body, or the 400 that refuses it. Bytes that are not UTF-8 would be read
 * with U+FFFD in their place and stored as if sent. Nesting is counted here, in one loop, because
 * everything after JSON.parse (prototype-key stripping, class-transformer, class-validator)
 * recurses: 2,000 levels in 4 KB overflow the stack, a 500 with a stack trace each time.
 */
export function readJsonText(body: Buffer): string {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new BadRequestException('the body is not valid UTF-8');
  }
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw new BadRequestException(`body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  return text;
}

/**
 * Whether objects and arrays nest more than `limit` levels, brackets inside strings aside. Exact for
 * valid JSON; on malformed text it may be wrong either way, and JSON.parse refuses that text next.
 */
export function nestedDeeperThan(json: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < json.length; index++) {
    const code = json.charCodeAt(index);
    if (inString) {
      if (code === BACKSLASH) index++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
    else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      if (++depth > limit) return true;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) depth--;
  }
  return false;
}
