import { IncomingHttpHeaders, request } from 'node:http';
import type { Answer } from './http';

export interface HeadedAnswer<T = any> extends Answer<T> {
  headers: IncomingHttpHeaders;
}

/**
 * One request through node:http on a connection of its own: for what fetch hides or will not
 * do — the answer's headers, a body of arbitrary bytes (not UTF-8), a chosen local address
 * (on Linux all of 127.0.0.0/8 is loopback, so 127.0.0.2 is another client of a local server).
 */
export function nodeRequest<T = any>(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; localAddress?: string } = {},
): Promise<HeadedAnswer<T>> {
  const { hostname, port } = new URL(base);
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
  const headers = { ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}), ...options.headers };
  return new Promise((resolve, reject) => {
    const outgoing = request({ hostname, port, method, path, headers, localAddress: options.localAddress, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON: keep the text */
        }
        resolve({ status: response.statusCode!, headers: response.headers, body: parsed as T, text });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
