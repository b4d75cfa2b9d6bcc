import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import type { EventTransaction } from '../coordinator/event-transaction';
import type { EventItem, OrderCreatedData } from '../messaging/event-map';
import { StockItem } from './stock-item.entity';
import { StockReservation } from './stock-reservation.entity';
import { StockException } from './stock.exception';

@Injectable()
export class StockService {
  constructor(@InjectRepository(StockItem) private readonly stock: Repository<StockItem>) {}

  async get(sku: string): Promise<StockItem> {
    const item = await this.stock.findOneBy({ sku });
    if (!item) throw StockException.unknownSku(sku);
    return item;
  }

  async set(sku: string, available: number, unitPrice: number): Promise<StockItem> {
    await this.stock.upsert({ sku, available, unitPrice }, ['sku']);
    return this.get(sku);
  }

  /** Unit prices of the given SKUs; the SKUs that do not exist are in `unknown`. */
  async prices(skus: string[], manager: EntityManager): Promise<{ prices: Map<string, number>; unknown: string[] }> {
    const found = await manager.find(StockItem, { where: { sku: In(skus) }, select: { sku: true, unitPrice: true } });
    const prices = new Map(found.map((item) => [item.sku, item.unitPrice]));
    return { prices, unknown: skus.filter((sku) => !prices.has(sku)) };
  }

  /**
   * Takes every item of the order or none. Rows are locked in SKU order, so concurrent
   * orders over the same SKUs queue up instead of deadlocking, and never oversell.
   */
  async reserveFor(order: OrderCreatedData, transaction: EventTransaction): Promise<void> {
    const { manager } = transaction;
    const items = order.items.map(({ sku, quantity }) => ({ sku, quantity }));
    const skus = [...new Set(items.map((item) => item.sku))].sort();
    const rows = await manager.find(StockItem, {
      where: { sku: In(skus) },
      order: { sku: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
    const available = new Map(rows.map((row) => [row.sku, row.available]));
    const short = items.find((item) => (available.get(item.sku) ?? 0) < item.quantity);
    if (short) {
      const reason = available.has(short.sku)
        ? `not enough stock for ${short.sku}: ${available.get(short.sku)} available, ${short.quantity} wanted`
        : `unknown SKU ${short.sku}`;
      await transaction.emit('stock.rejected', { orderId: order.id, items, reason });
      return;
    }
    for (const item of items) {
      await manager.decrement(StockItem, { sku: item.sku }, 'available', item.quantity);
    }
    await manager.insert(StockReservation, { orderId: order.id, state: 'RESERVED', items });
    await transaction.emit('stock.reserved', { orderId: order.id, items });
  }

  /** Puts back what the order took, once; an order that never reserved has nothing to release. */
  async releaseFor(orderId: string, transaction: EventTransaction): Promise<'done' | 'skipped'> {
    const { manager } = transaction;
    const reservation = await manager.findOne(StockReservation, {
      where: { orderId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!reservation || reservation.state === 'RELEASED') return 'skipped';
    const items: EventItem[] = [...reservation.items].sort((a, b) => a.sku.localeCompare(b.sku));
    for (const item of items) {
      await manager.increment(StockItem, { sku: item.sku }, 'available', item.quantity);
    }
    await manager.update(StockReservation, { orderId }, { state: 'RELEASED', releasedAt: new Date() });
    return 'done';
  }
}
