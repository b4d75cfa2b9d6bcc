import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PeriodicTask } from '../common/periodic-task';
import { appConfig } from '../config/app.config';
import { retentionConfig } from '../config/retention.config';
import { Metrics } from '../ops/metrics.service';

/** Often enough that a round has little to do; storage is flat at the retention plus this. */
export const RETENTION_INTERVAL_MS = 5 * 60_000;
/** Rows per delete: each batch is its own short transaction, so locks are held for moments. */
export const RETENTION_BATCH = 1_000;

export interface PruneRule {
  /** The table whose rows this rule deletes, as logs and metrics name it. */
  table: string;
  /** Which setting ages them: PROCESSED_RETENTION or HISTORY_RETENTION. */
  retention: 'processed' | 'history';
  /**
   * Deletes at most `limit` rows older than `olderThanMs` (by the database's clock) and
   * returns how many. Rows are claimed with FOR UPDATE SKIP LOCKED, so processes pruning at
   * the same time take different rows and never wait on each other or on the hot path.
   */
  pruneBatch(manager: EntityManager, olderThanMs: number, limit: number): Promise<number>;
}

/**
 * Keeps storage flat (G10). Each module knows which of its rows are history and which are
 * still needed, so it registers its own rule; this service only schedules them, in every
 * worker process, in small batches.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private readonly rules: PruneRule[] = [];
  private readonly task: PeriodicTask;
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
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
        this.logger.warn(`pruning ${rule.table} failed: ${(error as Error).message}`);
      }
    }
  }

  /** Batch after batch until one comes back short: everything due is gone. */
  private async pruneAll(rule: PruneRule): Promise<void> {
    const olderThanMs = rule.retention === 'processed' ? this.config.processedMs : this.config.historyMs;
    let total = 0;
    let pruned: number;
    do {
      pruned = await this.dataSource.transaction(async (manager) => {
        // Never wait long behind another lock (a migration, a VACUUM FULL): give up this round
        // rather than have the hot path queue up behind our waiting delete.
        await manager.query(`SET LOCAL lock_timeout = '2s'`);
        return rule.pruneBatch(manager, olderThanMs, RETENTION_BATCH);
      });
      total += pruned;
      this.metrics.retentionPruned.inc({ table: rule.table }, pruned);
    } while (pruned === RETENTION_BATCH && !this.stopping);
    if (total > 0) this.logger.log(`pruned ${total} rows of ${rule.table}`);
  }
}

/**
 * Runs a DELETE and returns how many rows it removed. TypeORM's postgres driver answers
 * DELETE and UPDATE with `[rows, rowCount]`, not the rows alone.
 */
export async function deletedCount(manager: EntityManager, sql: string, parameters: unknown[]): Promise<number> {
  const [, count]: [unknown[], number] = await manager.query(sql, parameters);
  return count;
}
