import type { OrderCreatedData } from '@backstop/transport';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, QueryFailedError } from 'typeorm';
import { literalHostProblem } from '../common/public-address';
import { notifyConfig } from '../config/notify.config';
import { PAYMENT_CHECK_BACK } from '../coordinator/check-back.daemon';
import { Coordinator } from '../coordinator/coordinator.service';
import type { EventTransaction } from '../coordinator/event-transaction';
import { HandlerOutcome, refuse } from '../compensation/handlers/event-handler.decorator';
import { Statement } from '../database/statement';
import { NotificationStatus, NotificationStatusService } from '../notify/notification-status.service';
import { RESERVATION_HELD_SQL, StockService } from '../stock/stock.service';
import type { CreateOrderDto } from './create-order.dto';
import { OrderException } from './order.exception';
import { OrderStatus, statusesThatCanBecome } from './order-state';

export const DEFAULT_CURRENCY = 'CNY';

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

export interface PlacedOrder {
  order: OrderRecord;
  /** False when an Idempotency-Key replay returned the order made the first time. */
  created: boolean;
}

export interface OrderView {
  order: OrderRecord;
  /** A charge is under way whose outcome is not known yet (202 from /pay). */
  paying: boolean;
  notification: NotificationStatus;
}

/** The order's row (always as `o`) and its items, read in one statement; `recordOf` maps it. */
const ORDER_COLUMNS = `o.id, o.merchant_id, o.status, o.total_amount, o.currency, o.notify_url, o.reason, o.trade_no, o.paid_at,
  o.created_at, o.request_fingerprint,
  coalesce((SELECT json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity, 'unitPrice', i.unit_price) ORDER BY i.sku)
              FROM order_items i WHERE i.order_id = o.id), '[]') AS items`;

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

const findOrder = new Statement<OrderRow>('order', `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.id = $1`);
const findByIdempotencyKey = new Statement<OrderRow>('order by idempotency key', `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.idempotency_key = $1`);
const lockOrder = new Statement<{ id: string; status: OrderStatus; total_amount: string; currency: string }>(
  'lock order',
  `SELECT id, status, total_amount, currency FROM orders WHERE id = $1 FOR UPDATE`,
);
/**
 * Moves an order to $2 from any of the states $3 (and, when $7 is given, only if that is its
 * total), setting what the move records; the rest stays.
 */
const moveOrder = new Statement<{ currency: string }>(
  'move order',
  `UPDATE orders SET status = $2, updated_at = now(),
          reason = coalesce($4, reason), trade_no = coalesce($5, trade_no), paid_at = coalesce($6, paid_at)
    WHERE id = $1 AND status = ANY($3) AND ($7::bigint IS NULL OR total_amount = $7) RETURNING currency`,
);
const orderExists = new Statement('order exists', `SELECT 1 FROM orders WHERE id = $1`);
/**
 * The stock module's answer about order $1 applied in one statement: whether the order
 * holds a reservation, and the move to $2 (from the states $3, with reason $4) made only when
 * that agrees with the answer ($5: reserved).
 */
const applyStockAnswer = new Statement<{ held: boolean; moved: boolean }>(
  'apply stock answer',
  `WITH held AS (SELECT ${RESERVATION_HELD_SQL} AS held),
   moved AS (UPDATE orders SET status = $2, updated_at = now(), reason = coalesce($4, reason)
              WHERE id = $1 AND status = ANY($3) AND (SELECT held FROM held) = $5 RETURNING id)
   SELECT held.held, EXISTS (SELECT 1 FROM moved) AS moved FROM held`,
);
/**
 * The order and its items in one statement; its values are written inline (see
 * Coordinator.commit), so the items come as one JSON text ($10: the order's `items`).
 */
const insertOrder = new Statement(
  'insert order',
  `WITH placed AS (
     INSERT INTO orders (id, merchant_id, status, total_amount, currency, notify_url, idempotency_key, request_fingerprint, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id)
   INSERT INTO order_items (order_id, sku, quantity, unit_price)
   SELECT placed.id, item.sku, item.quantity, item."unitPrice"
     FROM placed, jsonb_to_recordset($10::jsonb) AS item (sku text, quantity int, "unitPrice" bigint)`,
);

/** The largest amount in minor units that every JSON reader takes exactly (SPEC §4). */
const MAX_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER);

@Injectable()
export class OrdersService {
  private readonly view: Statement<OrderRow & { paying: boolean; notification: Parameters<NotificationStatusService['fromJson']>[0] }>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly coordinator: Coordinator,
    private readonly stock: StockService,
    private readonly notifications: NotificationStatusService,
    @Inject(notifyConfig.KEY) private readonly notify: ConfigType<typeof notifyConfig>,
  ) {
    // What a polling frontend asks for, in one statement: the order, its items, whether a
    // charge is under way (coordinator's) and its latest notification (notify's).
    this.view = new Statement(
      'order view',
      `SELECT ${ORDER_COLUMNS},
         ${coordinator.preparedSql(PAYMENT_CHECK_BACK, 'o.id::text')} AS paying,
         ${notifications.latestSql('o.id')} AS notification
       FROM orders o WHERE o.id = $1`,
    );
  }

  async place(request: CreateOrderDto, idempotencyKey?: string): Promise<PlacedOrder> {
    const fingerprint = idempotencyKey ? fingerprintOf(request) : null;
    if (idempotencyKey) {
      const earlier = await this.replay(idempotencyKey, fingerprint!);
      if (earlier) return earlier;
    }
    const problem = this.notify.allowPrivate ? undefined : literalHostProblem(new URL(request.notifyUrl));
    if (problem) throw OrderException.refusedNotifyUrl(problem);

    // Prices are read before the order's transaction rather than in it: READ COMMITTED reads
    // each statement's own snapshot and no lock is taken, so inside it they would read the
    // same, and the order can then be written and committed in one round trip.
    const { prices, unknown } = await this.stock.prices(
      request.items.map((item) => item.sku),
      this.dataSource,
    );
    if (unknown.length > 0) throw OrderException.unknownSkus(unknown);
    const total = request.items.reduce((sum, { sku, quantity }) => sum + BigInt(quantity) * prices.get(sku)!, 0n);
    if (total > MAX_AMOUNT) throw OrderException.totalTooLarge(total);
    const order: OrderRecord = {
      id: randomUUID(),
      merchantId: request.merchantId,
      status: 'PENDING',
      items: request.items.map(({ sku, quantity }) => ({ sku, quantity, unitPrice: Number(prices.get(sku)!) })),
      totalAmount: Number(total),
      currency: request.currency ?? DEFAULT_CURRENCY,
      notifyUrl: request.notifyUrl,
      reason: null,
      tradeNo: null,
      paidAt: null,
      createdAt: new Date(),
    };
    try {
      await this.coordinator.commit(
        {
          statement: insertOrder,
          values: [
            order.id,
            order.merchantId,
            order.status,
            order.totalAmount,
            order.currency,
            order.notifyUrl,
            idempotencyKey ?? null,
            fingerprint,
            order.createdAt.toISOString(),
            JSON.stringify(order.items),
          ],
        },
        [{ type: 'order.created', data: createdEventOf(order) }],
      );
      return { order, created: true };
    } catch (error) {
      // Two requests with the same key raced: the loser answers as a replay.
      if (idempotencyKey && isUniqueViolation(error)) {
        const earlier = await this.replay(idempotencyKey, fingerprint!);
        if (earlier) return earlier;
      }
      throw error;
    }
  }

  async find(id: string): Promise<OrderRecord | null> {
    const [row] = await findOrder.run(this.dataSource, [id]);
    return row ? recordOf(row) : null;
  }

  async get(id: string): Promise<OrderRecord> {
    const order = await this.find(id);
    if (!order) throw OrderException.notFound(id);
    return order;
  }

  /** `GET /orders/:id`: one statement, however often a frontend polls. */
  async viewOf(id: string): Promise<OrderView> {
    const [row] = await this.view.run(this.dataSource, [id]);
    if (!row) throw OrderException.notFound(id);
    return { order: recordOf(row), paying: row.paying, notification: this.notifications.fromJson(row.notification) };
  }

  /**
   * Applies the stock module's answer; a late or repeated answer changes nothing. The
   * answer must agree with the stock module's own record: "reserved" only for an order
   * that holds a reservation, "rejected" only for one that does not.
   */
  async applyStockResult(
    orderId: string,
    result: { reserved: true } | { reserved: false; reason?: string },
    transaction: EventTransaction,
  ): Promise<HandlerOutcome> {
    const next: OrderStatus = result.reserved ? 'CONFIRMED' : 'REJECTED';
    const reason = result.reserved ? null : (result.reason ?? 'not enough stock');
    const [{ held, moved }] = await applyStockAnswer.run(transaction.manager, [orderId, next, statusesThatCanBecome(next), reason, result.reserved]);
    if (held !== result.reserved) return refuse(`order ${orderId} ${result.reserved ? 'holds no reservation' : 'holds a reservation'}`);
    if (!moved) return this.missed(orderId, transaction);
    if (result.reserved) await transaction.emit('order.confirmed', { orderId });
    else await transaction.emit('order.rejected', { orderId, reason: reason! });
    return 'done';
  }

  /**
   * Records a successful charge of `amount`. Whichever of callback, direct answer or
   * check-back comes first makes the order PAID and emits `order.paid`; the others find it
   * paid. One statement when it goes through; the order is read only to say why it did not.
   */
  async settlePayment(
    orderId: string,
    charge: { tradeNo: string; amount: number },
    transaction: EventTransaction,
  ): Promise<'paid' | 'already-paid' | { notPayable: OrderStatus } | { amountDiffers: number }> {
    const paidAt = new Date();
    const [paid] = await this.transition(orderId, 'PAID', transaction, { tradeNo: charge.tradeNo, paidAt, amount: charge.amount });
    if (paid) {
      await transaction.emit('order.paid', { orderId, tradeNo: charge.tradeNo, amount: charge.amount, currency: paid.currency, paidAt: paidAt.toISOString() });
      return 'paid';
    }
    const order = await this.lock(orderId, transaction);
    if (!order) throw OrderException.notFound(orderId);
    if (order.totalAmount !== charge.amount) return { amountDiffers: order.totalAmount };
    if (order.status === 'PAID') return 'already-paid';
    return { notPayable: order.status };
  }

  /** CONFIRMED → CANCELLED with `order.cancelled`; any other state is left alone. */
  async cancel(orderId: string, reason: string, transaction: EventTransaction): Promise<HandlerOutcome> {
    if ((await this.transition(orderId, 'CANCELLED', transaction, { reason })).length === 0) return this.missed(orderId, transaction);
    await transaction.emit('order.cancelled', { orderId, reason });
    return 'done';
  }

  /** The order row, locked for the rest of the transaction (state changes are serialised per order). */
  async lock(orderId: string, transaction: EventTransaction): Promise<{ id: string; status: OrderStatus; totalAmount: number; currency: string } | null> {
    const [row] = await lockOrder.run(transaction.manager, [orderId]);
    return row ? { id: row.id, status: row.status, totalAmount: Number(row.total_amount), currency: row.currency } : null;
  }

  /** Moves the order to `next` in one statement, if the state machine allows it from where it is; answers the moved row. */
  private transition(
    orderId: string,
    next: OrderStatus,
    transaction: EventTransaction,
    recorded: { reason?: string | null; tradeNo?: string; paidAt?: Date; amount?: number },
  ) {
    return moveOrder.run(transaction.manager, [
      orderId,
      next,
      statusesThatCanBecome(next),
      recorded.reason ?? null,
      recorded.tradeNo ?? null,
      recorded.paidAt ?? null,
      recorded.amount ?? null,
    ]);
  }

  /** A transition that did not happen: a late or repeated event, or one about an order that does not exist. */
  private async missed(orderId: string, transaction: EventTransaction): Promise<HandlerOutcome> {
    const exists = await orderExists.run(transaction.manager, [orderId]);
    return exists.length > 0 ? 'skipped' : refuse(`order ${orderId} does not exist`);
  }

  private async replay(idempotencyKey: string, fingerprint: string): Promise<PlacedOrder | undefined> {
    const [earlier] = await findByIdempotencyKey.run(this.dataSource, [idempotencyKey]);
    if (!earlier) return undefined;
    if (earlier.request_fingerprint !== fingerprint) throw OrderException.idempotencyConflict();
    return { order: recordOf(earlier), created: false };
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

export function createdEventOf(order: OrderRecord): OrderCreatedData {
  return {
    id: order.id,
    merchantId: order.merchantId,
    status: order.status,
    items: order.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
    totalAmount: order.totalAmount,
    currency: order.currency,
    notifyUrl: order.notifyUrl,
    createdAt: order.createdAt.toISOString(),
  };
}

/** Same body, same fingerprint: field order and the default currency do not matter. */
function fingerprintOf(request: CreateOrderDto): string {
  const canonical = {
    merchantId: request.merchantId,
    items: request.items.map(({ sku, quantity }) => [sku, quantity]),
    notifyUrl: request.notifyUrl,
    currency: request.currency ?? DEFAULT_CURRENCY,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** PostgreSQL's unique_violation, as pg raises it (or TypeORM wraps it). */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? (error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined);
  return code === '23505';
}
