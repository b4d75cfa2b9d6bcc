import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '../common/periodic-task';
import { Statement } from '../database/statement';
import { appConfig } from '../config/app.config';
import { retentionConfig } from '../config/retention.config';
import { Metrics } from '../ops/metrics.service';

/** Often enough that a round has little to do; storage is flat at the retention plus this. */
export const RETENTION_INTERVAL_MS = 5 * 60_000;
/** Rows per delete: each batch is its own short transaction, so locks are held for moments. */
export const RETENTION_BATCH = 1_000;

export interface PruneRule {
  /** The table whose rows this rule deletes, as logs and metrics name it too. */
  table: string;
  /** The columns that identify a row. */
  key: string[];
  /** The time a row ages from. */
  agedFrom: string;
  /** Which rows may go at all, whatever their age: the rest are still needed. */
  only?: string;
  /** Rows of another table that belong to each pruned row and go with it: that table and its column naming our key. */
  dependents?: { table: string; column: string };
  /** Which setting ages them: PROCESSED_RETENTION or HISTORY_RETENTION. */
  retention: 'processed' | 'history';
}

/**
 * One batch of a rule: at most $2 rows older than $1 ms by the database's clock, claimed
 * with FOR UPDATE SKIP LOCKED, so processes pruning at the same time take different rows
 * and never wait on each other or on the hot path.
 */
function batchOf(rule: PruneRule): Statement {
  const key = rule.key.join(', ');
  const dependents = rule.dependents
    ? `, dependents AS (DELETE FROM ${rule.dependents.table} WHERE ${rule.dependents.column} IN (SELECT ${key} FROM aged))`
    : '';
  return new Statement(
    `prune ${rule.table}`,
    `WITH aged AS (
       SELECT ${key} FROM ${rule.table}
        WHERE ${rule.agedFrom} < now() - $1 * interval '1 millisecond'${rule.only ? ` AND ${rule.only}` : ''}
        ORDER BY ${rule.agedFrom} LIMIT $2
          FOR UPDATE SKIP LOCKED)${dependents}
     DELETE FROM ${rule.table} WHERE (${key}) IN (SELECT ${key} FROM aged) RETURNING 1`,
  );
}

/**
 * Keeps storage flat (G10). Each module knows which of its rows are history and which are
 * still needed, so it registers its own rule; this service only schedules them, in every
 * worker process, in small batches.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private readonly rules: { rule: PruneRule; batch: Statement }[] = [];
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
    this.rules.push({ rule, batch: batchOf(rule) });
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
    for (const { rule, batch } of this.rules) {
      try {
        await this.pruneAll(rule, batch);
      } catch (error) {
        // One table's trouble must not keep the others growing; the next round tries again.
        this.logger.warn(`pruning ${rule.table} failed: ${(error as Error).message}`);
      }
    }
  }

  /** Batch after batch until one comes back short: everything due is gone. */
  private async pruneAll(rule: PruneRule, batch: Statement): Promise<void> {
    const olderThanMs = rule.retention === 'processed' ? this.config.processedMs : this.config.historyMs;
    let total = 0;
    let pruned: number;
    do {
      pruned = await this.dataSource.transaction(async (manager) => {
        // Never wait long behind another lock (a migration, a VACUUM FULL): give up this round
        // rather than have the hot path queue up behind our waiting delete.
        await manager.query(`SET LOCAL lock_timeout = '2s'`);
        return (await batch.run(manager, [olderThanMs, RETENTION_BATCH])).length;
      });
      total += pruned;
      this.metrics.retentionPruned.inc({ table: rule.table }, pruned);
    } while (pruned === RETENTION_BATCH && !this.stopping);
    if (total > 0) this.logger.log(`pruned ${total} rows of ${rule.table}`);
  }
}
