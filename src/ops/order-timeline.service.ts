import { Injectable } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail';
import { FailedMessagesService } from '../compensation/failed-messages/failed-messages.service';
import { OrderNotifications } from '../notify/order-notifications';
import { OrderException } from '../orders/order.exception';
import { OrderFacts, OrderRecord } from '../orders/order-facts';
import { PaymentIncidents } from '../payment/payment-incidents';
import { StockService } from '../stock/stock.service';
import { FailureSource, orderTimeline, TimelineEntry } from './order-timeline';

/** How much of each source one timeline reads at most; what is left out is said in `omitted`. */
const ATTEMPTS = 500;
const FAILURES = 100;
const FAILURES_WITH_ACTIONS = 20;
const OPS_ACTIONS = 200;
const INCIDENTS = 100;

export interface OrderTimeline {
  order: OrderRecord;
  entries: TimelineEntry[];
  omitted: string[];
}

/**
 * Everything known of one order, each part asked of the module that owns it, by the order id
 * or by ids the order's own records name (its notifications' event ids); every read is a
 * lookup of an index, whatever the size of the tables.
 */
@Injectable()
export class OrderTimelineService {
  constructor(
    private readonly orders: OrderFacts,
    private readonly stock: StockService,
    private readonly notifications: OrderNotifications,
    private readonly failedMessages: FailedMessagesService,
    private readonly payments: PaymentIncidents,
    private readonly audit: AuditTrail,
  ) {}

  async of(orderId: string): Promise<OrderTimeline> {
    const standing = await this.orders.standing(orderId);
    if (!standing) throw OrderException.notFound(orderId);
    const [reservation, notify, failures, incidents] = await Promise.all([
      this.stock.reservationOf(orderId),
      this.notifications.of(orderId, standing.order.createdAt, ATTEMPTS),
      this.failuresOf(orderId),
      this.payments.ofOrder(orderId, INCIDENTS),
    ]);
    // Ops act on an order through its notifications (a resend); the order itself is a subject too, for what comes.
    const subjects = [{ type: 'order', id: orderId }, ...notify.notifications.map((notification) => ({ type: 'notification', id: notification.eventId }))];
    const opsActions = await this.audit.ofAny(subjects, OPS_ACTIONS);

    const omitted: string[] = [];
    if (notify.attemptsCut) omitted.push(`only the newest ${ATTEMPTS} notification attempts: GET /admin/deliveries?orderId=${orderId} lists them all`);
    if (failures.cut) omitted.push(`only the newest ${FAILURES} failed messages: GET /admin/failed-messages?orderId=${orderId} lists them all`);
    if (failures.withoutActions > 0) omitted.push(`the re-runs and ops actions of ${failures.withoutActions} older failed messages: each one's GET /admin/failed-messages/:id has them`);
    if (opsActions.length === OPS_ACTIONS) omitted.push(`ops actions after the first ${OPS_ACTIONS}`);
    if (incidents.length === INCIDENTS) omitted.push(`payment incidents after the first ${INCIDENTS}: GET /admin/payment-incidents`);

    const entries = orderTimeline({
      now: new Date(),
      order: standing.order,
      updatedAt: standing.updatedAt,
      paying: standing.paying,
      reservation,
      notifications: notify.notifications,
      attempts: notify.attempts,
      failures: failures.rows,
      incidents,
      opsActions,
    });
    return { order: standing.order, entries, omitted };
  }

  /** The order's failed messages (failed_messages_order), the newest with their rows' audit trails. */
  private async failuresOf(orderId: string): Promise<{ rows: FailureSource[]; cut: boolean; withoutActions: number }> {
    const { items, nextCursor } = await this.failedMessages.list({ orderId }, FAILURES);
    const trails = await Promise.all(items.slice(0, FAILURES_WITH_ACTIONS).map(async (row) => (await this.failedMessages.get(row.id)).actions));
    const rows = items.map(
      (row, index): FailureSource => ({
        id: row.id,
        handler: row.handler,
        messageId: row.messageId,
        routingKey: row.routingKey,
        status: row.status,
        poison: row.poison,
        attempts: row.attempts,
        sweepCount: row.sweepCount,
        error: row.error,
        errors: row.errors ?? [],
        firstFailedAt: row.firstFailedAt,
        nextSweepAt: row.nextSweepAt,
        resolvedAt: row.resolvedAt,
        discardReason: row.discardReason,
        actions: (trails[index] ?? []).map((action) => ({ action: action.action, actor: action.actor, reason: action.reason, at: action.at })),
      }),
    );
    return { rows, cut: nextCursor !== null, withoutActions: Math.max(0, items.length - FAILURES_WITH_ACTIONS) };
  }
}
