import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { performance } from 'node:perf_hooks';
import { notifyConfig } from '../config/notify.config';
import { MerchantDirectory } from '../merchants/merchant-directory';
import type { SuccessRule } from './endpoint.entity';
import { MerchantAnswer, MerchantClient } from './merchant-client';
import { signWebhook } from './webhook-signature';

/** How much of a merchant's answer the delivery log keeps. */
const SNIPPET_BYTES = 1024;

/** What one request to a merchant came to: its answer, if any, and why it failed, if it did. */
export interface SendOutcome {
  answer?: MerchantAnswer;
  failure?: string;
}

/** One request's outcome as the delivery log records it. */
export interface LoggedOutcome {
  httpStatus: number | null;
  durationMs: number;
  delivered: boolean;
  error: string | null;
  snippet: string | null;
}

/** `send` timed, and its outcome as the delivery log records it (a resend, a test event). */
export async function timedSend(send: () => Promise<SendOutcome>): Promise<LoggedOutcome> {
  const started = performance.now();
  const { answer, failure } = await send();
  return {
    httpStatus: answer?.status ?? null,
    durationMs: Math.round(performance.now() - started),
    delivered: failure === undefined,
    error: failure ?? null,
    snippet: answer ? snippetOf(answer.body) : null,
  };
}

export interface SendRequest {
  url: string;
  /** The `webhook-id`: the same on every attempt of one notification. */
  webhookId: string;
  body: object;
  merchantId: string;
  /** The endpoint's own success rule, which comes before the merchant's. */
  endpointRule: SuccessRule | null;
}

/**
 * One signed POST to a merchant, for a notification's attempt, a resend or a test event
 * alike: signed when it is sent, with the merchant's secrets valid then (the previous one
 * too while a rotation's grace lasts), or with NOTIFY_SIGNING_SECRET for a merchant that is
 * not registered; judged by the endpoint's success rule, else the merchant's, else the default.
 */
@Injectable()
export class NotificationSender {
  constructor(
    private readonly client: MerchantClient,
    private readonly merchants: MerchantDirectory,
    @Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>,
  ) {}

  async send(request: SendRequest): Promise<SendOutcome> {
    let keys: Buffer[] | null;
    let terms: Awaited<ReturnType<MerchantDirectory['terms']>>;
    try {
      [keys, terms] = await Promise.all([this.merchants.signingKeys(request.merchantId), this.merchants.terms(request.merchantId)]);
    } catch (error) {
      // A secret this process cannot read (under another SECRETS_KEY): a failed attempt that says why, never an unrecorded one.
      return { failure: (error as Error).message };
    }
    const signingKeys = keys ?? (this.config.signingKey ? [this.config.signingKey] : null);
    if (!signingKeys) return { failure: `no signing secret for merchant ${request.merchantId}: it is not registered, and NOTIFY_SIGNING_SECRET is not set` };
    const rule = request.endpointRule ?? terms?.successRule ?? (this.config.successBody === '' ? '2xx' : 'body');
    return this.post(request.url, request.webhookId, request.body, signingKeys, rule);
  }

  /**
   * A signed POST to a receiver of the platform's own (OPS_WEBHOOK_URL), not a merchant's:
   * signed with `signingKey`, delivered on any 2xx. Its URL is the operator's setting, not
   * input from outside, so it may be on the private network (the address rule is for merchants).
   */
  sendToOwnReceiver(request: { url: string; webhookId: string; body: object; signingKey: Buffer }): Promise<SendOutcome> {
    return this.post(request.url, request.webhookId, request.body, [request.signingKey], '2xx', { ownReceiver: true });
  }

  private async post(url: string, webhookId: string, payload: object, signingKeys: Buffer[], rule: SuccessRule, options?: { ownReceiver: boolean }): Promise<SendOutcome> {
    const body = JSON.stringify(payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': webhookId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(signingKeys, webhookId, timestamp, body),
      'user-agent': 'backstop-notify/1',
    };
    try {
      const answer = await this.client.post(url, headers, body, options);
      return { answer, failure: this.isSuccess(answer, rule) ? undefined : describeRefusal(answer, this.config.successBody) };
    } catch (error) {
      return { failure: (error as Error).message };
    }
  }

  private isSuccess(answer: MerchantAnswer, rule: SuccessRule): boolean {
    if (answer.status < 200 || answer.status > 299) return false;
    if (rule === '2xx') return true;
    // A body cut short is longer than any "success", whatever its start says.
    return !answer.truncated && answer.body.trim().toLowerCase() === this.config.successBody;
  }
}

function describeRefusal(answer: MerchantAnswer, successBody: string): string {
  if (answer.status >= 300 && answer.status < 400) return `HTTP ${answer.status}: redirects are not followed`;
  if (answer.status < 200 || answer.status > 299) return `HTTP ${answer.status}`;
  return `HTTP ${answer.status} without "${successBody}" in the body`;
}

/** The first SNIPPET_BYTES of an answer, as text PostgreSQL accepts (no NUL). */
export function snippetOf(body: string): string {
  return Buffer.from(body, 'utf8').subarray(0, SNIPPET_BYTES).toString('utf8').replace(/\u0000/g, '\ufffd');
}
