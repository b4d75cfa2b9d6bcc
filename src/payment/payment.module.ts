import { Module } from '@nestjs/common';
import { CoordinatorModule } from '../coordinator/coordinator.module';
import { OrdersModule } from '../orders/orders.module';
import { PaymentCallbackController } from './payment-callback.controller';
import { PaymentService } from './payment.service';

@Module({
  imports: [CoordinatorModule, OrdersModule],
  controllers: [PaymentCallbackController],
  providers: [PaymentService],
})
export class PaymentModule {}
