import { Global, Module } from '@nestjs/common';
import { Metrics } from './metrics.service';

/** Global, so every module can count, and register the gauges of what it owns. */
@Global()
@Module({
  providers: [Metrics],
  exports: [Metrics],
})
export class MetricsModule {}
