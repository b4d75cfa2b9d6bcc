import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import type { HandlerContext, HandlerOutcome } from '../compensation/handlers/event-handler.decorator';
import { notifyConfig } from '../config/notify.config';
import type { EventOf } from '../messaging/event-map';
import { Metrics } from '../ops/metrics.service';
import { Order } from '../orders/order.entity';
import { Delivery } from './delivery.entity';
import { MerchantAnswer, MerchantClient } from './merchant-client';
import { Notification } from './notification.entity';
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
    private readonly client: MerchantClient,
    @Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>,
    private readonly metrics: Metrics,
  ) {}

  async notify(event: OutcomeEvent, context: HandlerContext): Promise<HandlerOutcome> {
    const order = await this.dataSource.manager.findOneBy(Order, { id: event.data.orderId });
    if (!order) throw new DeliveryFailedError(`order ${event.data.orderId} does not exist`);
    if (!(await this.claim(event, order, context.attempt))) return 'skipped';

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
    const delivery = {
      eventId: event.id,
      orderId: order.id,
      attempt: context.attempt,
      url: order.notifyUrl,
      httpStatus: answer?.status ?? null,
      durationMs: Math.round(performance.now() - started),
      delivered: failure === undefined,
      error: failure ?? null,
      attemptedAt,
    };
    this.metrics.deliveries.inc({ outcome: failure === undefined ? 'delivered' : 'failed' });
    if (failure === undefined) {
      return context.once(async ({ manager }) => {
        await manager.insert(Delivery, delivery);
        await manager.update(Notification, { eventId: event.id }, {
          state: 'DELIVERED',
          attempts: () => 'attempts + 1',
          lastAttemptAt: attemptedAt,
          nextAttemptAt: null,
          deliveredAt: new Date(),
          leaseUntil: null,
        });
      });
    }
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(Delivery, delivery);
      await manager.update(Notification, { eventId: event.id }, {
        state: context.retryDelayMs === undefined ? 'FAILED' : 'PENDING',
        attempts: () => 'attempts + 1',
        lastAttemptAt: attemptedAt,
        nextAttemptAt: context.retryDelayMs === undefined ? null : new Date(Date.now() + context.retryDelayMs),
        leaseUntil: null,
      });
    });
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
  private async claim(event: OutcomeEvent, order: Order, attempt: number): Promise<boolean> {
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(Notification)
      .values({ eventId: event.id, orderId: order.id, eventType: event.type, state: 'PENDING' })
      .orIgnore()
      .execute();
    const leaseMs = this.config.timeoutMs + LEASE_MARGIN_MS;
    // TypeORM's postgres driver answers an UPDATE with [rows, rowCount], not the rows alone:
    // the length of that pair is always 2, which would claim a delivered notification again.
    const [claimed]: [unknown[], number] = await this.dataSource.query(
      `UPDATE notifications SET lease_until = now() + $2 * interval '1 millisecond', lease_attempt = $3, state = 'PENDING'
        WHERE event_id = $1 AND state <> 'DELIVERED'
          AND (lease_until IS NULL OR lease_until < now() OR lease_attempt < $3)
        RETURNING event_id`,
      [event.id, leaseMs, attempt],
    );
    if (claimed.length > 0) return true;
    const current = await this.dataSource.manager.findOneByOrFail(Notification, { eventId: event.id });
    if (current.state === 'DELIVERED') return false;
    throw new DeliveryFailedError(`event ${event.id} is being delivered by another process`);
  }
}

function bodyOf(event: OutcomeEvent, order: Order) {
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
