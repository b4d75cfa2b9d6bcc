import { Injectable, OnModuleInit } from '@nestjs/common';
import { Metrics } from '../metrics/metrics.service';
import { STUCK_AFTER_ATTEMPTS } from './check-back.daemon';
import { OutboxRepository } from './outbox.repository';

/** The outbox's backlog as Prometheus gauges, read from the table at scrape time. */
@Injectable()
export class OutboxMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly outbox: OutboxRepository,
  ) {}

  onModuleInit(): void {
    this.metrics.gauge({ name: 'backstop_outbox_pending', help: 'Outbox rows not yet published, by state', labelNames: ['state'] as const }, async (gauge) => {
      const { ready, prepare } = await this.counts();
      gauge.set({ state: 'READY' }, ready);
      gauge.set({ state: 'PREPARE' }, prepare);
    });
    this.metrics.gauge({ name: 'backstop_outbox_oldest_age_seconds', help: 'Age of the oldest outbox row not yet published' }, async (gauge) => {
      gauge.set((await this.counts()).oldestAgeSeconds ?? 0);
    });
    // Events only: a PREPARE row is a charge awaiting its outcome, old for reasons of the gateway's, not the broker's.
    this.metrics.gauge({ name: 'backstop_outbox_oldest_event_age_seconds', help: 'Age of the oldest event (READY outbox row) not yet published; 0 when none waits' }, async (gauge) => {
      gauge.set((await this.oldestReady())?.ageSeconds ?? 0);
    });
  }

  /** What ops watch of the outbox (also in GET /admin/summary). */
  counts() {
    return this.outbox.counts(STUCK_AFTER_ATTEMPTS);
  }

  /** The event waiting longest to be published; undefined when none waits (the alerts module's outbox.stalled). */
  oldestReady() {
    return this.outbox.oldestReady();
  }
}
