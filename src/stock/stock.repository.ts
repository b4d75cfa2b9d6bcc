import type { EventItem } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { Db, Queryable } from '../database/db';
import { Bound, Statement } from '../database/sql';

export interface StockLevel {
  sku: string;
  available: number;
  unitPrice: number;
}

/** What reserving an order's items came to: SKUs taken, the first item short of stock, or an earlier reservation. */
export interface ReserveOutcome {
  taken: number;
  short: { sku: string; quantity: number; available: number | null } | null;
  already: boolean;
}

/** What an order took from stock, as ops read it. */
export interface StockReservationRecord {
  state: 'RESERVED' | 'RELEASED';
  items: { sku: string; quantity: number }[];
  reservedAt: Date;
  releasedAt: Date | null;
}

const level = new Statement<StockLevel>('stock level', `SELECT sku, available, unit_price::float8 AS "unitPrice" FROM stock WHERE sku = $1`);
const setLevel = new Statement<StockLevel>(
  'stock set level',
  `INSERT INTO stock (sku, available, unit_price, updated_at) VALUES ($1, $2, $3, now())
   ON CONFLICT (sku) DO UPDATE SET available = excluded.available, unit_price = excluded.unit_price, updated_at = now()
   RETURNING sku, available, unit_price::float8 AS "unitPrice"`,
);
const prices = new Statement<{ sku: string; unit_price: string }>('stock prices', `SELECT sku, unit_price FROM stock WHERE sku = ANY($1)`);
const reservationOf = new Statement<{ state: 'RESERVED' | 'RELEASED'; items: { sku: string; quantity: number }[]; reserved_at: Date; released_at: Date | null }>(
  'stock reservation of order',
  `SELECT state, items, reserved_at, released_at FROM stock_reservations WHERE order_id = $1`,
);
const holdsReservation = new Statement<{ held: boolean }>('stock holds reservation', `SELECT EXISTS (SELECT 1 FROM stock_reservations WHERE order_id = $1) AS held`);
/**
 * The taking of order $1's items ($2, as json): the stock rows are locked in SKU order
 * (concurrent orders queue up, never deadlock), checked, and taken with the reservation row
 * that makes it once per order, all or none. Only strings travel, so it can also be sent
 * inline with a commit.
 */
const TAKE = `wanted AS (SELECT sku, quantity FROM jsonb_to_recordset($2::jsonb) AS wanted (sku text, quantity int)),
   locked AS MATERIALIZED (SELECT sku, available FROM stock WHERE sku IN (SELECT sku FROM wanted) ORDER BY sku FOR UPDATE),
   short AS (SELECT wanted.sku, wanted.quantity, locked.available FROM wanted LEFT JOIN locked USING (sku)
              WHERE locked.available IS NULL OR locked.available < wanted.quantity ORDER BY wanted.sku LIMIT 1),
   earlier AS (SELECT 1 FROM stock_reservations WHERE order_id = $1),
   reservation AS (INSERT INTO stock_reservations (order_id, state, items)
                   SELECT $1, 'RESERVED', $2::jsonb WHERE NOT EXISTS (SELECT 1 FROM short) AND NOT EXISTS (SELECT 1 FROM earlier)
                   ON CONFLICT (order_id) DO NOTHING RETURNING order_id),
   taken AS (UPDATE stock SET available = stock.available - wanted.quantity, updated_at = now()
               FROM wanted, reservation WHERE stock.sku = wanted.sku AND stock.available >= wanted.quantity
             RETURNING stock.sku)`;

/** Takes the items, answering how it went: SKUs taken, the first item short, or an earlier reservation. */
const reserve = new Statement<ReserveOutcome>(
  'stock reserve',
  `WITH ${TAKE}
   SELECT (SELECT count(*) FROM taken)::int AS taken,
          (SELECT row_to_json(short) FROM short) AS short,
          EXISTS (SELECT 1 FROM earlier) AS already`,
);

/**
 * Takes the items or fails the transaction it is committed with: `stock_reservation_refused`
 * raises SQLSTATE BS001 (migration 1795347000000) unless every item was taken.
 */
const reserveOrFail = new Statement<{ taken: boolean }>(
  'stock reserve or fail',
  `WITH ${TAKE}
   SELECT CASE WHEN (SELECT count(*) FROM taken) = (SELECT count(*) FROM wanted) THEN true ELSE stock_reservation_refused($1::uuid) END AS taken`,
);

/** The SQLSTATE `reserveOrFail` fails with. */
const RESERVATION_REFUSED = 'BS001';

/**
 * Order $1's reservation released and its items put back, once (the reservation's state is
 * the guard); the stock rows are locked in SKU order first, as reservations lock them, so
 * the two never deadlock. Answers the items put back, none when there was nothing to release.
 */
const release = new Statement<{ items: EventItem[] }>(
  'stock release',
  `WITH released AS (
     UPDATE stock_reservations SET state = 'RELEASED', released_at = now()
      WHERE order_id = $1 AND state = 'RESERVED' RETURNING items),
   given AS (SELECT item.sku, item.quantity FROM released, jsonb_to_recordset(released.items) AS item (sku text, quantity int)),
   locked AS MATERIALIZED (SELECT stock.sku FROM stock WHERE stock.sku IN (SELECT sku FROM given) ORDER BY stock.sku FOR UPDATE),
   put AS (UPDATE stock SET available = stock.available + given.quantity, updated_at = now()
             FROM given WHERE stock.sku = given.sku AND EXISTS (SELECT 1 FROM locked) RETURNING stock.sku)
   SELECT items, (SELECT count(*) FROM put) AS put FROM released`,
);

/** The stock module's tables: `stock` (levels and prices) and `stock_reservations`. */
@Injectable()
export class StockRepository {
  constructor(private readonly db: Db) {}

  async level(sku: string): Promise<StockLevel | null> {
    return (await this.db.run(level, [sku]))[0] ?? null;
  }

  async setLevel(sku: string, available: number, unitPrice: number): Promise<StockLevel> {
    return (await this.db.run(setLevel, [sku, available, unitPrice]))[0];
  }

  /** Unit prices as exact integers (a price times a quantity may pass 2^53). */
  async prices(skus: string[]): Promise<Map<string, bigint>> {
    return new Map((await this.db.run(prices, [skus])).map((row) => [row.sku, BigInt(row.unit_price)]));
  }

  /** What the order took from stock and when, and when it gave it back; null when it holds no reservation. */
  async reservationOf(orderId: string): Promise<StockReservationRecord | null> {
    const [row] = await this.db.run(reservationOf, [orderId]);
    return row ? { state: row.state, items: row.items, reservedAt: row.reserved_at, releasedAt: row.released_at } : null;
  }

  async holdsReservation(orderId: string, database: Queryable): Promise<boolean> {
    return (await database.run(holdsReservation, [orderId]))[0].held;
  }

  /** The read `holdsReservation` makes, to send ahead with a transaction's BEGIN. */
  holdsReservationAhead(orderId: string): Bound {
    return holdsReservation.bind([orderId]);
  }

  async reserve(orderId: string, items: { sku: string; quantity: number }[], database: Queryable): Promise<ReserveOutcome> {
    const [outcome] = await database.run(reserve, [orderId, JSON.stringify(items)]);
    return outcome;
  }

  /** The reservation of every item, to send with a commit: it fails the transaction unless it takes them all (`isRefusal`). */
  reserveOrFail(orderId: string, items: { sku: string; quantity: number }[]): Bound {
    return reserveOrFail.bind([orderId, JSON.stringify(items)]);
  }

  /** Whether a transaction failed because the reservation sent with its commit could not take every item. */
  isRefusal(error: unknown): boolean {
    return (error as { code?: unknown } | null)?.code === RESERVATION_REFUSED;
  }

  /** Whether there was a reservation to release (and it now is). */
  async release(orderId: string, database: Queryable): Promise<boolean> {
    return (await database.run(release, [orderId])).length > 0;
  }
}
