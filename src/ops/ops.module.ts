import { Global, Module } from '@nestjs/common';
import { AdminPageController } from './admin-page.controller';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { Metrics } from './metrics.service';
import { OpsCounts } from './ops-counts.service';
import { OpsStatsController } from './ops-stats.controller';
import { OpsStats } from './ops-stats.service';
import { OpsSummaryController } from './ops-summary.controller';

/** Health, metrics and the ops page; `Metrics` is global so every module can count. */
@Global()
@Module({
  controllers: [HealthController, MetricsController, OpsSummaryController, OpsStatsController, AdminPageController],
  providers: [Metrics, OpsCounts, OpsStats],
  exports: [Metrics],
})
export class OpsModule {}
