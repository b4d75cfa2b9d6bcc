const utf8 = new TextDecoder('utf-8', { fatal: true });
const PERCENT_ESCAPE = /%([0-9A-Fa-f]{2})/g;
const NAMEABLE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Why a query string cannot be read, or undefined when it can: a parameter whose percent-decoded
 * bytes are not UTF-8 (an encoded unpaired surrogate, `%ED%A0%80`). Fastify's parser would keep
 * such a value as it came, `%` and all, and the request would go on with text nobody sent.
 * Node hands the URL over as latin-1, one character a byte, so its bytes come back exactly.
 */
export function unreadableQueryProblem(query: string): string | undefined {
  for (const pair of query.split('&')) {
    const separator = pair.indexOf('=');
    const name = separator < 0 ? pair : pair.slice(0, separator);
    const decodedName = decoded(name);
    if (decodedName === undefined) return 'a query parameter name is not valid UTF-8 once percent-decoded';
    if (separator >= 0 && decoded(pair.slice(separator + 1)) === undefined) {
      const named = NAMEABLE.test(decodedName) ? `query parameter ${decodedName}` : 'a query parameter';
      return `${named} is not valid UTF-8 once percent-decoded (for instance an encoded unpaired surrogate)`;
    }
  }
  return undefined;
}

function decoded(component: string): string | undefined {
  const bytes = Buffer.from(component.replace(/\+/g, ' ').replace(PERCENT_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
