import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { CompensationModule } from '../compensation/compensation.module';
import { HandlerSchedules } from '../compensation/handlers/handler-schedules';
import { paymentConfig } from '../config/payment.config';
import { CoordinatorModule } from '../coordinator/coordinator.module';
import { MerchantsModule } from '../merchants/merchants.module';
import { StockModule } from '../stock/stock.module';
import { OrderFactsModule } from './order-facts.module';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';
import { PaymentTimeoutHandler } from './payment-timeout.handler';
import { StockResultHandler } from './stock-result.handler';

@Module({
  imports: [CoordinatorModule, StockModule, OrderFactsModule, CompensationModule, MerchantsModule],
  controllers: [OrdersController],
  providers: [OrdersService, OrdersRepository, StockResultHandler, PaymentTimeoutHandler],
  exports: [OrdersService],
})
export class OrdersModule implements OnModuleInit {
  constructor(
    private readonly schedules: HandlerSchedules,
    @Inject(paymentConfig.KEY) private readonly payment: ConfigType<typeof paymentConfig>,
  ) {}

  /** `@EventHandler({ deliverAfter: 'order-payment-timeout' })`: the unpaid-order timeout, ORDER_PAYMENT_TIMEOUT. */
  onModuleInit(): void {
    this.schedules.defineDelay('order-payment-timeout', this.payment.orderPaymentTimeoutMs);
  }
}
