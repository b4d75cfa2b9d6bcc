import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PeriodicTask } from '../common/periodic-task';
import { alertsConfig } from '../config/alerts.config';
import { appConfig } from '../config/app.config';
import { Coordinator } from '../coordinator/coordinator.service';
import { OutboxMetrics } from '../coordinator/outbox-metrics';
import { AlertSender } from './alert-sender';
import { AlertsRepository } from './alerts.repository';
import { Alerts } from './alerts.service';
import { CheckSettings, decide } from './conditions';

/** Failures that fell out of the window, deleted per round at most: a storm's are worked off over rounds. */
const PRUNE_BATCH = 5_000;

/**
 * Every OPS_CHECK_INTERVAL, in worker processes, when OPS_WEBHOOK_URL is set: the conditions
 * (`message.failed`, `failures.spike`, `outbox.stalled`) begun or over since the last round.
 * One process checks at a time (a transaction-scoped advisory lock; the others skip the
 * round), so what one reads and decides is never raced by another's round; the alerts it
 * raises commit with their events in the same transaction.
 */
@Injectable()
export class AlertChecks implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AlertChecks.name);
  private readonly task: PeriodicTask;
  private readonly settings: CheckSettings;

  constructor(
    private readonly coordinator: Coordinator,
    private readonly repository: AlertsRepository,
    private readonly alerts: Alerts,
    private readonly outbox: OutboxMetrics,
    private readonly sender: AlertSender,
    registry: SchedulerRegistry,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(alertsConfig.KEY) private readonly config: ConfigType<typeof alertsConfig>,
  ) {
    this.task = new PeriodicTask(registry, 'ops-alert-checks', config.checkIntervalMs, () => this.check(), this.logger);
    this.settings = {
      spikeCount: config.spikeCount,
      spikeWindow: config.spikeWindow,
      outboxStalledAfterMs: config.outboxStalledAfterMs,
      outboxStalledAfter: config.outboxStalledAfter,
    };
  }

  onApplicationBootstrap(): void {
    if (this.config.webhook && this.app.runsWorker) this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /** One round now (tests); resolves when it is over. */
  runNow(): Promise<void> {
    return this.task.runNow();
  }

  private async check(): Promise<void> {
    const stalled = await this.coordinator.transaction(async (transaction) => {
      if (!(await this.repository.lockCheck(transaction))) return undefined;
      const open = await this.repository.openConditions(transaction);
      const groups = await this.repository.recentGroups(transaction, this.config.spikeWindowMs);
      const oldest = await this.outbox.oldestReady();
      const { begin, end, changes } = decide(open, groups, oldest, this.settings);
      await this.repository.endConditions(transaction, end.map((condition) => condition.id));
      const raised = [];
      for (const { kind, subject, details } of begin) raised.push(await this.alerts.beginConditionIn(transaction, kind, subject, details));
      for (const { kind, subject, episode, details } of changes) await this.alerts.raiseChangeIn(transaction, kind, subject, episode, details);
      await this.repository.pruneFailures(transaction, this.config.spikeWindowMs, PRUNE_BATCH);
      return raised.find((alert) => alert?.kind === 'outbox.stalled');
    });
    // Its event may be what is stalled (the broker down): sent at once, not only once the event
    // is published; the event, when it comes, finds it delivered, or tries again on the schedule.
    if (stalled) await this.sender.send(stalled).catch((error: Error) => this.logger.warn(`outbox.stalled not sent yet: ${error.message}`));
  }
}
