import type { ErrorReport } from '@backstop/transport';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import { compensationConfig } from '../../config/compensation.config';
import { FailedMessage } from './failed-message.entity';
import { nextSweepAt } from './sweep-schedule';

/** What a failure record is made of: a service's report, or one of backstop's own handlers' failures. */
export interface Failure extends Omit<ErrorReport, 'queue'> {
  /** The handler's queue, which is also its name. */
  handler: string;
  /** The last error, with a stack summary. */
  error: string;
}

/** Writes and settles `failed_messages` rows; the only place their state changes outside ops. */
@Injectable()
export class FailureRecorder {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(compensationConfig.KEY) private readonly config: ConfigType<typeof compensationConfig>,
  ) {}

  /**
   * Records a message that used up its attempts (or is poison). The same message failing
   * again for the same handler updates its row; a discarded or resolved row stays so.
   */
  async record(failure: Failure): Promise<void> {
    const now = new Date();
    // Poison cannot succeed on a re-run: no sweeps, only ops may look at it.
    const sweepAt = failure.poison ? null : nextSweepAt(now, 0, this.config.sweepScheduleMs);
    await this.dataSource.query(
      `INSERT INTO failed_messages
         (id, handler, queue, message_id, routing_key, payload, headers, error, errors, attempts, status, poison,
          sweep_count, first_failed_at, last_failed_at, next_sweep_at)
       VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, 'FAILED', $10, 0, $11, $11, $12)
       ON CONFLICT (handler, message_id) DO UPDATE SET
         status = 'FAILED',
         error = EXCLUDED.error,
         errors = failed_messages.errors || EXCLUDED.errors,
         attempts = GREATEST(failed_messages.attempts, EXCLUDED.attempts),
         last_failed_at = EXCLUDED.last_failed_at,
         next_sweep_at = EXCLUDED.next_sweep_at
       WHERE failed_messages.status NOT IN ('DISCARDED', 'RESOLVED')`,
      [
        randomUUID(),
        failure.handler,
        failure.messageId,
        failure.routingKey,
        failure.payload,
        JSON.stringify(failure.headers),
        failure.error,
        JSON.stringify(failure.errors),
        failure.attempts,
        failure.poison,
        now,
        sweepAt,
      ],
    );
  }

  /** The queue a failed message belongs to, or undefined when there is no such row. */
  async queueOf(id: string): Promise<string | undefined> {
    const row = await this.dataSource.manager.findOne(FailedMessage, { where: { id }, select: { queue: true } });
    return row?.queue;
  }

  /** Also from FAILED: the re-run's outcome may arrive before its publisher has marked the row RETRYING. */
  async rerunSucceeded(id: string): Promise<void> {
    await this.dataSource.manager.update(
      FailedMessage,
      { id, status: In(['RETRYING', 'FAILED']) },
      { status: 'RESOLVED', resolvedAt: new Date(), nextSweepAt: null },
    );
  }

  /**
   * Back to FAILED, one sweep round further along the schedule. Also from FAILED when the
   * attempt is past the row's count: the re-run's failure arrived before its publisher marked
   * the row RETRYING (which then leaves it alone, see FailedMessagesService.rerun). A
   * redelivered result of an attempt already counted changes nothing.
   */
  async rerunFailed(id: string, attempt: number, error: string, summary: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const row = await manager.findOne(FailedMessage, { where: { id }, lock: { mode: 'pessimistic_write' } });
      const early = row?.status === 'FAILED' && attempt > row.attempts;
      if (!row || (row.status !== 'RETRYING' && !early)) return;
      const now = new Date();
      const sweepCount = row.sweepCount + 1;
      await manager.update(FailedMessage, { id }, {
        status: 'FAILED',
        sweepCount,
        attempts: Math.max(row.attempts, attempt),
        error,
        errors: [...row.errors, { attempt, at: now.toISOString(), error: summary }],
        lastFailedAt: now,
        nextSweepAt: row.poison ? null : nextSweepAt(now, sweepCount, this.config.sweepScheduleMs),
      });
    });
  }
}
