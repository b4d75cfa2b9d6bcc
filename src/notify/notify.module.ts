import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrderFactsModule } from '../orders/order-facts.module';
import { DeliveriesController } from './deliveries.controller';
import { Delivery } from './delivery.entity';
import { MerchantClient } from './merchant-client';
import { Notification } from './notification.entity';
import { NotificationStatusService } from './notification-status.service';
import { NotifyMerchantHandler } from './notify-merchant.handler';
import { NotifyService } from './notify.service';
import { NotifyPruner } from './notify.pruner';

@Module({
  imports: [TypeOrmModule.forFeature([Notification, Delivery]), OrderFactsModule],
  controllers: [DeliveriesController],
  providers: [NotifyService, MerchantClient, NotifyMerchantHandler, NotificationStatusService, NotifyPruner],
  exports: [NotificationStatusService],
})
export class NotifyModule {}
