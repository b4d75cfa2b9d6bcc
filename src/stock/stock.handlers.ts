import type { EventOf } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { EventHandler, HandlerContext } from '../compensation/handlers/event-handler.decorator';
import { StockService } from './stock.service';

@Injectable()
export class StockHandlers {
  constructor(private readonly stock: StockService) {}

  @EventHandler({ queue: 'stock.reserve', routingKeys: ['order.created'], retry: 'handler' })
  reserve(event: EventOf<'order.created'>, context: HandlerContext) {
    return this.stock.reserveFor(event.data, context.once);
  }

  @EventHandler({ queue: 'stock.release', routingKeys: ['order.cancelled'], retry: 'handler' })
  release(event: EventOf<'order.cancelled'>, context: HandlerContext) {
    return context.once((transaction) => this.stock.releaseFor(event.data.orderId, transaction));
  }
}
