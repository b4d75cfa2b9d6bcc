import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { HandlerContext, HandlerOutcome, refuse } from '../compensation/handlers/event-handler.decorator';
import { notifyConfig } from '../config/notify.config';
import type { EventOf } from '../messaging/event-map';
import { Metrics } from '../ops/metrics.service';
import { Lease } from '../database/lease';
import { Statement } from '../database/statement';
import { OrderAddress, OrderFacts } from '../orders/order-facts';
import { MerchantAnswer, MerchantClient } from './merchant-client';
import { DeliveryFailedError } from './notify.exception';
import { signWebhook } from './webhook-signature';

export type OutcomeEvent = EventOf<'order.paid' | 'order.rejected' | 'order.cancelled'>;

const STATUS_OF = { 'order.paid': 'PAID', 'order.rejected': 'REJECTED', 'order.cancelled': 'CANCELLED' } as const;
// Longer than any one attempt, so a lease only outlives a process that died mid-send.
const LEASE_MARGIN_MS = 5_000;

/** Tells a merchant an order's outcome (SPEC §8) and keeps the delivery log. */
@Injectable()
export class NotifyService {
  private readonly logger = new Logger(NotifyService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly orders: OrderFacts,
    private readonly client: MerchantClient,
    @Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>,
    private readonly metrics: Metrics,
  ) {}

  async notify(event: OutcomeEvent, context: HandlerContext): Promise<HandlerOutcome> {
    const order = await this.orders.addressOf(event.data.orderId);
    if (!order) return refuse(`order ${event.data.orderId} does not exist`);
    if (order.status !== STATUS_OF[event.type]) return refuse(`order ${order.id} is ${order.status}, not ${STATUS_OF[event.type]}`);
    if (!(await this.claim(event, order.id, context.attempt))) return 'skipped';

    const body = JSON.stringify(bodyOf(event, order));
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': event.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(this.config.signingKey, event.id, timestamp, body),
      'user-agent': 'backstop-notify/1',
    };
    const started = performance.now();
    const attemptedAt = new Date();
    let answer: MerchantAnswer | undefined;
    let failure: string | undefined;
    try {
      answer = await this.client.post(order.notifyUrl, headers, body, {
        timeoutMs: this.config.timeoutMs,
        allowPrivate: this.config.allowPrivate,
      });
      failure = this.isSuccess(answer) ? undefined : describeRefusal(answer, this.config.successBody);
    } catch (error) {
      failure = (error as Error).message;
    }
    this.metrics.deliveries.inc({ outcome: failure === undefined ? 'delivered' : 'failed' });
    const state = failure === undefined ? 'DELIVERED' : context.retryDelayMs === undefined ? 'FAILED' : 'PENDING';
    // The attempt's log entry and the notification's new state, in one statement.
    await recordAttempt.run(this.dataSource, [
      event.id,
      order.id,
      context.attempt,
      order.notifyUrl,
      answer?.status ?? null,
      Math.round(performance.now() - started),
      failure === undefined,
      failure ?? null,
      attemptedAt,
      state,
      context.retryDelayMs ?? 0,
    ]);
    if (failure === undefined) return 'done';
    this.logger.warn(`merchant of order ${order.id} not notified (event ${event.id}, attempt ${context.attempt}): ${failure}`);
    throw new DeliveryFailedError(failure);
  }

  private isSuccess(answer: MerchantAnswer): boolean {
    if (answer.status < 200 || answer.status > 299) return false;
    return this.config.successBody === '' || answer.body.trim().toLowerCase() === this.config.successBody;
  }

  /**
   * Records the notification if new and takes a short lease on it. No lease when it was
   * delivered already (never again) or another process is sending it right now. A later
   * attempt may take over an earlier attempt's lease: that attempt is over (it failed or
   * its process died before it could clear the lease), it is not sending any more.
   */
  private async claim(event: OutcomeEvent, orderId: string, attempt: number): Promise<boolean> {
    await insertNotification.run(this.dataSource, [event.id, orderId, event.type]);
    const claimed = await notificationLease.claim(this.dataSource, this.config.timeoutMs + LEASE_MARGIN_MS, 1, event.id, attempt);
    if (claimed.length > 0) return true;
    const [current]: { state: string }[] = await this.dataSource.query(`SELECT state FROM notifications WHERE event_id = $1`, [event.id]);
    if (current.state === 'DELIVERED') return false;
    throw new DeliveryFailedError(`event ${event.id} is being delivered by another process`);
  }
}

const insertNotification = new Statement(
  'insert notification',
  `INSERT INTO notifications (event_id, order_id, event_type, state) VALUES ($1, $2, $3, 'PENDING') ON CONFLICT DO NOTHING`,
);

/** One attempt's log entry, and the notification's state after it ($10: PENDING, DELIVERED or FAILED). */
const recordAttempt = new Statement(
  'record delivery attempt',
  `WITH logged AS (
     INSERT INTO deliveries (event_id, order_id, attempt, url, http_status, duration_ms, delivered, error, attempted_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9))
   UPDATE notifications SET state = $10, attempts = attempts + 1, last_attempt_at = $9, lease_until = NULL,
          next_attempt_at = CASE WHEN $10 = 'PENDING' THEN now() + $11 * interval '1 millisecond' END,
          delivered_at = CASE WHEN $10 = 'DELIVERED' THEN now() END
    WHERE event_id = $1`,
);

/** One notification ($3), free or held by an earlier attempt than this one ($4). */
const notificationLease = new Lease<{ event_id: string }>({
  name: 'notification',
  table: 'notifications',
  key: 'event_id',
  leaseColumn: 'lease_until',
  due: `event_id = $3 AND state <> 'DELIVERED' AND (lease_until IS NULL OR lease_until < now() OR lease_attempt < $4)`,
  orderBy: 'event_id',
  returning: 'event_id',
  set: `lease_attempt = $4, state = 'PENDING'`,
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
