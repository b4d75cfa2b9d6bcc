import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { HandlerContext, HandlerOutcome, refuse } from '../compensation/handlers/event-handler.decorator';
import { formatDuration } from '../config/duration';
import { notifyConfig } from '../config/notify.config';
import type { EventOf } from '../messaging/event-map';
import { Metrics } from '../ops/metrics.service';
import { retryAfterMs } from './retry-after';
import { Lease } from '../database/lease';
import { Statement } from '../database/statement';
import { OrderAddress, OrderFacts } from '../orders/order-facts';
import { CIRCUIT_OPEN, CircuitBreaker } from './circuit-breaker';
import type { EndpointState, SuccessRule } from './endpoint.entity';
import type { EndpointRoute } from './endpoints.service';
import { MerchantAnswer, MerchantClient } from './merchant-client';
import { DeliveryFailedError } from './notify.exception';
import { signWebhook } from './webhook-signature';

export type OutcomeEvent = EventOf<'order.paid' | 'order.rejected' | 'order.cancelled'>;

const STATUS_OF = { 'order.paid': 'PAID', 'order.rejected': 'REJECTED', 'order.cancelled': 'CANCELLED' } as const;
// The lease is NOTIFY_TIMEOUT plus this: longer than any one attempt (the request is cut at
// NOTIFY_TIMEOUT, the margin covers recording it), so a lease only runs out on an attempt
// whose process died mid-send.
const LEASE_MARGIN_MS = 5_000;
/** How much of a merchant's answer the delivery log keeps. */
const SNIPPET_BYTES = 1024;
const ENDPOINT_DISABLED = 'endpoint disabled';

/** Tells a merchant an order's outcome (SPEC §8) and keeps the delivery log. */
@Injectable()
export class NotifyService {
  private readonly logger = new Logger(NotifyService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly orders: OrderFacts,
    private readonly breaker: CircuitBreaker,
    private readonly client: MerchantClient,
    @Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>,
    private readonly metrics: Metrics,
  ) {}

  async notify(event: OutcomeEvent, context: HandlerContext): Promise<HandlerOutcome> {
    const order = await this.orders.addressOf(event.data.orderId);
    if (!order) return refuse(`order ${event.data.orderId} does not exist`);
    if (order.status !== STATUS_OF[event.type]) return refuse(`order ${order.id} is ${order.status}, not ${STATUS_OF[event.type]}`);
    const attempt = await this.claim(event, order.id, order.notifyUrl, context.attempt);
    if (!attempt) return 'skipped';
    const { delivery, endpoint } = attempt;

    const started = performance.now();
    // A disabled endpoint is sent nothing: the notification fails at once, for ops to recover after enabling it.
    // An open circuit sends nothing either, but the attempt counts as failed and the schedule goes on.
    const admission = endpoint.state === 'DISABLED' ? undefined : await this.breaker.admit(endpoint.id, endpoint.state);
    const sent = admission === 'send' || admission === 'probe';
    const { answer, failure } = sent
      ? await this.send(event, order, endpoint)
      : { answer: undefined, failure: admission === 'open' ? CIRCUIT_OPEN : ENDPOINT_DISABLED };
    this.metrics.deliveries.inc({ outcome: failure === undefined ? 'delivered' : 'failed', endpoint_state: endpoint.state });
    // 410 Gone: the endpoint is disabled at once, and this notification is not tried again.
    const gone = answer?.status === 410;
    // 429 with Retry-After: the next attempt waits at least that long, on a tier of the schedule (SPEC §8).
    const wish = answer?.status === 429 ? retryAfterMs(answer.retryAfter) : undefined;
    const final = gone || failure === ENDPOINT_DISABLED;
    const nextDelayMs = final ? undefined : wish === undefined ? context.retryDelayMs : context.retryDelayAtLeast(wish);
    const state = failure === undefined ? 'DELIVERED' : nextDelayMs === undefined ? 'FAILED' : 'PENDING';
    // The attempt's outcome in its log entry, the notification's new state and the endpoint's, in one statement.
    await recordAttempt.run(this.dataSource, [
      delivery,
      answer?.status ?? null,
      Math.round(performance.now() - started),
      failure === undefined,
      failure ?? null,
      answer ? snippetOf(answer.body) : null,
      state,
      nextDelayMs ?? 0,
      sent ? endpoint.id : null,
      gone,
      this.config.disableAfterMs,
      formatDuration(this.config.disableAfterMs),
    ]);
    if (sent) await this.breaker.after(endpoint.id, admission, failure === undefined);
    if (failure === undefined) return 'done';
    this.logger.warn(`merchant of order ${order.id} not notified (event ${event.id}, attempt ${context.attempt}): ${failure}`);
    throw new DeliveryFailedError(failure, { retryAfterMs: wish, final });
  }

  /** One signed POST to the merchant; a failure is what the delivery log says of it. */
  private async send(event: OutcomeEvent, order: OrderAddress, endpoint: EndpointRoute): Promise<{ answer?: MerchantAnswer; failure?: string }> {
    const body = JSON.stringify(bodyOf(event, order));
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': event.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(this.config.signingKey, event.id, timestamp, body),
      'user-agent': 'backstop-notify/1',
    };
    try {
      const answer = await this.client.post(order.notifyUrl, headers, body, { timeoutMs: this.config.timeoutMs, allowPrivate: this.config.allowPrivate });
      const rule = endpoint.successRule ?? (this.config.successBody === '' ? '2xx' : 'body');
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

  /**
   * Records the notification if new, takes its lease and logs this attempt, outcome unknown,
   * before anything is sent; answers the attempt's delivery id. No lease when it was delivered
   * already (never again, 'skipped'), nor while another attempt holds it: the lease outlasts a
   * whole attempt, so that one may still be sending, and a second request must not go out
   * beside it (SPEC §8, one attempt at a time). That case throws, so this message follows the
   * retry schedule: by its next attempt the other one has either delivered (then this one is
   * skipped) or failed, or its process died and the lease has run out (then this one sends).
   * Waiting here instead would hold a consumer for up to a whole attempt.
   */
  private async claim(event: OutcomeEvent, orderId: string, url: string, attempt: number): Promise<{ delivery: string; endpoint: EndpointRoute } | undefined> {
    const origin = new URL(url).origin;
    await insertNotification.run(this.dataSource, [event.id, orderId, event.type, origin]);
    const [claimed] = await notificationLease.claim(this.dataSource, this.config.timeoutMs + LEASE_MARGIN_MS, 1, event.id, orderId, attempt, url, origin);
    if (claimed) return { delivery: claimed.id, endpoint: { id: claimed.endpoint_id, state: claimed.endpoint_state, successRule: claimed.success_rule } };
    const [current]: { state: string }[] = await this.dataSource.query(`SELECT state FROM notifications WHERE event_id = $1`, [event.id]);
    if (current.state === 'DELIVERED') return undefined;
    throw new DeliveryFailedError(`event ${event.id} is being delivered by another attempt`);
  }
}

/** The notification if new, and its endpoint (origin $4) if this is the origin's first use. */
const insertNotification = new Statement(
  'insert notification',
  `WITH endpoint AS (INSERT INTO endpoints (origin) VALUES ($4) ON CONFLICT (origin) DO NOTHING)
   INSERT INTO notifications (event_id, order_id, event_type, state) VALUES ($1, $2, $3, 'PENDING') ON CONFLICT DO NOTHING`,
);

/**
 * Completes attempt $1's log entry with its outcome, and sets the notification's state after it
 * ($7: PENDING, DELIVERED or FAILED) and frees its lease (DELIVERED stays DELIVERED); notes the
 * outcome on the endpoint $9 that answered (null: nothing was sent), disabling it on 410 Gone ($10)
 * or when every attempt has failed for $11 ms (NOTIFY_DISABLE_AFTER, $12 as written).
 */
const recordAttempt = new Statement(
  'complete delivery attempt',
  `WITH logged AS (
     UPDATE deliveries SET http_status = $2, duration_ms = $3, delivered = $4, error = $5, response_snippet = $6
      WHERE id = $1
      RETURNING event_id, attempted_at),
   endpoint AS (
     UPDATE endpoints SET last_success_at = CASE WHEN $4 THEN now() ELSE last_success_at END,
            last_failure_at = CASE WHEN $4 THEN last_failure_at ELSE now() END,
            last_error = CASE WHEN $4 THEN last_error ELSE $5 END,
            failing_since = CASE WHEN $4 THEN NULL ELSE coalesce(failing_since, now()) END,
            state = CASE WHEN $10 OR (NOT $4 AND failing_since <= now() - $11 * interval '1 millisecond') THEN 'DISABLED' ELSE state END,
            disabled_reason = CASE WHEN $10 THEN '410 Gone'
                                   WHEN NOT $4 AND failing_since <= now() - $11 * interval '1 millisecond' THEN 'every attempt failed for ' || $12
                                   ELSE disabled_reason END
      -- A success changes nothing worth a write more than once a second: every notification to
      -- a busy merchant would otherwise queue on this one row.
      WHERE id = $9 AND (NOT $4 OR $10 OR failing_since IS NOT NULL OR last_success_at IS NULL
                         OR last_success_at < now() - interval '1 second'))
   UPDATE notifications n SET state = $7, attempts = attempts + 1, last_attempt_at = logged.attempted_at, lease_until = NULL,
          next_attempt_at = CASE WHEN $7 = 'PENDING' THEN now() + $8 * interval '1 millisecond' END,
          delivered_at = CASE WHEN $7 = 'DELIVERED' THEN now() END
     FROM logged
    WHERE n.event_id = logged.event_id AND n.state <> 'DELIVERED'`,
);

/**
 * One notification ($3) not delivered yet, when its lease is free or has run out, never from
 * a live attempt; the same statement logs the attempt (order $4, attempt $5, url $6 of origin
 * $7), its outcome unknown until recordAttempt completes it, and answers its id and what the
 * endpoint says of sending: its state and success rule.
 */
const notificationLease = new Lease<{ id: string; endpoint_id: string; endpoint_state: EndpointState; success_rule: SuccessRule | null }>({
  name: 'notification',
  table: 'notifications',
  key: 'event_id',
  leaseColumn: 'lease_until',
  due: `event_id = $3 AND state <> 'DELIVERED' AND (lease_until IS NULL OR lease_until < now())`,
  orderBy: 'event_id',
  returning: 'event_id',
  set: `state = 'PENDING'`,
  then: `INSERT INTO deliveries (event_id, order_id, attempt, url, endpoint_id, attempted_at)
         SELECT event_id, $4::uuid, $5::int, $6::text, (SELECT id FROM endpoints WHERE origin = $7), now() FROM claimed
         RETURNING id, endpoint_id,
                   (SELECT state FROM endpoints e WHERE e.id = endpoint_id) AS endpoint_state,
                   (SELECT success_rule FROM endpoints e WHERE e.id = endpoint_id) AS success_rule`,
});

function bodyOf(event: OutcomeEvent, order: OrderAddress) {
  return {
    id: event.id,
    type: event.type,
    orderId: order.id,
    merchantId: order.merchantId,
    status: STATUS_OF[event.type],
    totalAmount: order.totalAmount,
    currency: order.currency,
    ...(event.type === 'order.paid' ? { tradeNo: event.data.tradeNo, paidAt: event.data.paidAt } : {}),
    ...(event.type !== 'order.paid' && event.data.reason ? { reason: event.data.reason } : {}),
  };
}

function describeRefusal(answer: MerchantAnswer, successBody: string): string {
  if (answer.status >= 300 && answer.status < 400) return `HTTP ${answer.status}: redirects are not followed`;
  if (answer.status < 200 || answer.status > 299) return `HTTP ${answer.status}`;
  return `HTTP ${answer.status} without "${successBody}" in the body`;
}

/** The first SNIPPET_BYTES of an answer, as text PostgreSQL accepts (no NUL). */
function snippetOf(body: string): string {
  return Buffer.from(body, 'utf8').subarray(0, SNIPPET_BYTES).toString('utf8').replace(/\u0000/g, '\ufffd');
}
