import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { setTimeout as sleep } from 'node:timers/promises';
import { PeriodicTask } from '../common/periodic-task';
import { appConfig } from '../config/app.config';
import { retentionConfig } from '../config/retention.config';
import { TimePartitions } from '../database/time-partitions';
import { Metrics } from '../metrics/metrics.service';

/**
 * Rows per delete: each batch is its own short transaction, a few milliseconds of one core and
 * of WAL, so a hot-path statement that arrives meanwhile waits that little. On the
 * production-size benchmark, batches of 1,000 (about 18 ms each) put the hot path's p99 at 2.9
 * times its steady figure through a catch-up round; with 250 (and the pause below), 1.1, 2.4,
 * 1.3, 1.2, 1.2 and 1.4 in six runs (docs/benchmarks.md).
 */
export const RETENTION_BATCH = 250;
/**
 * After each batch, and after each partition dropped, a pause of this many times its own
 * duration: retention takes at most a twentieth of one connection's time however much is due,
 * so few hot-path statements ever meet a batch. A round's length is what this costs: the
 * first round after weeks down (1.1M rows and 85 partitions in the production-size benchmark)
 * takes about ten minutes, where a day's rows take seconds. Partitions too: each detach
 * makes every connection plan its statements on the table again, and dropping all 85 back
 * to back doubled the hot path's p99 for two seconds.
 */
export const RETENTION_PAUSE_FACTOR = 19;

/** What one batch of a plain table's retention did. */
export interface PrunedBatch {
  /** Rows deleted: fewer than the limit means nothing more is due. */
  pruned: number;
  /**
   * Where the batch stopped in the order it deletes in (the owner's own value, handed back
   * unread as the next batch's `from`). A deleted row's index entry stays until vacuum, so a
   * round whose every batch started from the oldest row would walk all it had deleted so
   * far: on the production-size benchmark a batch of delivered notifications went from 3 to
   * 9 ms over a million rows that way, and stays at about 4 ms from where the last one ended.
   */
  reached?: string;
}

/**
 * How one module's rows of a plain table are pruned. `pruneBatch` is a statement of the
 * owner's repository: at most `limit` rows older than `olderThanMs` by the database's clock,
 * oldest first from `from` (where the round's previous batch stopped; the oldest when
 * absent), taken with FOR UPDATE SKIP LOCKED so processes pruning at the same time take
 * different rows and never wait on each other or on the hot path, deleted in a short
 * transaction of its own. A row skipped that way waits for the next round.
 */
export interface PruneRule {
  /** The table whose rows it deletes, as logs and metrics name it. */
  name: string;
  /** Which setting ages them: PROCESSED_RETENTION or HISTORY_RETENTION. */
  retention: 'processed' | 'history';
  pruneBatch(olderThanMs: number, limit: number, from?: string): Promise<PrunedBatch>;
}

/** A history table partitioned by day: retention drops its partitions whole once all their rows are due, and makes the coming days' ahead. */
export interface PartitionRule {
  name: string;
  retention: 'processed' | 'history';
  partitions: TimePartitions;
}

/**
 * Keeps storage flat (G10). Each module knows which of its rows are history and which are
 * still needed, so it registers its own rules; this service only schedules them, in every
 * worker process, and counts what they remove.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private readonly rules: PruneRule[] = [];
  private readonly partitioned: PartitionRule[] = [];
  private readonly task: PeriodicTask;
  private readonly stopping = new AbortController();

  constructor(
    private readonly metrics: Metrics,
    registry: SchedulerRegistry,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(retentionConfig.KEY) private readonly config: ConfigType<typeof retentionConfig>,
  ) {
    this.task = new PeriodicTask(registry, 'retention', config.intervalMs, () => this.prune(), this.logger);
  }

  register(rule: PruneRule): void {
    this.rules.push(rule);
  }

  registerPartitioned(rule: PartitionRule): void {
    this.partitioned.push(rule);
  }

  /**
   * Every process (an API process writes deliveries too) makes sure the coming days'
   * partitions exist before it takes traffic; the migration made a week's, so this only
   * matters after a long time down.
   */
  async onApplicationBootstrap(): Promise<void> {
    for (const rule of this.partitioned) await rule.partitions.ensureAhead();
    if (this.app.runsWorker) this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.task.stop();
  }

  /** One round now (tests, and ops through the scheduler); resolves when it is over. */
  runNow(): Promise<void> {
    return this.task.runNow();
  }

  private async prune(): Promise<void> {
    for (const rule of this.partitioned) await this.guarded(rule.name, () => this.dropDue(rule));
    for (const rule of this.rules) await this.guarded(rule.name, () => this.pruneAll(rule));
  }

  /** One table's trouble must not keep the others growing; the next round tries again. */
  private async guarded(name: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (!this.stopping.signal.aborted) this.logger.warn(`pruning ${name} failed: ${(error as Error).message}`);
    }
  }

  private async dropDue(rule: PartitionRule): Promise<void> {
    await rule.partitions.ensureAhead();
    const dropped = await rule.partitions.dropOlderThan(this.olderThanMs(rule), async (tookMs) => {
      await this.pause(tookMs * RETENTION_PAUSE_FACTOR);
      return !this.stopping.signal.aborted;
    });
    if (dropped.length === 0) return;
    this.metrics.retentionPartitionsDropped.inc({ table: rule.name }, dropped.length);
    const rows = dropped.reduce((sum, partition) => sum + Math.max(partition.estimatedRows, 0), 0);
    this.logger.log(`dropped ${dropped.length} partitions of ${rule.name} (about ${rows} rows): ${dropped.map((partition) => partition.name).join(', ')}`);
  }

  /** Batch after batch, each followed by its pause, until one comes back short: everything due is gone. */
  private async pruneAll(rule: PruneRule): Promise<void> {
    const olderThanMs = this.olderThanMs(rule);
    let total = 0;
    let pruned: number;
    let from: string | undefined;
    do {
      const started = performance.now();
      // Not a lease claim: a batch deletes its rows in its own transaction, so nothing is held after it.
      const batch = await rule.pruneBatch(olderThanMs, RETENTION_BATCH, from);
      pruned = batch.pruned;
      from = batch.reached ?? from;
      total += pruned;
      this.metrics.retentionPruned.inc({ table: rule.name }, pruned);
      if (pruned === RETENTION_BATCH) await this.pause((performance.now() - started) * RETENTION_PAUSE_FACTOR);
    } while (pruned === RETENTION_BATCH && !this.stopping.signal.aborted);
    if (total > 0) this.logger.log(`pruned ${total} rows of ${rule.name}`);
  }

  private olderThanMs(rule: { retention: 'processed' | 'history' }): number {
    return rule.retention === 'processed' ? this.config.processedMs : this.config.historyMs;
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }
}
