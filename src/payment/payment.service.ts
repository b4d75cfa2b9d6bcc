import { Injectable, Logger } from '@nestjs/common';
import { Coordinator } from '../coordinator/coordinator.service';
import { OrderException } from '../orders/order.exception';
import { OrdersService } from '../orders/orders.service';
import type { PaymentCallbackDto } from './payment-callback.dto';
import { PaymentException } from './payment.exception';

@Injectable()
export class PaymentService {
  private readonly logger = new Logger(PaymentService.name);

  constructor(
    private readonly coordinator: Coordinator,
    private readonly orders: OrdersService,
  ) {}

  /** The gateway's asynchronous word on a charge; safe to receive any number of times. */
  async recordCallback(callback: PaymentCallbackDto): Promise<void> {
    await this.coordinator.transaction(async (transaction) => {
      const order = await this.orders.lock(callback.orderId, transaction);
      if (!order) throw OrderException.notFound(callback.orderId);
      if (order.totalAmount !== callback.amount) throw PaymentException.amountMismatch(order.totalAmount, callback.amount);
      if (callback.status === 'TRADE_CLOSED') {
        await this.orders.cancel(order.id, 'payment closed', transaction);
        return;
      }
      const outcome = await this.orders.settlePayment(order.id, callback, transaction);
      if (typeof outcome === 'object') {
        this.logger.warn(`payment ${callback.tradeNo} received for order ${order.id}, which is ${outcome.notPayable}`);
      }
    });
  }
}
