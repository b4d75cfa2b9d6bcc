import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PeriodicTask } from '../../common/periodic-task';
import { appConfig } from '../../config/app.config';
import { compensationConfig } from '../../config/compensation.config';
import { FailedMessagesService } from './failed-messages.service';

/**
 * Every SWEEP_INTERVAL, in every worker process: makes FAILED again the re-runs that never
 * reported back within RERUN_LEASE, then re-runs the failed messages that are due.
 */
@Injectable()
export class Sweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(Sweeper.name);
  private readonly task: PeriodicTask;

  constructor(
    private readonly failedMessages: FailedMessagesService,
    registry: SchedulerRegistry,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(compensationConfig.KEY) config: ConfigType<typeof compensationConfig>,
  ) {
    this.task = new PeriodicTask(registry, 'sweeper', config.sweepIntervalMs, () => this.sweep(), this.logger);
  }

  onApplicationBootstrap(): void {
    if (this.app.runsWorker) this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  private async sweep(): Promise<void> {
    let lost: number;
    do {
      lost = await this.failedMessages.returnLostReruns();
    } while (lost > 0);
    let swept: number;
    do {
      swept = await this.failedMessages.sweepDue();
      if (swept > 0) this.logger.log(`re-ran ${swept} failed messages`);
    } while (swept > 0);
  }
}
