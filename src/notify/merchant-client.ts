import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { lookup, LookupAddress, LookupOptions } from 'node:dns';
import { Agent as HttpAgent, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPublicAddress, literalHostProblem } from '../common/public-address';
import { notifyConfig } from '../config/notify.config';

/**
 * How much of an answer is read: enough for the success check and the logged snippet. Past it
 * the connection is closed, so a merchant that answers 50 MB costs 4 KiB and one socket.
 */
export const MAX_ANSWER_BYTES = 4 * 1024;
/**
 * An idle keep-alive connection is closed after this, before a typical server's own 5 s idle
 * timeout would race a new request; a server that says a shorter one (`Keep-Alive: timeout=N`)
 * is taken at its word.
 */
const KEEP_ALIVE_MS = 4_000;

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

/** The two agents of one address rule: one keep-alive connection pool per origin each. */
interface Agents {
  'http:': HttpAgent;
  'https:': HttpsAgent;
}

function agents(lookupWith?: LookupFunction): Agents {
  const options = { keepAlive: true, timeout: KEEP_ALIVE_MS, scheduling: 'lifo' as const, ...(lookupWith ? { lookup: lookupWith } : {}) };
  return { 'http:': new HttpAgent(options), 'https:': new HttpsAgent(options) };
}

/**
 * Posts notifications with Node's own HTTP client, keep-alive: one connection pool per
 * origin, so a busy merchant is not sent a TCP (and TLS) handshake per notification. Every
 * new connection resolves through the address rule above; Node never follows redirects, and
 * the request, body included, is cut at the attempt's timeout.
 *
 * Not undici: from 7.x it waits for the event loop's next turn before it writes a request on
 * a kept-alive connection (to see whether the server sent anything unasked meanwhile), and
 * under load a turn is 10–15 ms of a notification's time (docs/benchmarks.md). A pool here
 * is one merchant's origin, so what such a server could confuse is only its own answers.
 */
@Injectable()
export class MerchantClient implements OnApplicationShutdown {
  private readonly agents: Agents;
  /** For the platform's own receivers (OPS_WEBHOOK_URL): set by the operator, so any address; made on first use. */
  private ownReceivers?: Agents;

  constructor(@Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>) {
    this.agents = agents(config.allowPrivate ? undefined : publicOnlyLookup);
  }

  /** `ownReceiver`: a URL of the operator's configuration, not a merchant's, which the address rule does not apply to. */
  async post(url: string, headers: Record<string, string>, body: string, { ownReceiver = false }: { ownReceiver?: boolean } = {}): Promise<MerchantAnswer> {
    const target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`${target.protocol} is not http or https`);
    const pool = ownReceiver ? (this.ownReceivers ??= agents()) : this.agents;
    if (!this.config.allowPrivate && !ownReceiver) {
      const problem = literalHostProblem(target);
      if (problem) throw new RefusedAddressError(problem);
    }
    const timeoutMs = this.config.timeoutMs;
    // Not AbortSignal.timeout: its timer cannot be cleared, so every notification would leave
    // one running for the whole timeout and then build an abort error nobody reads.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      const answer = await send(target, pool[target.protocol], { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, body, deadline.signal);
      const retryAfter = answer.headers['retry-after'];
      const { text, truncated } = await readStart(answer);
      return { status: answer.statusCode ?? 0, body: text, truncated, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) };
    } catch (error) {
      if (deadline.signal.aborted) throw new Error(`no answer within ${timeoutMs} ms`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  onApplicationShutdown(): void {
    for (const pool of [this.agents, this.ownReceivers]) {
      pool?.['http:'].destroy();
      pool?.['https:'].destroy();
    }
  }
}

/** One POST: resolves with the answer once its head is in; its body is the caller's to read. */
function send(target: URL, agent: HttpAgent, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method: 'POST', agent, headers, signal }, resolve);
    // Kept for the request's life: an error after the answer's head (the deadline, a reset) must find a listener.
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * The first MAX_ANSWER_BYTES of a body. The outcome is decided by the status and the start
 * of the body: past that the body is destroyed, which closes its connection, rather than
 * drained or buffered.
 */
async function readStart(body: IncomingMessage): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      return { text: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8'), truncated: true };
    }
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}
