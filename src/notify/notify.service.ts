import { type EventOf, formatDuration } from '@backstop/transport';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { HandlerContext, HandlerOutcome, refuse } from '../compensation/handlers/event-handler.decorator';
import { notifyConfig } from '../config/notify.config';
import { Metrics } from '../ops/metrics.service';
import { retryAfterMs } from './retry-after';
import { Lease } from '../database/lease';
import { Statement } from '../database/statement';
import { ORDER_ADDRESS_SQL, OrderAddress } from '../orders/order-facts';
import { CIRCUIT_OPEN, CircuitBreaker } from './circuit-breaker';
import type { EndpointState, SuccessRule } from './endpoint.entity';
import type { EndpointRoute } from './endpoints.service';
import { MerchantAnswer, MerchantClient } from './merchant-client';
import { DeliveryFailedError, EndpointBusyError } from './notify.exception';
import { InFlightRequests } from './in-flight-requests';
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
/**
 * How often, and how long each time, a notification whose endpoint is busy with this
 * process's attempts waits for one of them before it goes back to the broker: a fast
 * merchant's slot frees in milliseconds, a hanging one's does not, and then this is all the
 * consumer slot it holds.
 */
const LOCAL_WAITS = 3;
const LOCAL_WAIT_MS = 100;

/** A notification's lease and endpoint slot, with its attempt logged. */
interface Claimed {
  delivery: string;
  endpoint: EndpointRoute;
}

/** Tells a merchant an order's outcome (SPEC §8) and keeps the delivery log. */
@Injectable()
export class NotifyService {
  private readonly logger = new Logger(NotifyService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly breaker: CircuitBreaker,
    private readonly client: MerchantClient,
    @Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>,
    private readonly metrics: Metrics,
    private readonly inFlight: InFlightRequests,
  ) {}

  async notify(event: OutcomeEvent, context: HandlerContext): Promise<HandlerOutcome> {
    const [order] = await recordNotification.run(this.dataSource, [event.data.orderId, event.id, event.type, STATUS_OF[event.type]]);
    if (!order) return refuse(`order ${event.data.orderId} does not exist`);
    if (order.status !== STATUS_OF[event.type]) return refuse(`order ${order.id} is ${order.status}, not ${STATUS_OF[event.type]}`);
    const origin = new URL(order.notifyUrl).origin;
    const attempt = await this.claimWaiting(event, order.id, order.notifyUrl, origin, context.attempt);
    if (!attempt) return 'skipped';
    return this.inFlight.during(origin, () => this.attempt(event, order, attempt, context));
  }

  /**
   * The claim; when the endpoint is busy with this process's own attempts, a short wait for
   * one of them to end and another try (see InFlightRequests.turnAt), else the busy error.
   */
  private async claimWaiting(event: OutcomeEvent, orderId: string, url: string, origin: string, attempt: number) {
    for (let waits = 0; ; waits += 1) {
      try {
        return await this.claim(event, orderId, url, origin, attempt);
      } catch (error) {
        const wait = error instanceof EndpointBusyError && waits < LOCAL_WAITS;
        if (!wait || !(await this.inFlight.turnAt(origin, this.config.endpointConcurrency, LOCAL_WAIT_MS))) throw error;
      }
    }
  }

  /** One claimed attempt: sent unless its endpoint says not, then its outcome recorded. */
  private async attempt(event: OutcomeEvent, order: OrderAddress, { delivery, endpoint }: Claimed, context: HandlerContext): Promise<HandlerOutcome> {
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
      endpoint.id,
      sent,
      gone,
      this.config.disableAfterMs,
      formatDuration(this.config.disableAfterMs),
      event.id,
    ]);
    if (sent) await this.breaker.after(endpoint.id, admission, failure === undefined);
    if (failure === undefined) return 'done';
    this.logger.warn({ handler: 'notify.merchant', orderId: order.id, messageId: event.id, attempt: context.attempt }, `merchant not notified: ${failure}`);
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
      const answer = await this.client.post(order.notifyUrl, headers, body);
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
   * Takes the notification's lease and a slot of its endpoint, and logs this attempt, outcome
   * unknown, before anything is sent; answers the attempt's delivery id. No lease when it was
   * delivered already (never again, 'skipped'), nor while another attempt holds it: the lease
   * outlasts a whole attempt, so that one may still be sending, and a second request must not
   * go out beside it (SPEC §8, one attempt at a time). That case throws, so this message
   * follows the retry schedule: by its next attempt the other one has either delivered (then
   * this one is skipped) or failed, or its process died and the lease has run out (then this
   * one sends). Waiting here instead would hold a consumer for up to a whole attempt. With the
   * endpoint at its concurrency or rate limit, the message waits its turn on the broker, not
   * in a consumer slot (G9).
   */
  private async claim(event: OutcomeEvent, orderId: string, url: string, origin: string, attempt: number): Promise<Claimed | undefined> {
    const leaseMs = this.config.timeoutMs + LEASE_MARGIN_MS;
    const [claim] = await notificationLease.claim(this.dataSource, leaseMs, 1, event.id, orderId, attempt, url, origin, this.config.endpointConcurrency);
    if (claim.id) {
      const endpoint: EndpointRoute = { id: claim.endpoint_id!, state: claim.endpoint_state!, successRule: claim.success_rule };
      return { delivery: claim.id, endpoint };
    }
    if (claim.claimed) {
      // The endpoint filled up between this statement's snapshot and its lock: give the lease back.
      await releaseLease.run(this.dataSource, [event.id]);
      throw new EndpointBusyError(origin);
    }
    if (claim.state === 'DELIVERED') return undefined;
    if (claim.busy) throw new EndpointBusyError(origin);
    throw new DeliveryFailedError(`event ${event.id} is being delivered by another attempt`);
  }
}

/**
 * Who to tell about order $1 (an OrderAddress), and the notification of event $2 (type $3)
 * recorded if new, when the order is in the state the event says ($4): one round trip.
 */
const recordNotification = new Statement<OrderAddress>(
  'record notification',
  `WITH address AS (${ORDER_ADDRESS_SQL}),
   recorded AS (INSERT INTO notifications (event_id, order_id, event_type, state)
                SELECT $2::uuid, id, $3::text, 'PENDING' FROM address WHERE status = $4::text ON CONFLICT DO NOTHING)
   SELECT * FROM address`,
);

/**
 * Completes attempt $1's log entry with its outcome, and sets the notification's state after it
 * ($7: PENDING, DELIVERED or FAILED) and frees its lease (DELIVERED stays DELIVERED); gives
 * the attempt's slot (event $14) back to its endpoint $9 and, when the request was sent ($10),
 * notes its outcome there, disabling the endpoint on 410 Gone ($11) or when every attempt has
 * failed for $12 ms (NOTIFY_DISABLE_AFTER, $13 as written).
 */
const recordAttempt = new Statement(
  'complete delivery attempt',
  `WITH logged AS (
     UPDATE deliveries SET http_status = $2, duration_ms = $3, delivered = $4, error = $5, response_snippet = $6
      WHERE id = $1
      RETURNING event_id, attempted_at),
   endpoint AS (
     UPDATE endpoints SET in_flight = in_flight - $14::text,
            last_success_at = CASE WHEN $10 AND $4 THEN now() ELSE last_success_at END,
            last_failure_at = CASE WHEN $10 AND NOT $4 THEN now() ELSE last_failure_at END,
            last_error = CASE WHEN $10 AND NOT $4 THEN $5 ELSE last_error END,
            failing_since = CASE WHEN NOT $10 THEN failing_since WHEN $4 THEN NULL ELSE coalesce(failing_since, now()) END,
            state = CASE WHEN $10 AND ($11 OR (NOT $4 AND failing_since <= now() - $12 * interval '1 millisecond')) THEN 'DISABLED' ELSE state END,
            disabled_reason = CASE WHEN $10 AND $11 THEN '410 Gone'
                                   WHEN $10 AND NOT $4 AND failing_since <= now() - $12 * interval '1 millisecond' THEN 'every attempt failed for ' || $13
                                   ELSE disabled_reason END
      WHERE id = $9)
   UPDATE notifications n SET state = $7, attempts = attempts + 1, last_attempt_at = logged.attempted_at, lease_until = NULL,
          next_attempt_at = CASE WHEN $7 = 'PENDING' THEN now() + $8 * interval '1 millisecond' END,
          delivered_at = CASE WHEN $7 = 'DELIVERED' THEN now() END
     FROM logged
    WHERE n.event_id = logged.event_id AND n.state <> 'DELIVERED'`,
);

const releaseLease = new Statement('release notification lease', `UPDATE notifications SET lease_until = NULL WHERE event_id = $1`);

/** Now, as the epoch milliseconds the endpoint's in_flight slots hold. */
const NOW_MS = `(extract(epoch FROM now()) * 1000)::bigint`;

/** Whether endpoint `e` may take one more request now: under its concurrency (default $8) and, if it has one, its rate limit. */
const HAS_ROOM = (e: string) => `(SELECT count(*) FROM jsonb_each(${e}.in_flight) f WHERE f.value::bigint > ${NOW_MS}) < coalesce(${e}.concurrency, $8::int)
  AND (${e}.rate_limit IS NULL OR (SELECT count(*) FROM unnest(${e}.recent_sends) t WHERE t > now() - interval '1 second') < ${e}.rate_limit)`;

/**
 * One notification ($3) not delivered yet, when its lease is free or has run out, never from
 * a live attempt, with a slot of its endpoint (origin $7, made on first use): fewer attempts in
 * flight there than its concurrency and, with a rate limit, fewer sent in the last second. The
 * slot is checked and taken on the endpoint row itself, under its lock (an upsert re-checks
 * its condition on the row's latest version), so processes never overbook it; the same check
 * on the statement's snapshot keeps a busy endpoint's notifications from taking a lease at
 * all. The same statement logs the attempt (order $4, attempt $5, url $6), its outcome unknown
 * until recordAttempt completes it. It always answers one row: the attempt's id and what the
 * endpoint says of sending (its state and success rule), or else why not: the notification's
 * state, whether its lease was taken (then the endpoint filled up meanwhile) and whether the
 * endpoint was busy (both looked up only then: a claim that goes does not pay for them).
 */
const notificationLease = new Lease<{
  id: string | null;
  endpoint_id: string | null;
  endpoint_state: EndpointState | null;
  success_rule: SuccessRule | null;
  claimed: boolean;
  state: string | null;
  busy: boolean;
}>({
  name: 'notification',
  table: 'notifications',
  key: 'event_id',
  leaseColumn: 'lease_until',
  due: `event_id = $3 AND state <> 'DELIVERED' AND (lease_until IS NULL OR lease_until < now())
        AND NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.origin = $7 AND NOT (${HAS_ROOM('e')}))`,
  orderBy: 'event_id',
  returning: 'event_id',
  set: `state = 'PENDING'`,
  with: `slot AS (
      INSERT INTO endpoints AS e (origin, in_flight) SELECT $7, jsonb_build_object($3::text, ${NOW_MS} + $1::bigint) FROM claimed
      ON CONFLICT (origin) DO UPDATE
         SET in_flight = (SELECT coalesce(jsonb_object_agg(f.key, f.value), '{}') FROM jsonb_each(e.in_flight) f WHERE f.value::bigint > ${NOW_MS})
                         || excluded.in_flight,
             recent_sends = CASE WHEN e.rate_limit IS NULL THEN '{}'
                                 ELSE array(SELECT t FROM unnest(e.recent_sends) t WHERE t > now() - interval '1 second') || now() END
       WHERE ${HAS_ROOM('e')}
      RETURNING e.id, e.state, e.success_rule),
    logged AS (
      INSERT INTO deliveries (event_id, order_id, attempt, url, endpoint_id, attempted_at)
      SELECT claimed.event_id, $4::uuid, $5::int, $6::text, slot.id, now() FROM claimed, slot
      RETURNING id)`,
  then: `SELECT logged.id, slot.id AS endpoint_id, slot.state AS endpoint_state, slot.success_rule,
                claimed.event_id IS NOT NULL AS claimed,
                CASE WHEN logged.id IS NULL THEN (SELECT state FROM notifications WHERE event_id = $3) END AS state,
                CASE WHEN logged.id IS NULL THEN EXISTS (SELECT 1 FROM endpoints e WHERE e.origin = $7 AND NOT (${HAS_ROOM('e')})) ELSE false END AS busy
           FROM (SELECT) AS one LEFT JOIN claimed ON true LEFT JOIN slot ON true LEFT JOIN logged ON true`,
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
