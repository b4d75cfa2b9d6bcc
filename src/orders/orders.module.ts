import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CoordinatorModule } from '../coordinator/coordinator.module';
import { NotifyModule } from '../notify/notify.module';
import { StockModule } from '../stock/stock.module';
import { OrderItem } from './order-item.entity';
import { Order } from './order.entity';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';
import { PaymentTimeoutHandler } from './payment-timeout.handler';
import { StockResultHandler } from './stock-result.handler';

@Module({
  imports: [TypeOrmModule.forFeature([Order, OrderItem]), CoordinatorModule, StockModule, NotifyModule],
  controllers: [OrdersController],
  providers: [OrdersService, StockResultHandler, PaymentTimeoutHandler],
  exports: [OrdersService],
})
export class OrdersModule {}
