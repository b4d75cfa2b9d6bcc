import { Module } from '@nestjs/common';
import { CompensationModule } from '../compensation/compensation.module';
import { CoordinatorModule } from '../coordinator/coordinator.module';
import { NotifyModule } from '../notify/notify.module';
import { OrderFactsModule } from '../orders/order-facts.module';
import { PaymentModule } from '../payment/payment.module';
import { StockModule } from '../stock/stock.module';
import { AdminPageController } from './admin-page.controller';
import { FaviconController } from './favicon.controller';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { OpsStatsController } from './ops-stats.controller';
import { OpsStats } from './ops-stats.service';
import { OpsSummaryController } from './ops-summary.controller';
import { OrderTimelineController } from './order-timeline.controller';
import { OrderTimelineService } from './order-timeline.service';

/** Health, the metrics endpoint and the ops page, on top of every module: it reads what they export, and none reads it. */
@Module({
  imports: [CompensationModule, CoordinatorModule, NotifyModule, PaymentModule, OrderFactsModule, StockModule],
  controllers: [HealthController, MetricsController, OpsSummaryController, OpsStatsController, OrderTimelineController, AdminPageController, FaviconController],
  providers: [OpsStats, OrderTimelineService],
})
export class OpsModule {}
