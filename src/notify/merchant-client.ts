import { Injectable } from '@nestjs/common';
import { lookup, LookupAddress, LookupOptions } from 'node:dns';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPublicAddress, literalHostProblem } from '../common/public-address';

const MAX_ANSWER_BYTES = 64 * 1024;

export interface MerchantAnswer {
  status: number;
  body: string;
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
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Only the start of an answer matters ("success"); never buffer a huge one.
      if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
    });
    incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    incoming.on('error', reject);
  });
}
