import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/db';
import { OrderLookup } from '../stock/order-lookup';
import type { OrderStatus } from './order-state';
import { OrdersRepository } from './orders.repository';

/** Who to tell about an order, and what. */
export interface OrderAddress {
  id: string;
  merchantId: string;
  status: OrderStatus;
  totalAmount: number;
  currency: string;
  notifyUrl: string;
}

/**
 * What other modules may read of an order: handlers check the events they receive against
 * these facts before they act. Read only.
 */
@Injectable()
export class OrderFacts implements OrderLookup {
  constructor(private readonly orders: OrdersRepository) {}

  itemsOf(orderId: string, database: Queryable) {
    return this.orders.itemsOf(orderId, database);
  }

  statusOf(orderId: string, database: Queryable): Promise<OrderStatus | null> {
    return this.orders.statusOf(orderId, database);
  }

  addressOf(orderId: string): Promise<OrderAddress | null> {
    return this.orders.addressOf(orderId);
  }
}
