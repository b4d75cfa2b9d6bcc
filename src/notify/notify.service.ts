import { formatDuration } from '@backstop/transport';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { performance } from 'node:perf_hooks';
import { HandlerContext, HandlerOutcome, refuse } from '../compensation/handlers/event-handler.decorator';
import { notifyConfig } from '../config/notify.config';
import { MerchantDirectory } from '../merchants/merchant-directory';
import { Metrics } from '../metrics/metrics.service';
import { OrderFacts, OrderOutcome } from '../orders/order-facts';
import { CIRCUIT_OPEN, CircuitBreaker } from './circuit-breaker';
import { ENDPOINT_DISABLED } from './circuit';
import type { EndpointRoute } from './endpoints.service';
import { InFlightRequests } from './in-flight-requests';
import { contradictionOf, notificationBody, OutcomeEvent } from './notification-body';
import { NotificationSender, snippetOf } from './notification-sender';
import { DeliveryRef, NotificationsRepository } from './notifications.repository';
import { DeliveryFailedError, EndpointBusyError } from './notify.exception';
import { retryAfterMs } from './retry-after';

export type { OutcomeEvent } from './notification-body';

// The lease is NOTIFY_TIMEOUT plus this: longer than any one attempt (the request is cut at
// NOTIFY_TIMEOUT, the margin covers recording it), so a lease only runs out on an attempt
// whose process died mid-send.
const LEASE_MARGIN_MS = 5_000;
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
  delivery: DeliveryRef;
  endpoint: EndpointRoute;
}

/** Tells a merchant an order's outcome (docs/architecture.md#merchant-notification) and keeps the delivery log. */
@Injectable()
export class NotifyService {
  private readonly logger = new Logger(NotifyService.name);

  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly orders: OrderFacts,
    private readonly merchants: MerchantDirectory,
    private readonly sender: NotificationSender,
    private readonly breaker: CircuitBreaker,
    @Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>,
    private readonly metrics: Metrics,
    private readonly inFlight: InFlightRequests,
  ) {}

  async notify(event: OutcomeEvent, context: HandlerContext): Promise<HandlerOutcome> {
    const order = await this.orders.outcomeOf(event.data.orderId);
    if (!order) return refuse(`order ${event.data.orderId} does not exist`);
    const contradiction = contradictionOf(event, order);
    if (contradiction) return refuse(contradiction);
    // A merchant that does not take this event type is sent nothing, and that is no failure.
    const subscribed = (await this.merchants.terms(order.merchantId))?.events.includes(event.type) ?? true;
    if (!(await this.notifications.record(order.id, event.id, event.type, subscribed ? 'PENDING' : 'NOT_SUBSCRIBED'))) return 'skipped';
    if (!subscribed) return 'done';
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
  private async attempt(event: OutcomeEvent, order: OrderOutcome, { delivery, endpoint }: Claimed, context: HandlerContext): Promise<HandlerOutcome> {
    const started = performance.now();
    // A disabled endpoint is sent nothing: the notification fails at once, for ops to recover after enabling it.
    // An open circuit sends nothing either, but the attempt counts as failed and the schedule goes on.
    const admission = endpoint.state === 'DISABLED' ? undefined : await this.breaker.admit(endpoint.id, endpoint.state);
    const sent = admission === 'send' || admission === 'probe';
    const { answer, failure } = sent
      ? await this.sender.send({
          url: order.notifyUrl,
          webhookId: event.id,
          body: notificationBody(event.id, event.type, order),
          merchantId: order.merchantId,
          endpointRule: endpoint.successRule,
        })
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
      delivery,
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
      return { delivery: { id: claim.id, attemptedAt: claim.attempted_at! }, endpoint };
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
