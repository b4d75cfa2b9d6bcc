import { Injectable } from '@nestjs/common';
import { isFinal } from './order-state';
import type { OrderOutcome } from './orders.repository';

/** About a minute of orders at a busy shop's pace; a few MB at most. */
const REMEMBERED = 10_000;

/**
 * The orders this process placed or ended lately, as it committed them, so that the steps
 * that follow in this process skip a read: the payment callback knows the order's amount and
 * currency (fixed when it is placed) and pays it in one round trip, and the notify consumer
 * is told a final outcome (PAID, REJECTED, CANCELLED, which never changes) without reading
 * the order again. Remembered only once committed. What another process committed, or what
 * was forgotten, is read from the database as before; and the payment's statement checks
 * the amount and currency again, so a remembered fact is never taken on trust.
 */
@Injectable()
export class CommittedOrders {
  private readonly orders = new Map<string, OrderOutcome>();

  remember(order: OrderOutcome): void {
    // Moved to the end: a Map iterates in insertion order, so the first key is the oldest.
    this.orders.delete(order.id);
    this.orders.set(order.id, order);
    if (this.orders.size > REMEMBERED) this.orders.delete(this.orders.keys().next().value!);
  }

  /** The order as this process last committed it. */
  recall(orderId: string): OrderOutcome | undefined {
    return this.orders.get(orderId);
  }

  /** The order's final outcome, when this process committed it. */
  finalOutcome(orderId: string): OrderOutcome | undefined {
    const order = this.orders.get(orderId);
    return order && isFinal(order.status) ? order : undefined;
  }
}
