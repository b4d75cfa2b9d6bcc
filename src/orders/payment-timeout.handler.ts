import type { EventOf } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { EventHandler, HandlerContext } from '../compensation/handlers/event-handler.decorator';
import { OrdersService } from './orders.service';

/**
 * The unpaid-order timeout: each `order.confirmed` reaches this handler
 * ORDER_PAYMENT_TIMEOUT after it was published (a delay queue, not a polling loop).
 * An order still CONFIRMED then is cancelled, which releases its stock and tells the merchant.
 */
@Injectable()
export class PaymentTimeoutHandler {
  constructor(private readonly orders: OrdersService) {}

  @EventHandler({
    queue: 'orders.payment-timeout',
    routingKeys: ['order.confirmed'],
    retry: 'handler',
    deliverAfter: 'order-payment-timeout',
  })
  handle(event: EventOf<'order.confirmed'>, context: HandlerContext) {
    return context.once((transaction) => this.orders.cancel(event.data.orderId, 'unpaid: payment timeout', transaction));
  }
}
