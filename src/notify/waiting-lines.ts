import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { Gauge } from 'prom-client';
import { PeriodicTask } from '../common/periodic-task';
import { appConfig } from '../config/app.config';
import { notifyConfig } from '../config/notify.config';
import { Metrics } from '../metrics/metrics.service';
import { EndpointLines } from './endpoint-lines';
import { EndpointsRepository } from './endpoints.repository';
import { gaugeSeries, NAMED_ENDPOINTS } from './in-flight-limits';

/** How often the line at the head asks the database for a slot another process freed. */
const POLL_MS = 25;
/** The longest a notification waits in line; then it waits on the broker instead (and shutdown never waits longer). */
const MAX_WAIT_MS = 30_000;
/** How often this process reports its lines' lengths to the endpoints table, for ops. */
const REPORT_MS = 1_000;

/**
 * This process's waiting lines (EndpointLines) with what ops see of them: the
 * `backstop_endpoint_waiting` gauge, and each line's length reported every second into its
 * endpoint's row, where GET /admin/endpoints sums every process's.
 */
@Injectable()
export class WaitingLines implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly lines: EndpointLines;
  private readonly logger = new Logger(WaitingLines.name);
  private readonly processId = randomUUID();
  private readonly reported = new Map<string, number>();
  /** The adaptive limit last seen at each of the endpoints this process sent to most recently, for the gauge. */
  private readonly limits = new Map<string, number>();
  private readonly reporting: PeriodicTask;

  constructor(
    @Inject(notifyConfig.KEY) config: ConfigType<typeof notifyConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    private readonly endpoints: EndpointsRepository,
    registry: SchedulerRegistry,
    metrics: Metrics,
  ) {
    this.lines = new EndpointLines(config.endpointWaiting, POLL_MS, MAX_WAIT_MS);
    this.reporting = new PeriodicTask(registry, 'notify-waiting-report', REPORT_MS, () => this.report(), this.logger);
    const lines = this.lines;
    new Gauge({
      name: 'backstop_endpoint_waiting',
      help: `Notifications waiting in this process's line for an endpoint's slot, for the ${NAMED_ENDPOINTS} longest lines by origin and the rest as "other"`,
      labelNames: ['endpoint'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const { endpoint, count } of gaugeSeries(lines.counts())) this.set({ endpoint }, count);
      },
    });
    const limits = this.limits;
    new Gauge({
      name: 'backstop_endpoint_concurrency_limit',
      help: `The adaptive concurrency limit of the ${NAMED_ENDPOINTS} endpoints this process sent to most recently, as their last attempt found it`,
      labelNames: ['endpoint'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const [endpoint, limit] of limits) this.set({ endpoint }, limit);
      },
    });
  }

  /** Notes the adaptive limit an attempt at `url`'s endpoint was claimed under. */
  noteLimit(url: string, limit: number): void {
    const origin = new URL(url).origin;
    // Most recent last, and only the last NAMED_ENDPOINTS: the gauge's series stay bounded.
    this.limits.delete(origin);
    this.limits.set(origin, limit);
    if (this.limits.size > NAMED_ENDPOINTS) this.limits.delete(this.limits.keys().next().value!);
  }

  onApplicationBootstrap(): void {
    if (this.app.runsWorker) this.reporting.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Everyone waiting goes back to the broker now, rather than holding the stop up.
    this.lines.closeAll();
    await this.reporting.stop();
    await this.endpoints.reportWaiting(this.processId, new Map([...this.reported.keys()].map((origin) => [origin, 0])), 0).catch(() => undefined);
  }

  /** The lines that changed, and those still waiting (their report would lapse otherwise); a line gone is reported as 0 once. */
  private async report(): Promise<void> {
    const now = this.lines.counts();
    const changes = new Map<string, number>();
    for (const [origin, count] of now) changes.set(origin, count);
    for (const origin of this.reported.keys()) if (!now.has(origin)) changes.set(origin, 0);
    await this.endpoints.reportWaiting(this.processId, changes, 5 * REPORT_MS);
    this.reported.clear();
    for (const [origin, count] of now) this.reported.set(origin, count);
  }
}
