import { Injectable } from '@nestjs/common';
import { lookup, LookupAddress, LookupOptions } from 'node:dns';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPublicAddress, literalHostProblem } from '../common/public-address';

/**
 * How much of an answer is read: enough for the success check and the logged snippet. Past it
 * the connection is closed, so a merchant that answers 50 MB costs 4 KiB and one socket.
 */
export const MAX_ANSWER_BYTES = 4 * 1024;

export interface MerchantAnswer {
  status: number;
  /** The start of the answer's body: all of it, or its first MAX_ANSWER_BYTES when it is longer. */
  body: string;
  /** Whether the body went on past what was read. */
  truncated: boolean;
  /** The Retry-After header, as sent. */
  retryAfter?: string;
}

export class RefusedAddressError extends Error {
  readonly name = 'RefusedAddressError';
}

/**
 * Resolves like dns.lookup but refuses a host that resolves to any non-public address.
 * The check happens on the very address the socket connects to, so a name that
 * resolves publicly once and privately later (DNS rebinding) is still caught.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...(options as LookupOptions), all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const refused = addresses.find(({ address }) => !isPublicAddress(address));
    if (refused) {
      return callback(new RefusedAddressError(`${hostname} resolves to ${refused.address}, which is not public`), '', 0);
    }
    if ((options as LookupOptions).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};

/**
 * Posts a notification with node:http rather than fetch: it lets the connection's own
 * DNS lookup enforce the address rule, and it never follows redirects.
 */
@Injectable()
export class MerchantClient {
  post(url: string, headers: Record<string, string>, body: string, options: { timeoutMs: number; allowPrivate: boolean }) {
    const target = new URL(url);
    if (!options.allowPrivate) {
      const problem = literalHostProblem(target);
      if (problem) return Promise.reject(new RefusedAddressError(problem));
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<MerchantAnswer>((resolve, reject) => {
      const outgoing = send(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          lookup: options.allowPrivate ? undefined : publicOnlyLookup,
          signal: AbortSignal.timeout(options.timeoutMs),
        },
        (incoming) => readAnswer(incoming).then(resolve, reject),
      );
      outgoing.on('error', (error) =>
        reject(error.name === 'AbortError' ? new Error(`no answer within ${options.timeoutMs} ms`) : error),
      );
      outgoing.end(body);
    });
  }
}

function readAnswer(incoming: IncomingMessage): Promise<MerchantAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const answer = (truncated: boolean) => {
      const body = Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
      const retryAfter = incoming.headers['retry-after'];
      resolve({ status: incoming.statusCode ?? 0, body, truncated, ...(retryAfter ? { retryAfter } : {}) });
    };
    incoming.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) {
        // The outcome is decided by the status and the start of the body: stop reading and
        // close the connection rather than drain (or buffer) the rest.
        answer(true);
        incoming.destroy();
      }
    });
    incoming.on('end', () => answer(false));
    incoming.on('error', reject);
  });
}
