import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PeriodicTask } from '../common/periodic-task';
import { appConfig } from '../config/app.config';
import { retentionConfig } from '../config/retention.config';
import { Metrics } from '../metrics/metrics.service';

/** Often enough that a round has little to do; storage is flat at the retention plus this. */
export const RETENTION_INTERVAL_MS = 5 * 60_000;
/** Rows per delete: each batch is its own short transaction, so locks are held for moments. */
export const RETENTION_BATCH = 1_000;

/**
 * How one module's rows of one table are pruned. `pruneBatch` is a statement of the owner's
 * repository: at most `limit` rows older than `olderThanMs` by the database's clock, taken
 * with FOR UPDATE SKIP LOCKED so processes pruning at the same time take different rows and
 * never wait on each other or on the hot path, deleted in a short transaction of its own;
 * it answers how many went.
 */
export interface PruneRule {
  /** The table whose rows it deletes, as logs and metrics name it. */
  name: string;
  /** Which setting ages them: PROCESSED_RETENTION or HISTORY_RETENTION. */
  retention: 'processed' | 'history';
  pruneBatch(olderThanMs: number, limit: number): Promise<number>;
}

/**
 * Keeps storage flat (G10). Each module knows which of its rows are history and which are
 * still needed, so it registers its own rule; this service only schedules them, in every
 * worker process, in small batches, and counts what they delete.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private readonly rules: PruneRule[] = [];
  private readonly task: PeriodicTask;
  private stopping = false;

  constructor(
    private readonly metrics: Metrics,
    registry: SchedulerRegistry,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(retentionConfig.KEY) private readonly config: ConfigType<typeof retentionConfig>,
  ) {
    this.task = new PeriodicTask(registry, 'retention', RETENTION_INTERVAL_MS, () => this.prune(), this.logger);
  }

  register(rule: PruneRule): void {
    this.rules.push(rule);
  }

  onApplicationBootstrap(): void {
    if (this.app.runsWorker) this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.task.stop();
  }

  /** One round now (tests, and ops through the scheduler); resolves when it is over. */
  runNow(): Promise<void> {
    return this.task.runNow();
  }

  private async prune(): Promise<void> {
    for (const rule of this.rules) {
      try {
        await this.pruneAll(rule);
      } catch (error) {
        // One table's trouble must not keep the others growing; the next round tries again.
        this.logger.warn(`pruning ${rule.name} failed: ${(error as Error).message}`);
      }
    }
  }

  /** Batch after batch until one comes back short: everything due is gone. */
  private async pruneAll(rule: PruneRule): Promise<void> {
    const olderThanMs = rule.retention === 'processed' ? this.config.processedMs : this.config.historyMs;
    let total = 0;
    let pruned: number;
    do {
      // Not a lease claim: a batch deletes its rows in its own transaction, so nothing is held after it.
      pruned = await rule.pruneBatch(olderThanMs, RETENTION_BATCH);
      total += pruned;
      this.metrics.retentionPruned.inc({ table: rule.name }, pruned);
    } while (pruned === RETENTION_BATCH && !this.stopping);
    if (total > 0) this.logger.log(`pruned ${total} rows of ${rule.name}`);
  }
}
