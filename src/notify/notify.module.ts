import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CompensationModule } from '../compensation/compensation.module';
import { CircuitBreaker } from './circuit-breaker';
import { OrderFactsModule } from '../orders/order-facts.module';
import { DeliveriesController } from './deliveries.controller';
import { Delivery } from './delivery.entity';
import { Endpoint } from './endpoint.entity';
import { EndpointsController } from './endpoints.controller';
import { EndpointsService } from './endpoints.service';
import { MerchantClient } from './merchant-client';
import { Notification } from './notification.entity';
import { NotificationStatusService } from './notification-status.service';
import { NotifyMerchantHandler } from './notify-merchant.handler';
import { NotifyService } from './notify.service';
import { NotifyPruner } from './notify.pruner';

@Module({
  imports: [TypeOrmModule.forFeature([Notification, Delivery, Endpoint]), OrderFactsModule, CompensationModule],
  controllers: [DeliveriesController, EndpointsController],
  providers: [NotifyService, MerchantClient, NotifyMerchantHandler, NotificationStatusService, NotifyPruner, EndpointsService, CircuitBreaker],
  exports: [NotificationStatusService],
})
export class NotifyModule {}
