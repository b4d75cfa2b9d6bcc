import type { OrderCreatedData } from '@backstop/transport';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { HandlerOutcome, refuse } from '../compensation/handlers/event-handler.decorator';
import type { EventTransaction } from '../coordinator/event-transaction';
import { Coordinator } from '../coordinator/coordinator.service';
import type { Bound } from '../database/sql';
import { literalHostProblem } from '../common/public-address';
import { notifyConfig } from '../config/notify.config';
import { MerchantDirectory } from '../merchants/merchant-directory';
import { StockService } from '../stock/stock.service';
import type { CreateOrderDto } from './create-order.dto';
import { CommittedOrders } from './committed-orders';
import { NotificationStatus, notificationStatusOf } from './notification-status';
import { OrderException } from './order.exception';
import { isFinal, OrderStatus, statusesThatCanBecome } from './order-state';
import { OrderOutcome, OrderRecord, OrdersRepository } from './orders.repository';

export type { OrderRecord } from './orders.repository';

export const DEFAULT_CURRENCY = 'CNY';

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

/** The largest amount in minor units that every JSON reader takes exactly. */
const MAX_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER);

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly coordinator: Coordinator,
    private readonly stock: StockService,
    private readonly merchants: MerchantDirectory,
    @Inject(notifyConfig.KEY) private readonly notify: ConfigType<typeof notifyConfig>,
    private readonly committedOrders: CommittedOrders,
  ) {}

  async place(request: CreateOrderDto, idempotencyKey?: string): Promise<PlacedOrder> {
    const fingerprint = idempotencyKey ? fingerprintOf(request) : null;
    if (idempotencyKey) {
      const earlier = await this.replay(idempotencyKey, fingerprint!);
      if (earlier) return earlier;
    }
    await this.admit(request);

    // Prices are read before the order's transaction rather than in it: READ COMMITTED reads
    // each statement's own snapshot and no lock is taken, so inside it they would read the
    // same, and the order can then be written and committed in one round trip.
    const { prices, unknown } = await this.stock.prices(request.items.map((item) => item.sku));
    if (unknown.length > 0) throw OrderException.unknownSkus(unknown);
    const total = request.items.reduce((sum, { sku, quantity }) => sum + BigInt(quantity) * prices.get(sku)!, 0n);
    if (total > MAX_AMOUNT) throw OrderException.totalTooLarge(total);
    const order: OrderRecord = {
      // Time-ordered (UUIDv7), not random: the order's id keys orders, its items and its
      // reservation, so a new one lands at the right-hand edge of those indexes. A random id
      // lands on a random page of an index of millions, and the first change to a page after
      // each checkpoint writes the whole page to the WAL (docs/benchmarks.md, run 25).
      id: uuidv7(),
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
      await this.coordinator.commit(this.orders.insert(order, idempotencyKey ?? null, fingerprint), [{ type: 'order.created', data: createdEventOf(order) }]);
      this.committedOrders.remember(outcomeOf(order));
      return { order, created: true };
    } catch (error) {
      // Two requests with the same key raced: the loser answers as a replay.
      if (idempotencyKey && (error as { code?: string }).code === UNIQUE_VIOLATION) {
        const earlier = await this.replay(idempotencyKey, fingerprint!);
        if (earlier) return earlier;
      }
      throw error;
    }
  }

  /**
   * Whether the merchant may be sent this order's outcome where it asks: a registered merchant
   * only on its own origins, when it lists them; an unregistered one only while there is a
   * NOTIFY_SIGNING_SECRET to sign for it. The SSRF rule holds for every one.
   */
  private async admit(request: CreateOrderDto): Promise<void> {
    const terms = await this.merchants.terms(request.merchantId);
    if (!terms && !this.notify.signingKey) throw OrderException.unknownMerchant(request.merchantId);
    const url = new URL(request.notifyUrl);
    if (terms?.notifyOrigins && !terms.notifyOrigins.includes(url.origin)) throw OrderException.notifyUrlOffOrigins(terms.notifyOrigins);
    const problem = this.notify.allowPrivate ? undefined : literalHostProblem(url);
    if (problem) throw OrderException.refusedNotifyUrl(problem);
  }

  async find(id: string): Promise<OrderRecord | null> {
    return (await this.orders.view(id))?.order ?? null;
  }

  async get(id: string): Promise<OrderRecord> {
    return (await this.viewOf(id)).order;
  }

  /** `GET /orders/:id`: one statement, however often a frontend polls. */
  async viewOf(id: string): Promise<OrderView> {
    const view = await this.orders.view(id);
    if (!view) throw OrderException.notFound(id);
    return { order: view.order, paying: view.paying, notification: notificationStatusOf(view.notification) };
  }

  /**
   * The usual stock answer, "reserved" for an order still PENDING: the move to CONFIRMED goes
   * with the commit, in its round trip, beside `order.confirmed`. When the order did not move
   * (a late or repeated answer), the transaction fails (`isMoveRefused`), and
   * `applyStockResult` goes again step by step to say why.
   */
  async confirmWithCommit(orderId: string, transaction: EventTransaction): Promise<HandlerOutcome> {
    if (!(await this.stock.holdsReservation(orderId, transaction))) return refuse(`order ${orderId} holds no reservation`);
    transaction.atCommit(this.orders.moveOrFail(orderId, 'CONFIRMED', statusesThatCanBecome('CONFIRMED')));
    await transaction.emit('order.confirmed', { orderId });
    return 'done';
  }

  /** Whether a transaction failed because an order's move sent with it did not happen (`confirmWithCommit`). */
  isMoveRefused(error: unknown): boolean {
    return this.orders.isMoveRefused(error);
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
    const held = await this.stock.holdsReservation(orderId, transaction);
    if (held !== result.reserved) return refuse(`order ${orderId} ${result.reserved ? 'holds no reservation' : 'holds a reservation'}`);
    const next: OrderStatus = result.reserved ? 'CONFIRMED' : 'REJECTED';
    const reason = result.reserved ? null : (result.reason ?? 'not enough stock');
    if (!(await this.transition(orderId, next, transaction, { reason }))) return this.missed(orderId, transaction);
    if (result.reserved) await transaction.emit('order.confirmed', { orderId });
    else await transaction.emit('order.rejected', { orderId, reason: reason! });
    return 'done';
  }

  /** What `applyStockResult` reads, for `HandlerContext.once` to send ahead. */
  stockResultReads(orderId: string): Bound[] {
    return [this.stock.holdsReservationAhead(orderId)];
  }

  /**
   * The usual payment, in one round trip: an order this process placed (so its amount and
   * currency are known here) becomes PAID with its `order.paid`, both in one statement's
   * transaction. False, with nothing written, when the order is not known here or did not
   * move (not CONFIRMED for that amount and currency): `settlePayment` then says why.
   */
  async payKnownOrder(orderId: string, charge: { tradeNo: string; amount: number }): Promise<boolean> {
    const known = this.committedOrders.recall(orderId);
    if (!known || isFinal(known.status) || known.totalAmount !== charge.amount) return false;
    const paidAt = new Date();
    const paid = { tradeNo: charge.tradeNo, paidAt, amount: charge.amount, currency: known.currency };
    try {
      await this.coordinator.commit(this.orders.payOrFail(orderId, paid, statusesThatCanBecome('PAID')), [
        { type: 'order.paid', data: { orderId, tradeNo: charge.tradeNo, amount: charge.amount, currency: known.currency, paidAt: paidAt.toISOString() } },
      ]);
    } catch (error) {
      if (this.orders.isMoveRefused(error)) return false;
      throw error;
    }
    this.committedOrders.remember({ ...known, status: 'PAID', tradeNo: charge.tradeNo, paidAt });
    return true;
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
    const paid = await this.transition(orderId, 'PAID', transaction, { tradeNo: charge.tradeNo, paidAt, amount: charge.amount });
    if (paid) {
      await transaction.emit('order.paid', { orderId, tradeNo: charge.tradeNo, amount: charge.amount, currency: paid.currency, paidAt: paidAt.toISOString() });
      return 'paid';
    }
    const order = await this.orders.lock(orderId, transaction);
    if (!order) throw OrderException.notFound(orderId);
    if (order.totalAmount !== charge.amount) return { amountDiffers: order.totalAmount };
    if (order.status === 'PAID') return 'already-paid';
    return { notPayable: order.status };
  }

  /** CONFIRMED → CANCELLED with `order.cancelled`; any other state is left alone. */
  async cancel(orderId: string, reason: string, transaction: EventTransaction): Promise<HandlerOutcome> {
    if (!(await this.transition(orderId, 'CANCELLED', transaction, { reason }))) return this.missed(orderId, transaction);
    await transaction.emit('order.cancelled', { orderId, reason });
    return 'done';
  }

  /** The order row, locked for the rest of the transaction (state changes are serialised per order). */
  lock(orderId: string, transaction: EventTransaction) {
    return this.orders.lock(orderId, transaction);
  }

  /**
   * Moves the order to `next` in one statement, if the state machine allows it from where it
   * is. A final outcome is remembered once committed, for this process's notify consumer.
   */
  private async transition(orderId: string, next: OrderStatus, transaction: EventTransaction, recorded: Parameters<OrdersRepository['move']>[3]) {
    const moved = await this.orders.move(orderId, next, statusesThatCanBecome(next), recorded, transaction);
    if (moved && isFinal(next)) transaction.afterCommit(() => this.committedOrders.remember(moved));
    return moved;
  }

  /** A transition that did not happen: a late or repeated event, or one about an order that does not exist. */
  private async missed(orderId: string, transaction: EventTransaction): Promise<HandlerOutcome> {
    return (await this.orders.exists(orderId, transaction)) ? 'skipped' : refuse(`order ${orderId} does not exist`);
  }

  private async replay(idempotencyKey: string, fingerprint: string): Promise<PlacedOrder | undefined> {
    const earlier = await this.orders.findByIdempotencyKey(idempotencyKey);
    if (!earlier) return undefined;
    if (earlier.fingerprint !== fingerprint) throw OrderException.idempotencyConflict();
    return { order: earlier.order, created: false };
  }
}

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

export function createdEventOf(order: OrderRecord): OrderCreatedData {
  return {
    id: order.id,
    orderId: order.id,
    merchantId: order.merchantId,
    status: order.status,
    items: order.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
    totalAmount: order.totalAmount,
    currency: order.currency,
    notifyUrl: order.notifyUrl,
    createdAt: order.createdAt.toISOString(),
  };
}

/** What a placed order's outcome will report, as far as it is known when it is placed. */
function outcomeOf(order: OrderRecord): OrderOutcome {
  const { id, merchantId, status, totalAmount, currency, notifyUrl, tradeNo, paidAt, reason } = order;
  return { id, merchantId, status, totalAmount, currency, notifyUrl, tradeNo, paidAt, reason };
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
