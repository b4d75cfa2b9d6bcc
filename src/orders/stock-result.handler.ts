import type { EventOf } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { EventHandler, HandlerContext } from '../compensation/handlers/event-handler.decorator';
import { OrdersService } from './orders.service';

@Injectable()
export class StockResultHandler {
  constructor(private readonly orders: OrdersService) {}

  @EventHandler({ queue: 'orders.stock-result', routingKeys: ['stock.reserved', 'stock.rejected'], retry: 'handler' })
  async handle(event: EventOf<'stock.reserved' | 'stock.rejected'>, context: HandlerContext) {
    const { orderId } = event.data;
    const reads = this.orders.stockResultReads(orderId);
    if (event.type === 'stock.reserved') {
      try {
        return await context.once((transaction) => this.orders.confirmWithCommit(orderId, transaction), reads);
      } catch (error) {
        if (!this.orders.isMoveRefused(error)) throw error;
      }
    }
    const result = event.type === 'stock.reserved' ? ({ reserved: true } as const) : ({ reserved: false, reason: event.data.reason } as const);
    return context.once((transaction) => this.orders.applyStockResult(orderId, result, transaction), reads);
  }
}
