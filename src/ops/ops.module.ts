import { Module } from '@nestjs/common';
import { CompensationModule } from '../compensation/compensation.module';
import { CoordinatorModule } from '../coordinator/coordinator.module';
import { NotifyModule } from '../notify/notify.module';
import { PaymentModule } from '../payment/payment.module';
import { AdminPageController } from './admin-page.controller';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { OpsStatsController } from './ops-stats.controller';
import { OpsStats } from './ops-stats.service';
import { OpsSummaryController } from './ops-summary.controller';

/** Health, the metrics endpoint and the ops page, on top of every module: it reads what they export, and none reads it. */
@Module({
  imports: [CompensationModule, CoordinatorModule, NotifyModule, PaymentModule],
  controllers: [HealthController, MetricsController, OpsSummaryController, OpsStatsController, AdminPageController],
  providers: [OpsStats],
})
export class OpsModule {}
