import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Database, Statement } from '../database/statement';
import type { OrderStatus } from './order-state';

export interface OrderItems {
  status: OrderStatus;
  items: { sku: string; quantity: number }[];
}

export interface OrderAddress {
  id: string;
  merchantId: string;
  status: OrderStatus;
  totalAmount: number;
  currency: string;
  notifyUrl: string;
}

const itemsOf = new Statement<OrderItems>(
  'order items',
  `SELECT o.status, coalesce((SELECT json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity) ORDER BY i.sku)
                                FROM order_items i WHERE i.order_id = o.id), '[]') AS items
     FROM orders o WHERE o.id = $1`,
);
const statusOf = new Statement<{ status: OrderStatus }>('order status', `SELECT status FROM orders WHERE id = $1`);
/**
 * Who to tell about order $1, and what (an OrderAddress). Exported as SQL, so that notify
 * reads it in the statement that records the notification, without a second round trip.
 */
export const ORDER_ADDRESS_SQL = `SELECT id, merchant_id AS "merchantId", status, total_amount::float8 AS "totalAmount", currency, notify_url AS "notifyUrl"
     FROM orders WHERE id = $1`;

/**
 * What other modules may read of an order: handlers check the events they receive against
 * these facts before they act (an event is a claim, the database is the truth). Read only;
 * a module of its own so that stock and notify can use it without depending on orders.
 */
@Injectable()
export class OrderFacts {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The order's status and items, or null when there is no such order. */
  async itemsOf(orderId: string, database: Database = this.dataSource): Promise<OrderItems | null> {
    return (await itemsOf.run(database, [orderId]))[0] ?? null;
  }

  async statusOf(orderId: string, database: Database = this.dataSource): Promise<OrderStatus | null> {
    return (await statusOf.run(database, [orderId]))[0]?.status ?? null;
  }
}

/** Whether two item lists name the same SKUs in the same quantities, in any order. */
export function sameItems(a: { sku: string; quantity: number }[], b: { sku: string; quantity: number }[]): boolean {
  const key = (items: { sku: string; quantity: number }[]) =>
    JSON.stringify(items.map(({ sku, quantity }) => [sku, quantity]).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return a.length === b.length && key(a) === key(b);
}
