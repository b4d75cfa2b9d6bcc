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
import { EndpointChanges } from './endpoint-changes';
import type { EndpointRoute } from './endpoints.service';
import { InFlightRequests } from './in-flight-requests';
import { WaitingLines } from './waiting-lines';
import { OwnLateness } from './own-lateness';
import { contradictionOf, notificationBody, OutcomeEvent } from './notification-body';
import { NotificationSender, snippetOf } from './notification-sender';
import { DeliveryRef, NotificationsRepository } from './notifications.repository';
import { limitStep } from './adaptive-limit';
import { DeliveryFailedError, EndpointBusyError, NotificationLeasedError } from './notify.exception';
import { retryAfterMs } from './retry-after';

export type { OutcomeEvent } from './notification-body';

// The lease is NOTIFY_TIMEOUT plus this: longer than any one attempt (the request is cut at
// NOTIFY_TIMEOUT, the margin covers recording it), so a lease only runs out on an attempt
// whose process died mid-send.
const LEASE_MARGIN_MS = 5_000;
/** Parked notifications whose endpoint is remembered: far more than NOTIFY_PREFETCH, a few hundred KB at most. */
const PARKED_REMEMBERED = 10_000;
/** A notification's lease and endpoint slot, with its attempt logged, and where the endpoint's adaptive limit stood. */
interface Claimed {
  delivery: DeliveryRef;
  endpoint: EndpointRoute;
  limit: { value: number; floorMs: number | null; inFlight: number };
  /** Slots the endpoint had left free after this one. */
  freeAfter: number;
}

/** Tells a merchant an order's outcome (docs/architecture.md#merchant-notification) and keeps the delivery log. */
@Injectable()
export class NotifyService {
  private readonly logger = new Logger(NotifyService.name);
  private arrivals = 0;
  /**
   * The endpoint of each notification sent to wait on the broker because its line was full
   * (event id → origin), so that when it comes back to a line still full it goes back at
   * once, without reading the order again: a hanging endpoint's backlog then costs the
   * database nothing while it cycles. Bounded; the oldest are forgotten first.
   */
  private readonly parked = new Map<string, string>();

  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly orders: OrderFacts,
    private readonly merchants: MerchantDirectory,
    private readonly sender: NotificationSender,
    private readonly breaker: CircuitBreaker,
    @Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>,
    private readonly metrics: Metrics,
    private readonly inFlight: InFlightRequests,
    private readonly waiting: WaitingLines,
    private readonly endpointChanges: EndpointChanges,
    private readonly ownLateness: OwnLateness,
  ) {}

  async notify(event: OutcomeEvent, context: HandlerContext): Promise<HandlerOutcome> {
    // Taken before any await: the order messages reach this process in, which its endpoint's line keeps.
    const arrival = this.arrivals++;
    const parkedAt = this.parked.get(event.id);
    if (parkedAt !== undefined && this.waiting.lines.isFull(parkedAt)) throw new EndpointBusyError(parkedAt);
    this.parked.delete(event.id);
    const order = await this.orders.outcomeOf(event.data.orderId);
    if (!order) return refuse(`order ${event.data.orderId} does not exist`);
    const contradiction = contradictionOf(event, order);
    if (contradiction) return refuse(contradiction);
    // A merchant that does not take this event type is sent nothing, and that is no failure.
    const subscribed = (await this.merchants.terms(order.merchantId))?.events.includes(event.type) ?? true;
    if (!subscribed) return (await this.notifications.record(order.id, event.id, event.type, 'NOT_SUBSCRIBED')) ? 'done' : 'skipped';
    const origin = new URL(order.notifyUrl).origin;
    // Its claim records a new notification in the same statement; one that joins a line first
    // is recorded before it waits, so that it shows as PENDING meanwhile.
    if (this.waiting.lines.isWaiting(origin) && !(await this.notifications.record(order.id, event.id, event.type, 'PENDING'))) return 'skipped';
    const attempt = await this.claimInLine(event, order.id, order.notifyUrl, origin, context.attempt, arrival);
    if (!attempt) return 'skipped';
    try {
      return await this.inFlight.during(origin, () => this.attempt(event, order, attempt, context));
    } finally {
      this.waiting.lines.freed(origin);
    }
  }

  /**
   * The claim, in the endpoint's line when it is busy (docs/architecture.md#waiting-for-a-slot):
   * a notification that finds others waiting joins behind them rather than overtaking them,
   * and one that finds no slot free joins the line and tries again on its turn. A full line,
   * or a wait that went on too long, sends it to wait on the broker (NOTIFY_WAIT_DELAY), with
   * no attempt counted either way.
   */
  private async claimInLine(event: OutcomeEvent, orderId: string, url: string, origin: string, attempt: number, arrival: number): Promise<Claimed | undefined> {
    const lines = this.waiting.lines;
    const enter = () => lines.enter(origin, arrival) ?? this.park(event.id, origin);
    let place = lines.isWaiting(origin) ? enter() : undefined;
    let freeAfter: number | undefined;
    try {
      for (;;) {
        if (place && !(await place.turn(() => this.notifications.freeSlots(origin, this.config.endpointConcurrency.initial)))) throw new EndpointBusyError(origin);
        try {
          const claimed = await this.claim(event, orderId, url, origin, attempt);
          freeAfter = claimed?.freeAfter;
          return claimed;
        } catch (error) {
          if (!(error instanceof EndpointBusyError)) throw error;
          lines.shut(origin);
          place ??= enter();
        }
      }
    } finally {
      // Leaving with a slot taken: the places behind may use what it left free at once.
      place?.leave(freeAfter);
    }
  }

  /** The line is full: the notification waits on the broker, and its endpoint is remembered for when it comes back. */
  private park(eventId: string, origin: string): never {
    this.parked.set(eventId, origin);
    if (this.parked.size > PARKED_REMEMBERED) this.parked.delete(this.parked.keys().next().value!);
    throw new EndpointBusyError(origin);
  }

  /** One claimed attempt: sent unless its endpoint says not, then its outcome recorded. */
  private async attempt(event: OutcomeEvent, order: OrderOutcome, { delivery, endpoint, limit }: Claimed, context: HandlerContext): Promise<HandlerOutcome> {
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
    const durationMs = Math.round(performance.now() - started);
    if (sent) this.metrics.deliveryDuration.observe({ outcome: failure === undefined ? 'delivered' : 'failed' }, durationMs / 1000);
    this.waiting.noteLimit(order.notifyUrl, limit.value);
    const timedOut = sent && answer === undefined && durationMs >= this.config.timeoutMs;
    const step = limitStep({ sent, latencyMs: durationMs, timedOut, floorMs: limit.floorMs, inFlight: limit.inFlight, limit: limit.value, ownLatenessMs: this.ownLateness.recentMs });
    // The attempt's outcome in its log entry, the notification's new state and the endpoint's, in one statement.
    const disabled = await this.notifications.recordAttempt({
      delivery,
      eventId: event.id,
      endpointId: endpoint.id,
      httpStatus: answer?.status ?? null,
      durationMs,
      delivered: failure === undefined,
      error: failure ?? null,
      snippet: answer ? snippetOf(answer.body) : null,
      state,
      nextDelayMs: nextDelayMs ?? 0,
      sent,
      gone,
      disableAfterMs: this.config.disableAfterMs,
      disableAfter: formatDuration(this.config.disableAfterMs),
      limitStep: step,
      limitBounds: this.config.endpointConcurrency,
      answeredInMs: answer ? durationMs : null,
      sentForMs: sent ? durationMs : null,
    });
    // This attempt disabled the endpoint: told once, named after the attempt (docs/operations.md#alerts).
    if (disabled) await this.endpointChanges.tell({ change: 'disabled', endpointId: endpoint.id, ...disabled, episode: delivery.id });
    if (sent) await this.breaker.after(endpoint.id, admission, failure === undefined);
    if (failure === undefined) return 'done';
    this.logger.warn({ handler: 'notify.merchant', orderId: order.id, messageId: event.id, attempt: context.attempt }, `merchant not notified: ${failure}`);
    throw new DeliveryFailedError(failure, { retryAfterMs: wish, final }, new URL(order.notifyUrl).origin);
  }

  /**
   * Takes the notification's lease and a slot of its endpoint (recording the notification
   * first when it is new), and logs this attempt, outcome unknown, before anything is sent;
   * answers the attempt's delivery id. No lease when it was
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
    const claim = await this.notifications.claimAttempt({ eventId: event.id, orderId, eventType: event.type, attempt, url, origin }, leaseMs, this.config.endpointConcurrency.initial);
    if (claim.id) {
      const endpoint: EndpointRoute = { id: claim.endpoint_id!, state: claim.endpoint_state!, successRule: claim.success_rule };
      const limit = { value: claim.concurrency_limit!, floorMs: claim.latency_floor_ms, inFlight: claim.in_flight! };
      return { delivery: { id: claim.id, attemptedAt: claim.attempted_at! }, endpoint, limit, freeAfter: claim.slots! - claim.in_flight! };
    }
    if (claim.claimed) {
      // The endpoint filled up between this statement's snapshot and its lock: give the lease back.
      await this.notifications.releaseLease(event.id);
      throw new EndpointBusyError(origin);
    }
    // Another event's notification stands for this outcome already: one notification each.
    if (!claim.mine || claim.state === 'DELIVERED') return undefined;
    if (claim.busy) throw new EndpointBusyError(origin);
    // Another attempt holds the lease (or held it, in a process that died): waiting for it is no attempt of this one.
    throw new NotificationLeasedError(event.id);
  }
}
