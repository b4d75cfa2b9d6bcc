import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CompensationModule } from '../compensation/compensation.module';
import { HandlerSchedules } from '../compensation/handlers/handler-schedules';
import { notifyConfig } from '../config/notify.config';
import { MerchantsModule } from '../merchants/merchants.module';
import { OrderFactsModule } from '../orders/order-facts.module';
import { CircuitBreaker } from './circuit-breaker';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesRepository } from './deliveries.repository';
import { Delivery } from './delivery.entity';
import { Endpoint } from './endpoint.entity';
import { EndpointsController } from './endpoints.controller';
import { EndpointsRepository } from './endpoints.repository';
import { EndpointsService } from './endpoints.service';
import { InFlightRequests } from './in-flight-requests';
import { WaitingLines } from './waiting-lines';
import { MerchantClient } from './merchant-client';
import { Notification } from './notification.entity';
import { NotificationsRepository } from './notifications.repository';
import { NotifyMerchantHandler } from './notify-merchant.handler';
import { NotifyService } from './notify.service';
import { NotifyPruner } from './notify.pruner';
import { NotifyHistoryRepository } from './notify-history.repository';
import { DeliveryStats } from './delivery-stats';
import { ManualSendsController } from './manual-sends.controller';
import { ManualSendsRepository } from './manual-sends.repository';
import { ManualSends } from './manual-sends.service';
import { NotificationSender } from './notification-sender';
import { EndpointCircuitTimes } from './endpoint-circuit-times';
import { OrderNotifications } from './order-notifications';
import { OrderNotificationsRepository } from './order-notifications.repository';
import { EndpointChanges } from './endpoint-changes';
import { EndpointStateMetrics } from './endpoint-state-metrics';
import { OwnLateness } from './own-lateness';
import { OwnReceiverSends } from './own-receiver-sends';

@Module({
  imports: [TypeOrmModule.forFeature([Notification, Delivery, Endpoint]), CompensationModule, OrderFactsModule, MerchantsModule],
  controllers: [DeliveriesController, EndpointsController, ManualSendsController],
  providers: [NotifyService, MerchantClient, InFlightRequests, WaitingLines, NotifyMerchantHandler, NotificationsRepository, NotifyPruner, EndpointsService, EndpointsRepository, DeliveriesRepository, CircuitBreaker, NotifyHistoryRepository, DeliveryStats, NotificationSender, ManualSends, ManualSendsRepository, OrderNotifications, OrderNotificationsRepository, EndpointCircuitTimes, EndpointChanges, EndpointStateMetrics, OwnReceiverSends, OwnLateness],
  // OrderNotifications: an order's notifications and attempts, for ops' order timeline.
  // EndpointChanges and OwnReceiverSends: the alerts module hears endpoint changes and sends ops alerts through the delivery log.
  exports: [DeliveryStats, OrderNotifications, EndpointChanges, OwnReceiverSends],
})
export class NotifyModule implements OnModuleInit {
  constructor(
    private readonly schedules: HandlerSchedules,
    @Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>,
  ) {}

  /** `@EventHandler({ retry: 'notify' })`: merchant notifications retry on NOTIFY_RETRY_SCHEDULE. */
  onModuleInit(): void {
    this.schedules.define('notify', this.config.retryScheduleMs);
    // A notification with no slot free and no room in its endpoint's line waits this long on the broker: no attempt, no retry tier.
    this.schedules.defineDelay('notify-wait', this.config.waitDelayMs);
  }
}
