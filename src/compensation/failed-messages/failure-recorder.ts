import { type ErrorReport, formatDuration, orderIdOf } from '@backstop/transport';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { compensationConfig } from '../../config/compensation.config';
import { Db } from '../../database/db';
import { FailedMessagesRepository } from './failed-messages.repository';
import { failureGroupOf } from './failure-group';
import { FailureListeners } from './failure-listeners';
import { nextSweepAt } from './sweep-schedule';

/** What a failure record is made of: a service's report, or one of backstop's own handlers' failures. */
export interface Failure extends Omit<ErrorReport, 'queue'> {
  /** The handler's queue, which is also its name. */
  handler: string;
  /** The last error, with a stack summary. */
  error: string;
  /** The URL (or origin) the failure was against, when the error says (see FailureDetail); groups failures by endpoint. */
  endpoint?: string | null;
}

/** The error a re-run whose lease ran out is recorded with. */
export class RerunLostError extends Error {
  readonly name = 'RerunLostError';
}

/** Writes and settles `failed_messages` rows; the only place their state changes outside ops. */
@Injectable()
export class FailureRecorder {
  constructor(
    private readonly db: Db,
    private readonly failedMessages: FailedMessagesRepository,
    @Inject(compensationConfig.KEY) private readonly config: ConfigType<typeof compensationConfig>,
    private readonly listeners: FailureListeners,
  ) {}

  /**
   * Records a message that used up its attempts (or is poison). The same message failing
   * again for the same handler updates its row; a discarded or resolved row stays so.
   */
  async record(failure: Failure): Promise<void> {
    const now = new Date();
    await this.failedMessages.record({
      id: randomUUID(),
      handler: failure.handler,
      messageId: failure.messageId,
      routingKey: failure.routingKey,
      // Kept beside the payload so a search by order reads an index, not every payload.
      orderId: orderIdOf(failure.payload),
      payload: failure.payload,
      headers: failure.headers,
      error: failure.error,
      errors: failure.errors,
      attempts: failure.attempts,
      poison: failure.poison,
      group: failureGroupOf(failure.handler, failure.error, failure.endpoint),
      failedAt: now,
      // Poison cannot succeed on a re-run: no sweeps, only ops may look at it.
      nextSweepAt: failure.poison ? null : nextSweepAt(now, 0, this.config.sweepScheduleMs),
    });
    // After the record: a listener's trouble never costs a failure its record (Listeners.tell never throws).
    await this.listeners.tell({
      handler: failure.handler,
      messageId: failure.messageId,
      error: failure.error,
      group: failureGroupOf(failure.handler, failure.error, failure.endpoint),
      poison: failure.poison,
    });
  }

  /** The queue a failed message belongs to, or undefined when there is no such row. */
  queueOf(id: string): Promise<string | undefined> {
    return this.failedMessages.queueOf(id);
  }

  /** Also from FAILED: the re-run's outcome may arrive before its publisher has marked the row RETRYING. */
  rerunSucceeded(id: string): Promise<void> {
    return this.failedMessages.resolve(id, new Date());
  }

  /**
   * Back to FAILED, one sweep round further along the schedule. Also from FAILED when the
   * attempt is past the row's count: the re-run's failure arrived before its publisher marked
   * the row RETRYING (which then leaves it alone, see FailedMessagesService.rerun). A
   * redelivered result of an attempt already counted changes nothing.
   */
  async rerunFailed(id: string, attempt: number, error: string, summary: string, endpoint?: string | null): Promise<void> {
    await this.db.transaction(async (transaction) => {
      const row = await this.failedMessages.lockForRerunOutcome(id, transaction);
      const early = row?.status === 'FAILED' && attempt > row.attempts;
      if (!row || (row.status !== 'RETRYING' && !early)) return;
      const now = new Date();
      const sweepCount = row.sweepCount + 1;
      await this.failedMessages.markRerunFailed(
        id,
        {
          sweepCount,
          attempts: Math.max(row.attempts, attempt),
          error,
          attemptError: { attempt, at: now.toISOString(), error: summary },
          failedAt: now,
          nextSweepAt: row.poison ? null : nextSweepAt(now, sweepCount, this.config.sweepScheduleMs),
          // Its group follows the new error; a failure that names no endpoint keeps the one the row had.
          group: failureGroupOf(row.handler, error, endpoint ?? row.endpoint),
        },
        transaction,
      );
    });
  }

  /**
   * A re-run that never reported back within its lease counts as a failed re-run, attempt
   * `attempt`: FAILED, one sweep round further along, and swept or retried again as any other.
   * A result that arrives after all is settled as usual: RESOLVED still resolves the row, and
   * a failure of this attempt is counted already.
   */
  rerunLost(id: string, attempt: number, leaseMs: number): Promise<void> {
    const error = new RerunLostError(`the re-run never reported back within ${formatDuration(leaseMs)}`);
    return this.rerunFailed(id, attempt, `${error.name}: ${error.message}`, `${error.name}: ${error.message}`);
  }
}
