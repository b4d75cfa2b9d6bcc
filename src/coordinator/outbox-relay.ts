import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PeriodicTask } from '../common/periodic-task';
import { messagingConfig } from '../config/messaging.config';
import { OutboxPublisher, RELAY_BATCH } from './outbox-publisher';

/** Re-publishes READY rows left behind by a crash or a broker outage, in every process. */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly task: PeriodicTask;

  constructor(
    private readonly publisher: OutboxPublisher,
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

  /** Keeps going while batches come back full, so a backlog drains in one round. */
  private async relay(): Promise<void> {
    while ((await this.publisher.relayOnce()) >= RELAY_BATCH) {
      /* next batch */
    }
  }
}
