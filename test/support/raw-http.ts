import { connect } from 'node:net';
import type { Answer } from './http';
import { waitFor } from './wait-for';

/**
 * The bytes a string becomes on the wire, as WTF-8: UTF-8 that also encodes a lone
 * surrogate (U+D800 → ED A0 80). That is the only way an unpaired surrogate can travel
 * in a URL or a header; `encodeURIComponent` and fetch refuse it.
 */
export function wireBytes(text: string): Buffer {
  const bytes: number[] = [];
  for (const character of text) {
    const point = character.codePointAt(0)!;
    if (point < 0x80) bytes.push(point);
    else if (point < 0x800) bytes.push(0xc0 | (point >> 6), 0x80 | (point & 0x3f));
    else if (point < 0x10000) bytes.push(0xe0 | (point >> 12), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f));
    else bytes.push(0xf0 | (point >> 18), 0x80 | ((point >> 12) & 0x3f), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f));
  }
  return Buffer.from(bytes);
}

/** Percent-encodes every byte of `wireBytes(text)` that is not unreserved, for a path segment or a query value. */
export function percentEncoded(text: string): string {
  return [...wireBytes(text)]
    .map((byte) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

/**
 * One HTTP/1.1 request written byte for byte on a socket, for what fetch will not send
 * (a NUL or raw non-ASCII bytes in a header). Header values are given as bytes.
 */
export async function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string | Buffer>,
  body?: string,
): Promise<Answer> {
  const { hostname, port } = new URL(base);
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body, 'utf8');
  const head: Buffer[] = [Buffer.from(`${method} ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\nconnection: close\r\n`, 'latin1')];
  for (const [name, value] of Object.entries({ ...headers, 'content-length': String(payload.length) })) {
    head.push(Buffer.from(`${name}: `, 'latin1'), typeof value === 'string' ? Buffer.from(value, 'latin1') : value, Buffer.from('\r\n', 'latin1'));
  }
  const request = Buffer.concat([...head, Buffer.from('\r\n', 'latin1'), payload]);
  const chunks: Buffer[] = [];
  const state: { ended?: boolean; error?: Error } = {};
  // Written, not ended: Node's HTTP server drops a request whose client half-closes before the answer.
  // `connection: close` makes the server close once it has answered.
  const socket = connect(Number(port), hostname, () => socket.write(request));
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('end', () => (state.ended = true));
  socket.on('close', () => (state.ended = true));
  socket.on('error', (error) => (state.error = error));
  await waitFor(() => state.ended || state.error !== undefined, { what: `an answer to ${method} ${path}`, timeoutMs: 10_000 });
  const response = Buffer.concat(chunks);
  const headEnd = response.indexOf('\r\n\r\n');
  const responseHead = response.subarray(0, headEnd + 2).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(responseHead)?.[1]);
  if (Number.isNaN(status)) throw new Error(`no HTTP answer to ${method} ${path}: ${state.error?.message ?? JSON.stringify(response.toString('latin1'))}`);
  let content: Buffer = response.subarray(headEnd + 4);
  if (/\r\ntransfer-encoding: chunked\r\n/i.test(responseHead)) content = unchunk(content);
  const text = content.toString('utf8');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status, body: parsed, text };
}

function unchunk(content: Buffer): Buffer {
  // (sizes are bytes, so this works on the buffer, not on decoded text)
  const parts: Buffer[] = [];
  let rest = content;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
    if (!size) return Buffer.concat(parts);
    parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
    rest = rest.subarray(lineEnd + 2 + size + 2);
  }
}
