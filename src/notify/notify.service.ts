import { type EventOf, formatDuration } from '@backstop/transport';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { performance } from 'node:perf_hooks';
import { HandlerContext, HandlerOutcome, refuse } from '../compensation/handlers/event-handler.decorator';
import { notifyConfig } from '../config/notify.config';
import { Metrics } from '../metrics/metrics.service';
import { retryAfterMs } from './retry-after';
import { OrderAddress, OrderFacts } from '../orders/order-facts';
import { CIRCUIT_OPEN, CircuitBreaker } from './circuit-breaker';
import type { SuccessRule } from './endpoint.entity';
import type { EndpointRoute } from './endpoints.service';
import { MerchantAnswer, MerchantClient } from './merchant-client';
import { DeliveryFailedError, EndpointBusyError } from './notify.exception';
import { InFlightRequests } from './in-flight-requests';
import { NotificationsRepository } from './notifications.repository';
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

/** Tells a merchant an order's outcome (docs/architecture.md#merchant-notification) and keeps the delivery log. */
@Injectable()
export class NotifyService {
  private readonly logger = new Logger(NotifyService.name);

  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly orders: OrderFacts,
    private readonly breaker: CircuitBreaker,
    private readonly client: MerchantClient,
    @Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>,
    private readonly metrics: Metrics,
    private readonly inFlight: InFlightRequests,
  ) {}

  async notify(event: OutcomeEvent, context: HandlerContext): Promise<HandlerOutcome> {
    const order = await this.orders.addressOf(event.data.orderId);
    if (!order) return refuse(`order ${event.data.orderId} does not exist`);
    if (order.status !== STATUS_OF[event.type]) return refuse(`order ${order.id} is ${order.status}, not ${STATUS_OF[event.type]}`);
    await this.notifications.record(order.id, event.id, event.type);
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
    // 429 with Retry-After: the next attempt waits at least that long, on a tier of the schedule (docs/architecture.md#merchant-notification).
    const wish = answer?.status === 429 ? retryAfterMs(answer.retryAfter) : undefined;
    const final = gone || failure === ENDPOINT_DISABLED;
    const nextDelayMs = final ? undefined : wish === undefined ? context.retryDelayMs : context.retryDelayAtLeast(wish);
    const state = failure === undefined ? 'DELIVERED' : nextDelayMs === undefined ? 'FAILED' : 'PENDING';
    // The attempt's outcome in its log entry, the notification's new state and the endpoint's, in one statement.
    await this.notifications.recordAttempt({
      deliveryId: delivery,
      eventId: event.id,
      endpointId: endpoint.id,
      httpStatus: answer?.status ?? null,
      durationMs: Math.round(performance.now() - started),
      delivered: failure === undefined,
      error: failure ?? null,
      snippet: answer ? snippetOf(answer.body) : null,
      state,
      nextDelayMs: nextDelayMs ?? 0,
      sent,
      gone,
      disableAfterMs: this.config.disableAfterMs,
      disableAfter: formatDuration(this.config.disableAfterMs),
    });
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
   * go out beside it (docs/architecture.md#merchant-notification, one attempt at a time). That case throws, so this message
   * follows the retry schedule: by its next attempt the other one has either delivered (then
   * this one is skipped) or failed, or its process died and the lease has run out (then this
   * one sends). Waiting here instead would hold a consumer for up to a whole attempt. With the
   * endpoint at its concurrency or rate limit, the message waits its turn on the broker, not
   * in a consumer slot (G9).
   */
  private async claim(event: OutcomeEvent, orderId: string, url: string, origin: string, attempt: number): Promise<Claimed | undefined> {
    const leaseMs = this.config.timeoutMs + LEASE_MARGIN_MS;
    const claim = await this.notifications.claimAttempt({ eventId: event.id, orderId, attempt, url, origin }, leaseMs, this.config.endpointConcurrency);
    if (claim.id) {
      const endpoint: EndpointRoute = { id: claim.endpoint_id!, state: claim.endpoint_state!, successRule: claim.success_rule };
      return { delivery: claim.id, endpoint };
    }
    if (claim.claimed) {
      // The endpoint filled up between this statement's snapshot and its lock: give the lease back.
      await this.notifications.releaseLease(event.id);
      throw new EndpointBusyError(origin);
    }
    if (claim.state === 'DELIVERED') return undefined;
    if (claim.busy) throw new EndpointBusyError(origin);
    throw new DeliveryFailedError(`event ${event.id} is being delivered by another attempt`);
  }
}

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
