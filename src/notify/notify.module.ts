import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CompensationModule } from '../compensation/compensation.module';
import { CircuitBreaker } from './circuit-breaker';
import { DeliveriesController } from './deliveries.controller';
import { Delivery } from './delivery.entity';
import { Endpoint } from './endpoint.entity';
import { EndpointsController } from './endpoints.controller';
import { EndpointsService } from './endpoints.service';
import { InFlightRequests } from './in-flight-requests';
import { MerchantClient } from './merchant-client';
import { Notification } from './notification.entity';
import { NotificationStatusService } from './notification-status.service';
import { NotifyMerchantHandler } from './notify-merchant.handler';
import { NotifyService } from './notify.service';
import { NotifyPruner } from './notify.pruner';

@Module({
  imports: [TypeOrmModule.forFeature([Notification, Delivery, Endpoint]), CompensationModule],
  controllers: [DeliveriesController, EndpointsController],
  providers: [NotifyService, MerchantClient, InFlightRequests, NotifyMerchantHandler, NotificationStatusService, NotifyPruner, EndpointsService, CircuitBreaker],
  exports: [NotificationStatusService],
})
export class NotifyModule {}
