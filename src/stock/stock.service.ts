import type { OrderCreatedData } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { HandlerOutcome, refuse } from '../compensation/handlers/event-handler.decorator';
import type { EventTransaction } from '../coordinator/event-transaction';
import type { Queryable } from '../database/db';
import { OrderLookup, sameItems } from './order-lookup';
import { StockLevel, StockRepository, StockReservationRecord } from './stock.repository';

export type { StockReservationRecord } from './stock.repository';
import { StockException } from './stock.exception';

@Injectable()
export class StockService {
  constructor(
    private readonly stock: StockRepository,
    private readonly orders: OrderLookup,
  ) {}

  async get(sku: string): Promise<StockLevel> {
    const level = await this.stock.level(sku);
    if (!level) throw StockException.unknownSku(sku);
    return level;
  }

  set(sku: string, available: number, unitPrice: number): Promise<StockLevel> {
    return this.stock.setLevel(sku, available, unitPrice);
  }

  /** Unit prices of the given SKUs, as exact integers; the SKUs that do not exist are in `unknown`. */
  async prices(skus: string[]): Promise<{ prices: Map<string, bigint>; unknown: string[] }> {
    const prices = await this.stock.prices(skus);
    return { prices, unknown: skus.filter((sku) => !prices.has(sku)) };
  }

  /** What the order took from stock and when, and when it gave it back; null when it holds none. For ops' order timeline. */
  reservationOf(orderId: string): Promise<StockReservationRecord | null> {
    return this.stock.reservationOf(orderId);
  }

  /** Whether the order holds a reservation (reserved, or reserved and released since). */
  holdsReservation(orderId: string, database: Queryable): Promise<boolean> {
    return this.stock.holdsReservation(orderId, database);
  }

  /**
   * Takes every item of the order or none, never overselling. The event is checked
   * against the order first: only a PENDING order's own items are reserved.
   */
  async reserveFor(order: OrderCreatedData, transaction: EventTransaction): Promise<HandlerOutcome> {
    const facts = await this.orders.itemsOf(order.id, transaction);
    if (!facts) return refuse(`order ${order.id} does not exist`);
    if (facts.status !== 'PENDING') return 'skipped';
    if (!sameItems(facts.items, order.items)) return refuse(`the items of order ${order.id} are not those of the event`);

    const items = facts.items;
    // The likely outcome's event is written first, so the stock rows stay locked for one
    // statement and the commit: a hot SKU serialises its orders for that long only.
    const reserved = await transaction.emit('stock.reserved', { orderId: order.id, items });
    const outcome = await this.stock.reserve(order.id, items, transaction);
    if (outcome.already) {
      await transaction.retract(reserved);
      return 'skipped';
    }
    if (outcome.short) {
      await transaction.retract(reserved);
      const short = outcome.short;
      const reason =
        short.available === null
          ? `unknown SKU ${short.sku}`
          : `not enough stock for ${short.sku}: ${short.available} available, ${short.quantity} wanted`;
      await transaction.emit('stock.rejected', { orderId: order.id, items, reason });
      return 'done';
    }
    // The rows were locked and found sufficient in the same statement: anything else is a bug, never an oversell.
    if (outcome.taken !== new Set(items.map((item) => item.sku)).size) throw new Error(`order ${order.id}: took ${outcome.taken} of ${items.length} SKUs`);
    return 'done';
  }

  /** Puts back what a cancelled order took, once; an order that never reserved has nothing to release. */
  async releaseFor(orderId: string, transaction: EventTransaction): Promise<HandlerOutcome> {
    const status = await this.orders.statusOf(orderId, transaction);
    if (status !== 'CANCELLED') return refuse(status ? `order ${orderId} is ${status}, not CANCELLED` : `order ${orderId} does not exist`);
    return (await this.stock.release(orderId, transaction)) ? 'done' : 'skipped';
  }
}
