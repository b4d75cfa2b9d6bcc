import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/db';
import { OrderLookup } from '../stock/order-lookup';
import { CommittedOrders } from './committed-orders';
import type { OrderStatus } from './order-state';
import { OrderOutcome, OrderRecord, OrdersRepository } from './orders.repository';

export type { OrderOutcome, OrderRecord } from './orders.repository';

/**
 * What other modules may read of an order: handlers check the events they receive against
 * these facts before they act. Read only.
 */
@Injectable()
export class OrderFacts implements OrderLookup {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly committedOrders: CommittedOrders,
  ) {}

  itemsOf(orderId: string, database: Queryable) {
    return this.orders.itemsOf(orderId, database);
  }

  itemsAhead(orderId: string) {
    return this.orders.itemsAhead(orderId);
  }

  statusOf(orderId: string, database: Queryable): Promise<OrderStatus | null> {
    return this.orders.statusOf(orderId, database);
  }

  /** Who to tell about the order, and the outcome a notification reports. */
  async outcomeOf(orderId: string): Promise<OrderOutcome | null> {
    return this.committedOrders.finalOutcome(orderId) ?? this.orders.outcomeOf(orderId);
  }

  /** The order as it stands for ops: when it last moved (`updatedAt`) and whether a charge is under way; null when there is no such order. */
  standing(orderId: string): Promise<{ order: OrderRecord; updatedAt: Date; paying: boolean } | null> {
    return this.orders.standing(orderId);
  }

  /** When the order was placed: nothing of it, its notifications' attempts included, is older. Null when there is no such order. */
  placedAt(orderId: string): Promise<Date | null> {
    return this.orders.placedAt(orderId);
  }

  /** The notifyUrl of the merchant's latest order, null when it has none. */
  latestNotifyUrl(merchantId: string): Promise<string | null> {
    return this.orders.latestNotifyUrl(merchantId);
  }
}
