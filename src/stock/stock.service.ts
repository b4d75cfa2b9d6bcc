import type { OrderCreatedData } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { HandlerContext, HandlerOutcome, refuse } from '../compensation/handlers/event-handler.decorator';
import type { EventTransaction } from '../coordinator/event-transaction';
import type { Queryable } from '../database/db';
import type { Bound } from '../database/sql';
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

  /** The read `holdsReservation` makes, for `HandlerContext.once`'s reads ahead. */
  holdsReservationAhead(orderId: string): Bound {
    return this.stock.holdsReservationAhead(orderId);
  }

  /**
   * Takes every item of the order or none, never overselling. The event is checked
   * against the order first: only a PENDING order's own items are reserved.
   *
   * A hot SKU serialises its orders for as long as its row stays locked, so the likely
   * outcome takes one round trip: the reservation goes with the commit, beside the
   * `stock.reserved` it emits, and the row is locked only while PostgreSQL runs them and
   * commits. When it cannot take every item (short of stock, or reserved before), it fails
   * that transaction, and a second one reserves step by step and says why.
   */
  async reserveFor(order: OrderCreatedData, once: HandlerContext['once']): Promise<HandlerOutcome> {
    try {
      return await once((transaction) => this.reserveWithCommit(order, transaction), [this.orders.itemsAhead(order.id)]);
    } catch (error) {
      if (!this.stock.isRefusal(error)) throw error;
    }
    return once((transaction) => this.reserveStepByStep(order, transaction), [this.orders.itemsAhead(order.id)]);
  }

  private async reserveWithCommit(order: OrderCreatedData, transaction: EventTransaction): Promise<HandlerOutcome> {
    const items = await this.checkedItems(order, transaction);
    if (!Array.isArray(items)) return items;
    await transaction.emit('stock.reserved', { orderId: order.id, items });
    transaction.atCommit(this.stock.reserveOrFail(order.id, items));
    return 'done';
  }

  private async reserveStepByStep(order: OrderCreatedData, transaction: EventTransaction): Promise<HandlerOutcome> {
    const items = await this.checkedItems(order, transaction);
    if (!Array.isArray(items)) return items;
    const outcome = await this.stock.reserve(order.id, items, transaction);
    if (outcome.already) return 'skipped';
    if (outcome.short) {
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
    await transaction.emit('stock.reserved', { orderId: order.id, items });
    return 'done';
  }

  /** The order's items as the database has them, or why the event is not acted on. */
  private async checkedItems(order: OrderCreatedData, transaction: EventTransaction): Promise<{ sku: string; quantity: number }[] | HandlerOutcome> {
    const facts = await this.orders.itemsOf(order.id, transaction);
    if (!facts) return refuse(`order ${order.id} does not exist`);
    if (facts.status !== 'PENDING') return 'skipped';
    if (!sameItems(facts.items, order.items)) return refuse(`the items of order ${order.id} are not those of the event`);
    return facts.items;
  }

  /** Puts back what a cancelled order took, once; an order that never reserved has nothing to release. */
  async releaseFor(orderId: string, transaction: EventTransaction): Promise<HandlerOutcome> {
    const status = await this.orders.statusOf(orderId, transaction);
    if (status !== 'CANCELLED') return refuse(status ? `order ${orderId} is ${status}, not CANCELLED` : `order ${orderId} does not exist`);
    return (await this.stock.release(orderId, transaction)) ? 'done' : 'skipped';
  }
}
