import { Global, Module } from '@nestjs/common';
import { AdminPageController } from './admin-page.controller';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { Metrics } from './metrics.service';
import { OpsCounts } from './ops-counts.service';
import { OpsSummaryController } from './ops-summary.controller';

/** Health, metrics and the ops page; `Metrics` is global so every module can count. */
@Global()
@Module({
  controllers: [HealthController, MetricsController, OpsSummaryController, AdminPageController],
  providers: [Metrics, OpsCounts],
  exports: [Metrics],
})
export class OpsModule {}
