import type { Queryable } from '../database/db';
import type { Bound } from '../database/sql';

/**
 * What stock must know of an order to check the events it gets against it (an event is a
 * claim, the database is the truth). Declared here and provided by the orders module:
 * orders already asks stock for prices and reservations, so stock importing orders would
 * make the two depend on each other.
 */
export abstract class OrderLookup {
  /** The order's status and items, or null when there is no such order. */
  abstract itemsOf(orderId: string, database: Queryable): Promise<{ status: string; items: { sku: string; quantity: number }[] } | null>;
  /** The read `itemsOf` makes, to send ahead with a transaction's BEGIN. */
  abstract itemsAhead(orderId: string): Bound;
  abstract statusOf(orderId: string, database: Queryable): Promise<string | null>;
}

/** Whether two item lists name the same SKUs in the same quantities, in any order. */
export function sameItems(a: { sku: string; quantity: number }[], b: { sku: string; quantity: number }[]): boolean {
  const key = (items: { sku: string; quantity: number }[]) =>
    JSON.stringify(items.map(({ sku, quantity }) => [sku, quantity]).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return a.length === b.length && key(a) === key(b);
}
