import type { EventItem, OrderCreatedData } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { HandlerOutcome, refuse } from '../compensation/handlers/event-handler.decorator';
import type { EventTransaction } from '../coordinator/event-transaction';
import { Database, Statement } from '../database/statement';
import { OrderFacts, sameItems } from '../orders/order-facts';
import { StockItem } from './stock-item.entity';
import { StockException } from './stock.exception';

const pricesOf = new Statement<{ sku: string; unit_price: string }>('stock prices', `SELECT sku, unit_price FROM stock WHERE sku = ANY($1)`);
/**
 * Whether order $1 holds a reservation (reserved, or reserved and released since), as an SQL
 * expression: exported so that orders checks a stock answer in the statement that applies it.
 */
export const RESERVATION_HELD_SQL = `EXISTS (SELECT 1 FROM stock_reservations WHERE order_id = $1)`;

/**
 * An order's items ($2 SKUs, $3 quantities, $4 as json) taken in one statement, all or
 * none: the rows are locked in SKU order (concurrent orders queue up, never deadlock),
 * checked, and taken with the reservation row that makes it once per order. Answers how
 * many SKUs were taken, the first item short of stock, or that the order reserved before.
 */
const reserve = new Statement<{ taken: number; short: { sku: string; quantity: number; available: number | null } | null; already: boolean }>(
  'reserve stock',
  `WITH wanted AS (SELECT * FROM unnest($2::text[], $3::int[]) AS wanted (sku, quantity)),
   locked AS MATERIALIZED (SELECT sku, available FROM stock WHERE sku = ANY($2) ORDER BY sku FOR UPDATE),
   short AS (SELECT wanted.sku, wanted.quantity, locked.available FROM wanted LEFT JOIN locked USING (sku)
              WHERE locked.available IS NULL OR locked.available < wanted.quantity ORDER BY wanted.sku LIMIT 1),
   earlier AS (SELECT 1 FROM stock_reservations WHERE order_id = $1),
   reservation AS (INSERT INTO stock_reservations (order_id, state, items)
                   SELECT $1, 'RESERVED', $4::jsonb WHERE NOT EXISTS (SELECT 1 FROM short) AND NOT EXISTS (SELECT 1 FROM earlier)
                   ON CONFLICT (order_id) DO NOTHING RETURNING order_id),
   taken AS (UPDATE stock SET available = stock.available - wanted.quantity, updated_at = now()
               FROM wanted, reservation WHERE stock.sku = wanted.sku AND stock.available >= wanted.quantity
             RETURNING stock.sku)
   SELECT (SELECT count(*) FROM taken)::int AS taken,
          (SELECT row_to_json(short) FROM short) AS short,
          EXISTS (SELECT 1 FROM earlier) AS already`,
);

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
  async prices(skus: string[], database: Database): Promise<{ prices: Map<string, bigint>; unknown: string[] }> {
    const found = await pricesOf.run(database, [skus]);
    const prices = new Map(found.map((item) => [item.sku, BigInt(item.unit_price)]));
    return { prices, unknown: skus.filter((sku) => !prices.has(sku)) };
  }

  /**
   * Takes every item of the order or none, never overselling. The event is checked
   * against the order first: only a PENDING order's own items are reserved.
   */
  async reserveFor(order: OrderCreatedData, transaction: EventTransaction): Promise<HandlerOutcome> {
    const { manager } = transaction;
    const facts = await this.orders.itemsOf(order.id, manager);
    if (!facts) return refuse(`order ${order.id} does not exist`);
    if (facts.status !== 'PENDING') return 'skipped';
    if (!sameItems(facts.items, order.items)) return refuse(`the items of order ${order.id} are not those of the event`);

    const items = facts.items;
    // The likely outcome's event is written first, so the stock rows stay locked for one
    // statement and the commit: a hot SKU serialises its orders for that long only.
    const reserved = await transaction.emit('stock.reserved', { orderId: order.id, items });
    const [outcome] = await reserve.run(manager, [
      order.id,
      items.map((item) => item.sku),
      items.map((item) => item.quantity),
      JSON.stringify(items),
    ]);
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
