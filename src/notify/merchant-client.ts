import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { lookup, LookupAddress, LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { isPublicAddress, literalHostProblem } from '../common/public-address';
import { notifyConfig } from '../config/notify.config';

/**
 * How much of an answer is read: enough for the success check and the logged snippet. Past it
 * the connection is closed, so a merchant that answers 50 MB costs 4 KiB and one socket.
 */
export const MAX_ANSWER_BYTES = 4 * 1024;
/** An idle keep-alive connection is closed after this, before a typical server's own 5 s idle timeout would race a new request. */
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

/**
 * Posts notifications through undici's Agent: one keep-alive connection pool per origin,
 * so a busy merchant is not sent a TCP (and TLS) handshake per notification. Every new
 * connection resolves through the address rule above; undici never follows redirects
 * unless told to, and the request, body included, is cut at the attempt's timeout.
 */
@Injectable()
export class MerchantClient implements OnApplicationShutdown {
  private readonly agent: Agent;
  /** For the platform's own receivers (OPS_WEBHOOK_URL): set by the operator, so any address; made on first use. */
  private ownReceivers?: Agent;

  constructor(@Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>) {
    this.agent = new Agent({
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS,
      connect: config.allowPrivate ? {} : { lookup: publicOnlyLookup },
    });
  }

  /** `ownReceiver`: a URL of the operator's configuration, not a merchant's, which the address rule does not apply to. */
  async post(url: string, headers: Record<string, string>, body: string, { ownReceiver = false }: { ownReceiver?: boolean } = {}): Promise<MerchantAnswer> {
    const target = new URL(url);
    const agent = ownReceiver ? (this.ownReceivers ??= new Agent({ keepAliveTimeout: KEEP_ALIVE_MS, keepAliveMaxTimeout: KEEP_ALIVE_MS })) : this.agent;
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
      const answer = await request(target, {
        dispatcher: agent,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
        signal: deadline.signal,
      });
      const retryAfter = answer.headers['retry-after'];
      const { text, truncated } = await readStart(answer.body);
      return { status: answer.statusCode, body: text, truncated, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) };
    } catch (error) {
      if (deadline.signal.aborted) throw new Error(`no answer within ${timeoutMs} ms`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.agent.close(), this.ownReceivers?.close()]);
  }
}

/**
 * The first MAX_ANSWER_BYTES of a body. The outcome is decided by the status and the start
 * of the body: past that the body is destroyed, which closes its connection, rather than
 * drained or buffered.
 */
async function readStart(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      return { text: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8'), truncated: true };
    }
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}
