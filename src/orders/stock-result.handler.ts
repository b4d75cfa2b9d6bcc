import type { EventOf } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { EventHandler, HandlerContext } from '../compensation/handlers/event-handler.decorator';
import { OrdersService } from './orders.service';

@Injectable()
export class StockResultHandler {
  constructor(private readonly orders: OrdersService) {}

  @EventHandler({ queue: 'orders.stock-result', routingKeys: ['stock.reserved', 'stock.rejected'], retry: 'handler' })
  handle(event: EventOf<'stock.reserved' | 'stock.rejected'>, context: HandlerContext) {
    const result =
      event.type === 'stock.reserved' ? ({ reserved: true } as const) : ({ reserved: false, reason: event.data.reason } as const);
    return context.once((transaction) => this.orders.applyStockResult(event.data.orderId, result, transaction));
  }
}
