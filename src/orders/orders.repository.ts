import { Injectable } from '@nestjs/common';
import { Db, Queryable } from '../database/db';
import { Bound, Statement } from '../database/sql';
import type { OrderStatus } from './order-state';

/** An order as the API shows it. */
export interface OrderRecord {
  id: string;
  merchantId: string;
  status: OrderStatus;
  items: { sku: string; quantity: number; unitPrice: number }[];
  totalAmount: number;
  currency: string;
  notifyUrl: string;
  reason: string | null;
  tradeNo: string | null;
  paidAt: Date | null;
  createdAt: Date;
}

/** Who to tell about an order, and what its outcome was: what a notification says. */
export interface OrderOutcome {
  id: string;
  merchantId: string;
  status: OrderStatus;
  totalAmount: number;
  currency: string;
  notifyUrl: string;
  tradeNo: string | null;
  paidAt: Date | null;
  reason: string | null;
}

/** Where the latest notification of an order stands, as `order_views` has it. */
export interface LatestNotification {
  state: string;
  attempts: number;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
}

interface OrderRow {
  id: string;
  merchant_id: string;
  status: OrderStatus;
  total_amount: string;
  currency: string;
  notify_url: string;
  reason: string | null;
  trade_no: string | null;
  paid_at: Date | null;
  created_at: Date;
  request_fingerprint: string | null;
  items: OrderRecord['items'];
}

interface ViewRow extends OrderRow {
  paying: boolean;
  notification: LatestNotification | null;
}

/**
 * `order_views` (a migration defines it) is the order with its items, whether a charge is
 * under way and its latest notification: what `GET /orders/:id` answers, in one statement.
 */
const view = new Statement<ViewRow>('orders view', `SELECT * FROM order_views WHERE id = $1`);
/** The view with when the order last moved: what ops' order timeline starts from. */
const standing = new Statement<ViewRow & { updated_at: Date }>(
  'orders standing',
  `SELECT v.*, o.updated_at FROM order_views v JOIN orders o ON o.id = v.id WHERE v.id = $1`,
);
const byIdempotencyKey = new Statement<ViewRow>('orders by idempotency key', `SELECT * FROM order_views WHERE idempotency_key = $1`);
const lock = new Statement<{ id: string; status: OrderStatus; total_amount: string; currency: string }>(
  'orders lock',
  `SELECT id, status, total_amount, currency FROM orders WHERE id = $1 FOR UPDATE`,
);
const OUTCOME_COLUMNS = `id, merchant_id AS "merchantId", status, total_amount::float8 AS "totalAmount", currency, notify_url AS "notifyUrl",
          trade_no AS "tradeNo", paid_at AS "paidAt", reason`;
/** Moves order $1 to $2 from any of the states $3 (and, when $7 is given, only if that is its total), setting what the move records; answers the outcome it makes. */
const move = new Statement<OrderOutcome>(
  'orders move',
  `UPDATE orders SET status = $2, updated_at = now(),
          reason = coalesce($4, reason), trade_no = coalesce($5, trade_no), paid_at = coalesce($6, paid_at)
    WHERE id = $1 AND status = ANY($3) AND ($7::bigint IS NULL OR total_amount = $7)
    RETURNING ${OUTCOME_COLUMNS}`,
);
/**
 * Order $1 paid with trade $2 at $3, from any of the states $6, if it is for $4 in currency
 * $5; or the transaction it is sent in fails: `order_move_refused` raises SQLSTATE BS002
 * (migration 1795348000000). Its values are all literals (text, whole numbers, an instant, a
 * text array), so it can be sent inline.
 */
const payOrFail = new Statement<{ moved: boolean }>(
  'orders pay or fail',
  `WITH moved AS (
     UPDATE orders SET status = 'PAID', updated_at = now(), trade_no = $2, paid_at = $3
      WHERE id = $1 AND status = ANY($6) AND total_amount = $4 AND currency = $5 RETURNING id)
   SELECT CASE WHEN EXISTS (SELECT 1 FROM moved) THEN true ELSE order_move_refused($1::uuid) END AS moved`,
);
/** Order $1 moved to $2 from any of the states $3, or the transaction it is sent in fails (BS002, as `payOrFail`). */
const moveOrFail = new Statement<{ moved: boolean }>(
  'orders move or fail',
  `WITH moved AS (UPDATE orders SET status = $2, updated_at = now() WHERE id = $1 AND status = ANY($3) RETURNING id)
   SELECT CASE WHEN EXISTS (SELECT 1 FROM moved) THEN true ELSE order_move_refused($1::uuid) END AS moved`,
);
/** The SQLSTATE `payOrFail` and `moveOrFail` fail with. */
const MOVE_REFUSED = 'BS002';
const exists = new Statement('orders exists', `SELECT 1 FROM orders WHERE id = $1`);
/** The order and its items in one statement; the items come as one JSON text ($10). */
const insert = new Statement(
  'orders insert',
  `WITH placed AS (
     INSERT INTO orders (id, merchant_id, status, total_amount, currency, notify_url, idempotency_key, request_fingerprint, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id)
   INSERT INTO order_items (order_id, sku, quantity, unit_price)
   SELECT placed.id, item.sku, item.quantity, item."unitPrice"
     FROM placed, jsonb_to_recordset($10::jsonb) AS item (sku text, quantity int, "unitPrice" bigint)`,
);
const itemsOf = new Statement<{ status: OrderStatus; items: { sku: string; quantity: number }[] }>(
  'orders items',
  `SELECT o.status, coalesce((SELECT json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity) ORDER BY i.sku)
                                FROM order_items i WHERE i.order_id = o.id), '[]') AS items
     FROM orders o WHERE o.id = $1`,
);
const statusOf = new Statement<{ status: OrderStatus }>('orders status', `SELECT status FROM orders WHERE id = $1`);
/** Who to tell about order $1, and what its outcome was. */
const outcomeOf = new Statement<OrderOutcome>(
  'orders outcome',
  `SELECT ${OUTCOME_COLUMNS} FROM orders WHERE id = $1`,
);
const latestNotifyUrl = new Statement<{ notify_url: string }>(
  'orders latest notify url',
  `SELECT notify_url FROM orders WHERE merchant_id = $1 ORDER BY created_at DESC LIMIT 1`,
);
const placedAt = new Statement<{ created_at: Date }>('orders placed at', `SELECT created_at FROM orders WHERE id = $1`);

/** The orders module's tables: `orders`, `order_items`, and the read model `order_views`. */
@Injectable()
export class OrdersRepository {
  constructor(private readonly db: Db) {}

  /** The order with what `GET /orders/:id` shows beside it. */
  async view(id: string): Promise<{ order: OrderRecord; paying: boolean; notification: LatestNotification | null } | null> {
    const [row] = await this.db.run(view, [id]);
    return row ? { order: recordOf(row), paying: row.paying, notification: row.notification } : null;
  }

  /** The order, when it last moved (its latest state change) and whether a charge is under way. */
  async standing(id: string): Promise<{ order: OrderRecord; updatedAt: Date; paying: boolean } | null> {
    const [row] = await this.db.run(standing, [id]);
    return row ? { order: recordOf(row), updatedAt: row.updated_at, paying: row.paying } : null;
  }

  async findByIdempotencyKey(key: string): Promise<{ order: OrderRecord; fingerprint: string | null } | null> {
    const [row] = await this.db.run(byIdempotencyKey, [key]);
    return row ? { order: recordOf(row), fingerprint: row.request_fingerprint } : null;
  }

  /** For `Coordinator.commit`: the order and its items, written in one statement. */
  insert(order: OrderRecord, idempotencyKey: string | null, fingerprint: string | null): Bound {
    return insert.bind([
      order.id,
      order.merchantId,
      order.status,
      order.totalAmount,
      order.currency,
      order.notifyUrl,
      idempotencyKey,
      fingerprint,
      order.createdAt.toISOString(),
      JSON.stringify(order.items),
    ]);
  }

  /** The order row, locked for the rest of the transaction (state changes are serialised per order). */
  async lock(id: string, database: Queryable): Promise<{ id: string; status: OrderStatus; totalAmount: number; currency: string } | null> {
    const [row] = await database.run(lock, [id]);
    return row ? { id: row.id, status: row.status, totalAmount: Number(row.total_amount), currency: row.currency } : null;
  }

  /** Moves the order to `next` from one of `from`, recording what the move says; the moved order's outcome, or null. */
  async move(
    id: string,
    next: OrderStatus,
    from: OrderStatus[],
    recorded: { reason?: string | null; tradeNo?: string; paidAt?: Date; amount?: number },
    database: Queryable,
  ): Promise<OrderOutcome | null> {
    const [moved] = await database.run(move, [id, next, from, recorded.reason ?? null, recorded.tradeNo ?? null, recorded.paidAt ?? null, recorded.amount ?? null]);
    return moved ?? null;
  }

  /** The order's move to PAID, to send with its event: it fails the transaction unless the order moves (`isMoveRefused`). */
  payOrFail(id: string, charge: { tradeNo: string; paidAt: Date; amount: number; currency: string }, from: OrderStatus[]): Bound {
    return payOrFail.bind([id, charge.tradeNo, charge.paidAt, charge.amount, charge.currency, from]);
  }

  /** The order's move to `next`, to send with a commit: it fails the transaction unless the order moves (`isMoveRefused`). */
  moveOrFail(id: string, next: OrderStatus, from: OrderStatus[]): Bound {
    return moveOrFail.bind([id, next, from]);
  }

  /** Whether a transaction failed because the move sent in it did not happen. */
  isMoveRefused(error: unknown): boolean {
    return (error as { code?: unknown } | null)?.code === MOVE_REFUSED;
  }

  async exists(id: string, database: Queryable): Promise<boolean> {
    return (await database.run(exists, [id])).length > 0;
  }

  async itemsOf(id: string, database: Queryable): Promise<{ status: OrderStatus; items: { sku: string; quantity: number }[] } | null> {
    return (await database.run(itemsOf, [id]))[0] ?? null;
  }

  /** The read `itemsOf` makes, to send ahead with a transaction's BEGIN. */
  itemsAhead(id: string): Bound {
    return itemsOf.bind([id]);
  }

  async statusOf(id: string, database: Queryable): Promise<OrderStatus | null> {
    return (await database.run(statusOf, [id]))[0]?.status ?? null;
  }

  async outcomeOf(id: string): Promise<OrderOutcome | null> {
    return (await this.db.run(outcomeOf, [id]))[0] ?? null;
  }

  async latestNotifyUrl(merchantId: string): Promise<string | null> {
    return (await this.db.run(latestNotifyUrl, [merchantId]))[0]?.notify_url ?? null;
  }

  async placedAt(orderId: string): Promise<Date | null> {
    return (await this.db.run(placedAt, [orderId]))[0]?.created_at ?? null;
  }
}

function recordOf(row: OrderRow): OrderRecord {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    status: row.status,
    items: row.items,
    totalAmount: Number(row.total_amount),
    currency: row.currency,
    notifyUrl: row.notify_url,
    reason: row.reason,
    tradeNo: row.trade_no,
    paidAt: row.paid_at,
    createdAt: row.created_at,
  };
}
