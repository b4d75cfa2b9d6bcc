import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { PeriodicTask } from '../common/periodic-task';
import { messagingConfig } from '../config/messaging.config';
import { OutboxPublisher, RELAY_BATCH } from './outbox-publisher';
import { ClaimPosition, OutboxRepository } from './outbox.repository';

/** Relay batches awaiting their confirms at once: enough to keep the broker busy, well under the publisher's in-flight cap. */
const RELAY_PIPELINE = 4;
/**
 * The share of the process's event loop a draining relay leaves its batches to: past it, the
 * next batch waits as long as the last one took. A backlog then drains with what the process
 * has spare, and the requests and messages of live traffic keep their latency beside it.
 */
const RELAY_BUSY_SHARE = 0.5;

/** Re-publishes READY rows left behind by a crash or a broker outage, in every process. */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly task: PeriodicTask;

  constructor(
    private readonly publisher: OutboxPublisher,
    private readonly outbox: OutboxRepository,
    registry: SchedulerRegistry,
    @Inject(messagingConfig.KEY) config: ConfigType<typeof messagingConfig>,
  ) {
    this.task = new PeriodicTask(registry, 'outbox-relay', config.relayIntervalMs, () => this.relay(), new Logger(OutboxRelay.name));
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /**
   * Keeps going while batches come back full, so a backlog drains in one round, at the
   * broker's pace: up to RELAY_PIPELINE batches await their confirms while the next is claimed.
   * While the event loop is busier than RELAY_BUSY_SHARE, each batch is followed by a pause as
   * long as it took.
   */
  private async relay(): Promise<void> {
    const awaiting: Promise<void>[] = [];
    // Each claim goes on from where the last ended; a row left behind (postponed, or written
    // late with an earlier time) is the next round's.
    let after: ClaimPosition | undefined;
    let load = performance.eventLoopUtilization();
    for (;;) {
      const started = performance.now();
      const { claimed, last, published } = await this.publisher.relayOnce(after);
      // A first batch that came back full is a backlog: the next claims' plan wants statistics that know it.
      if (after === undefined && claimed === RELAY_BATCH) await this.outbox.analyzeIfStale();
      after = last ?? after;
      awaiting.push(published);
      if (awaiting.length >= RELAY_PIPELINE) await awaiting.shift();
      if (claimed < RELAY_BATCH) break;
      const busy = performance.eventLoopUtilization(load);
      load = performance.eventLoopUtilization();
      if (busy.utilization > RELAY_BUSY_SHARE) await sleep(performance.now() - started);
    }
    await Promise.all(awaiting);
  }
}
