import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { HandlerOutcome, refuse } from '../compensation/handlers/event-handler.decorator';
import type { EventTransaction } from '../coordinator/event-transaction';
import type { Queryable } from '../database/lease';
import type { EventItem, OrderCreatedData } from '../messaging/event-map';
import { OrderFacts, sameItems } from '../orders/order-facts';
import { StockItem } from './stock-item.entity';
import { StockException } from './stock.exception';

@Injectable()
export class StockService {
  constructor(
    @InjectRepository(StockItem) private readonly stock: Repository<StockItem>,
    private readonly orders: OrderFacts,
  ) {}

  async get(sku: string): Promise<StockItem> {
    const item = await this.stock.findOneBy({ sku });
    if (!item) throw StockException.unknownSku(sku);
    return item;
  }

  async set(sku: string, available: number, unitPrice: number): Promise<StockItem> {
    await this.stock.upsert({ sku, available, unitPrice }, ['sku']);
    return this.get(sku);
  }

  /**
   * Unit prices of the given SKUs, as exact integers (bigint: a price times a quantity
   * may pass 2^53); the SKUs that do not exist are in `unknown`.
   */
  async prices(skus: string[], database: Queryable): Promise<{ prices: Map<string, bigint>; unknown: string[] }> {
    const found: { sku: string; unit_price: string }[] = await database.query(`SELECT sku, unit_price FROM stock WHERE sku = ANY($1)`, [skus]);
    const prices = new Map(found.map((item) => [item.sku, BigInt(item.unit_price)]));
    return { prices, unknown: skus.filter((sku) => !prices.has(sku)) };
  }

  /**
   * Takes every item of the order or none. Rows are locked in SKU order, so concurrent
   * orders over the same SKUs queue up instead of deadlocking, and never oversell. The
   * event is checked against the order first: only a PENDING order's own items are reserved.
   */
  async reserveFor(order: OrderCreatedData, transaction: EventTransaction): Promise<HandlerOutcome> {
    const { manager } = transaction;
    const facts = await this.orders.itemsOf(order.id, manager);
    if (!facts) return refuse(`order ${order.id} does not exist`);
    if (facts.status !== 'PENDING') return 'skipped';
    if (!sameItems(facts.items, order.items)) return refuse(`the items of order ${order.id} are not those of the event`);

    const items = facts.items;
    const rows: { sku: string; available: number }[] = await manager.query(
      `SELECT sku, available FROM stock WHERE sku = ANY($1) ORDER BY sku FOR UPDATE`,
      [items.map((item) => item.sku)],
    );
    const available = new Map(rows.map((row) => [row.sku, row.available]));
    const short = items.find((item) => (available.get(item.sku) ?? 0) < item.quantity);
    if (short) {
      const reason = available.has(short.sku)
        ? `not enough stock for ${short.sku}: ${available.get(short.sku)} available, ${short.quantity} wanted`
        : `unknown SKU ${short.sku}`;
      await transaction.emit('stock.rejected', { orderId: order.id, items, reason });
      return 'done';
    }
    // The reservation row is the domain's own guard: an order reserves once, whatever redelivers its event.
    // TypeORM answers an UPDATE with [rows, rowCount].
    const [taken]: [unknown[], number] = await manager.query(
      `WITH reservation AS (
         INSERT INTO stock_reservations (order_id, state, items) VALUES ($1, 'RESERVED', $2)
         ON CONFLICT (order_id) DO NOTHING RETURNING order_id)
       UPDATE stock SET available = stock.available - taken.quantity, updated_at = now()
         FROM unnest($3::text[], $4::int[]) AS taken (sku, quantity), reservation
        WHERE stock.sku = taken.sku
       RETURNING stock.sku`,
      [order.id, JSON.stringify(items), items.map((item) => item.sku), items.map((item) => item.quantity)],
    );
    if (taken.length === 0) return 'skipped';
    await transaction.emit('stock.reserved', { orderId: order.id, items });
    return 'done';
  }

  /** Whether the order holds a reservation (reserved, or reserved and released since). */
  async hasReservation(orderId: string, database: Queryable): Promise<boolean> {
    const rows: unknown[] = await database.query(`SELECT 1 FROM stock_reservations WHERE order_id = $1`, [orderId]);
    return rows.length > 0;
  }

  /**
   * Puts back what a cancelled order took, once (the reservation's state is the guard);
   * an order that never reserved has nothing to release.
   */
  async releaseFor(orderId: string, transaction: EventTransaction): Promise<HandlerOutcome> {
    const { manager } = transaction;
    const status = await this.orders.statusOf(orderId, manager);
    if (status !== 'CANCELLED') return refuse(status ? `order ${orderId} is ${status}, not CANCELLED` : `order ${orderId} does not exist`);
    const [released]: [{ items: EventItem[] }[], number] = await manager.query(
      `UPDATE stock_reservations SET state = 'RELEASED', released_at = now()
        WHERE order_id = $1 AND state = 'RESERVED' RETURNING items`,
      [orderId],
    );
    if (released.length === 0) return 'skipped';
    const items = released[0].items;
    // Locked in SKU order first, as reservations lock them, so the two never deadlock.
    await manager.query(`SELECT 1 FROM stock WHERE sku = ANY($1) ORDER BY sku FOR UPDATE`, [items.map((item) => item.sku)]);
    await manager.query(
      `UPDATE stock SET available = stock.available + given.quantity, updated_at = now()
         FROM unnest($1::text[], $2::int[]) AS given (sku, quantity)
        WHERE stock.sku = given.sku`,
      [items.map((item) => item.sku), items.map((item) => item.quantity)],
    );
    return 'done';
  }
}
