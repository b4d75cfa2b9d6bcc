import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Metrics } from '../metrics/metrics.service';
import { gaugeSeries, NAMED_ENDPOINTS } from './in-flight-limits';

/** This process's notification attempts under way, by endpoint origin: for the `backstop_endpoint_in_flight` gauge. */
@Injectable()
export class InFlightRequests {
  private readonly byOrigin = new Map<string, number>();

  constructor(metrics: Metrics) {
    const byOrigin = this.byOrigin;
    new Gauge({
      name: 'backstop_endpoint_in_flight',
      help: `Notification attempts under way in this process, for the ${NAMED_ENDPOINTS} busiest endpoints by origin and the rest as "other"`,
      labelNames: ['endpoint'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const { endpoint, count } of gaugeSeries(byOrigin)) this.set({ endpoint }, count);
      },
    });
  }

  /** Runs one attempt at `origin`, from its claim to its recorded outcome (when its endpoint slot is free again). */
  async during<T>(origin: string, attempt: () => Promise<T>): Promise<T> {
    this.byOrigin.set(origin, (this.byOrigin.get(origin) ?? 0) + 1);
    try {
      return await attempt();
    } finally {
      const left = this.byOrigin.get(origin)! - 1;
      if (left === 0) this.byOrigin.delete(origin);
      else this.byOrigin.set(origin, left);
    }
  }
}

