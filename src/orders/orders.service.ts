import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { QueryFailedError, Repository } from 'typeorm';
import { literalHostProblem } from '../common/public-address';
import { notifyConfig } from '../config/notify.config';
import { Coordinator } from '../coordinator/coordinator.service';
import type { EventTransaction } from '../coordinator/event-transaction';
import type { HandlerOutcome } from '../compensation/handlers/event-handler.decorator';
import type { OrderCreatedData } from '../messaging/event-map';
import { StockService } from '../stock/stock.service';
import type { CreateOrderDto } from './create-order.dto';
import { OrderItem } from './order-item.entity';
import { Order } from './order.entity';
import { OrderException } from './order.exception';
import { canTransition, OrderStatus } from './order-state';

export const DEFAULT_CURRENCY = 'CNY';

export interface PlacedOrder {
  order: Order;
  /** False when an Idempotency-Key replay returned the order made the first time. */
  created: boolean;
}

@Injectable()
export class OrdersService {
  constructor(
    @InjectRepository(Order) private readonly orders: Repository<Order>,
    private readonly coordinator: Coordinator,
    private readonly stock: StockService,
    @Inject(notifyConfig.KEY) private readonly notify: ConfigType<typeof notifyConfig>,
  ) {}

  async place(request: CreateOrderDto, idempotencyKey?: string): Promise<PlacedOrder> {
    const fingerprint = idempotencyKey ? fingerprintOf(request) : null;
    if (idempotencyKey) {
      const earlier = await this.replay(idempotencyKey, fingerprint!);
      if (earlier) return earlier;
    }
    const problem = this.notify.allowPrivate ? undefined : literalHostProblem(new URL(request.notifyUrl));
    if (problem) throw OrderException.refusedNotifyUrl(problem);

    const skus = request.items.map((item) => item.sku);
    try {
      const order = await this.coordinator.transaction(async (transaction) => {
        const { prices, unknown } = await this.stock.prices(skus, transaction.manager);
        if (unknown.length > 0) throw OrderException.unknownSkus(unknown);
        const items = request.items.map(({ sku, quantity }) => ({ sku, quantity, unitPrice: prices.get(sku)! }));
        const order = transaction.manager.create(Order, {
          id: randomUUID(),
          merchantId: request.merchantId,
          status: 'PENDING',
          totalAmount: items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0),
          currency: request.currency ?? DEFAULT_CURRENCY,
          notifyUrl: request.notifyUrl,
          reason: null,
          tradeNo: null,
          paidAt: null,
          idempotencyKey: idempotencyKey ?? null,
          requestFingerprint: fingerprint,
          createdAt: new Date(),
        });
        // insert, not save: save would first SELECT the new id to decide between INSERT and UPDATE.
        await transaction.manager.insert(Order, order);
        order.items = items.map((item) => transaction.manager.create(OrderItem, { orderId: order.id, ...item }));
        await transaction.manager.insert(OrderItem, order.items);
        await transaction.emit('order.created', createdEventOf(order));
        return order;
      });
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

  find(id: string): Promise<Order | null> {
    return this.orders.findOneBy({ id });
  }

  async get(id: string): Promise<Order> {
    const order = await this.orders.findOne({ where: { id }, relations: { items: true }, order: { items: { sku: 'ASC' } } });
    if (!order) throw OrderException.notFound(id);
    return order;
  }

  /** Applies the stock module's answer; a late or repeated answer changes nothing. */
  async applyStockResult(
    orderId: string,
    result: { reserved: true } | { reserved: false; reason?: string },
    transaction: EventTransaction,
  ): Promise<HandlerOutcome> {
    const next: OrderStatus = result.reserved ? 'CONFIRMED' : 'REJECTED';
    const order = await this.lock(orderId, transaction);
    if (!order || !canTransition(order.status, next)) return 'skipped';
    if (result.reserved) {
      await transaction.manager.update(Order, { id: orderId }, { status: 'CONFIRMED' });
      await transaction.emit('order.confirmed', { orderId });
    } else {
      const reason = result.reason ?? 'not enough stock';
      await transaction.manager.update(Order, { id: orderId }, { status: 'REJECTED', reason });
      await transaction.emit('order.rejected', { orderId, reason });
    }
    return 'done';
  }

  /**
   * Records a successful charge. Whichever of callback, direct answer or check-back
   * comes first makes the order PAID and emits `order.paid`; the others find it paid.
   */
  async settlePayment(
    orderId: string,
    charge: { tradeNo: string; amount: number },
    transaction: EventTransaction,
  ): Promise<'paid' | 'already-paid' | { notPayable: OrderStatus }> {
    const order = await this.lock(orderId, transaction);
    if (!order) throw OrderException.notFound(orderId);
    if (order.status === 'PAID') return 'already-paid';
    if (!canTransition(order.status, 'PAID')) return { notPayable: order.status };
    const paidAt = new Date();
    await transaction.manager.update(Order, { id: orderId }, { status: 'PAID', tradeNo: charge.tradeNo, paidAt });
    await transaction.emit('order.paid', {
      orderId,
      tradeNo: charge.tradeNo,
      amount: charge.amount,
      currency: order.currency,
      paidAt: paidAt.toISOString(),
    });
    return 'paid';
  }

  /** CONFIRMED → CANCELLED with `order.cancelled`; any other state is left alone. */
  async cancel(orderId: string, reason: string, transaction: EventTransaction): Promise<HandlerOutcome> {
    const order = await this.lock(orderId, transaction);
    if (!order || !canTransition(order.status, 'CANCELLED')) return 'skipped';
    await transaction.manager.update(Order, { id: orderId }, { status: 'CANCELLED', reason });
    await transaction.emit('order.cancelled', { orderId, reason });
    return 'done';
  }

  /** The order row, locked for the rest of the transaction (state changes are serialised per order). */
  lock(orderId: string, transaction: EventTransaction): Promise<Order | null> {
    return transaction.manager.findOne(Order, { where: { id: orderId }, lock: { mode: 'pessimistic_write' } });
  }

  private async replay(idempotencyKey: string, fingerprint: string): Promise<PlacedOrder | undefined> {
    const earlier = await this.orders.findOne({ where: { idempotencyKey }, relations: { items: true } });
    if (!earlier) return undefined;
    if (earlier.requestFingerprint !== fingerprint) throw OrderException.idempotencyConflict();
    return { order: earlier, created: false };
  }
}

export function createdEventOf(order: Order): OrderCreatedData {
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

function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505';
}
