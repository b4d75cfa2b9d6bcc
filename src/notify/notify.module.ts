import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Order } from '../orders/order.entity';
import { DeliveriesController } from './deliveries.controller';
import { Delivery } from './delivery.entity';
import { MerchantClient } from './merchant-client';
import { Notification } from './notification.entity';
import { NotificationStatusService } from './notification-status.service';
import { NotifyMerchantHandler } from './notify-merchant.handler';
import { NotifyService } from './notify.service';
import { NotifyPruner } from './notify.pruner';

/** Reads orders (never writes them) to address and describe each notification. */
@Module({
  imports: [TypeOrmModule.forFeature([Notification, Delivery, Order])],
  controllers: [DeliveriesController],
  providers: [NotifyService, MerchantClient, NotifyMerchantHandler, NotificationStatusService, NotifyPruner],
  exports: [NotificationStatusService],
})
export class NotifyModule {}
