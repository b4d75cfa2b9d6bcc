import { Injectable, OnModuleInit } from '@nestjs/common';
import { Metrics } from '../metrics/metrics.service';
import type { EndpointState } from './endpoint.entity';
import { EndpointsRepository } from './endpoints.repository';

const STATES: EndpointState[] = ['ACTIVE', 'OPEN', 'HALF_OPEN', 'DISABLED'];
/** Scrapes from several Prometheus servers (or a dashboard's) within this long share one read. */
const CACHE_MS = 5_000;

/** `backstop_endpoints{state}`: merchant endpoints in each circuit state, four series however many merchants there are. */
@Injectable()
export class EndpointStateMetrics implements OnModuleInit {
  private cached?: { until: number; counts: Promise<Map<EndpointState, number>> };

  constructor(
    private readonly metrics: Metrics,
    private readonly endpoints: EndpointsRepository,
  ) {}

  onModuleInit(): void {
    this.metrics.gauge(
      { name: 'backstop_endpoints', help: 'Merchant endpoints by state (ACTIVE, OPEN, HALF_OPEN, DISABLED), read from the database', labelNames: ['state'] as const },
      async (gauge) => {
        const counts = await this.counts();
        for (const state of STATES) gauge.set({ state }, counts.get(state) ?? 0);
      },
    );
  }

  private counts(): Promise<Map<EndpointState, number>> {
    const now = Date.now();
    if (!this.cached || this.cached.until <= now) {
      const counts = this.endpoints.countByState().then((rows) => new Map(rows.map(({ state, count }) => [state, count])));
      // A failed read is not kept: the next scrape asks again.
      counts.catch(() => (this.cached = undefined));
      this.cached = { until: now + CACHE_MS, counts };
    }
    return this.cached.counts;
  }
}
