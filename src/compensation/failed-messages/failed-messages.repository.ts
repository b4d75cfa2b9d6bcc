import type { AttemptError } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { Db, Queryable } from '../../database/db';
import { Statement } from '../../database/sql';
import type { FailedMessageActionKind } from './failed-message-action.entity';
import type { FailedMessageStatus } from './failed-message.entity';
import type { FailureGroup } from './failure-group';

/** A failure as it is first recorded, or recorded again for the same (handler, message). */
export interface FailureRow {
  id: string;
  handler: string;
  messageId: string;
  routingKey: string | null;
  orderId: string | null;
  payload: string;
  headers: Record<string, unknown>;
  error: string;
  errors: AttemptError[];
  attempts: number;
  poison: boolean;
  failedAt: Date;
  nextSweepAt: Date | null;
  group: FailureGroup;
}

/** What settling a re-run's failure needs of its row, read under its lock. */
export interface RerunOutcomeState {
  status: FailedMessageStatus;
  handler: string;
  endpoint: string | null;
  attempts: number;
  sweepCount: number;
  poison: boolean;
}

/** A row back to FAILED after a re-run failed, one sweep round further along. */
export interface RerunFailure {
  sweepCount: number;
  attempts: number;
  error: string;
  attemptError: AttemptError;
  failedAt: Date;
  nextSweepAt: Date | null;
  /** The group of its new error. */
  group: FailureGroup;
}

// A discarded or resolved row stays so: the same message failing again changes nothing.
const record = new Statement(
  'compensation record failure',
  `INSERT INTO failed_messages
     (id, handler, queue, message_id, routing_key, payload, headers, error, errors, attempts, status, poison,
      sweep_count, first_failed_at, last_failed_at, next_sweep_at, order_id, fingerprint, endpoint, failure_group)
   VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, 'FAILED', $10, 0, $11, $11, $12, $13, $14, $15, $16)
   ON CONFLICT (handler, message_id) DO UPDATE SET
     status = 'FAILED',
     error = EXCLUDED.error,
     fingerprint = EXCLUDED.fingerprint,
     endpoint = EXCLUDED.endpoint,
     failure_group = EXCLUDED.failure_group,
     rerun_expires_at = NULL,
     errors = failed_messages.errors || EXCLUDED.errors,
     attempts = GREATEST(failed_messages.attempts, EXCLUDED.attempts),
     last_failed_at = EXCLUDED.last_failed_at,
     next_sweep_at = EXCLUDED.next_sweep_at
   WHERE failed_messages.status NOT IN ('DISCARDED', 'RESOLVED')`,
);

const queueOf = new Statement<{ queue: string }>('compensation failed message queue', `SELECT queue FROM failed_messages WHERE id = $1`);

const statusOf = new Statement<{ status: FailedMessageStatus }>('compensation failed message status', `SELECT status FROM failed_messages WHERE id = $1`);

const resolve = new Statement(
  'compensation resolve rerun',
  `UPDATE failed_messages SET status = 'RESOLVED', resolved_at = $2, next_sweep_at = NULL, rerun_expires_at = NULL
    WHERE id = $1 AND status IN ('RETRYING', 'FAILED')`,
);

const lockForRerunOutcome = new Statement<RerunOutcomeState>(
  'compensation lock for rerun outcome',
  `SELECT status, handler, endpoint, attempts, sweep_count AS "sweepCount", poison FROM failed_messages WHERE id = $1 FOR UPDATE`,
);

const markRerunFailed = new Statement(
  'compensation mark rerun failed',
  `UPDATE failed_messages SET status = 'FAILED', sweep_count = $2, attempts = $3, error = $4, errors = errors || $5::jsonb,
          last_failed_at = $6, next_sweep_at = $7, rerun_expires_at = NULL, fingerprint = $8, endpoint = $9, failure_group = $10
    WHERE id = $1`,
);

const lockForDiscard = new Statement<{ status: FailedMessageStatus }>(
  'compensation lock for discard',
  `SELECT status FROM failed_messages WHERE id = $1 FOR UPDATE`,
);

const discard = new Statement(
  'compensation discard',
  `WITH discarded AS (UPDATE failed_messages SET status = 'DISCARDED', discard_reason = $2, next_sweep_at = NULL, rerun_expires_at = NULL,
                              resolved_at = now()
                       WHERE id = $1 RETURNING id)
   INSERT INTO failed_message_actions (failed_message_id, action, actor, reason) SELECT id, 'discard', $3, $2 FROM discarded`,
);

// A re-run may have settled already (a service answers over the broker, a handler here
// in-process): a row it RESOLVED stays so, and so does one whose attempt count its failure
// has moved on. The action is recorded either way, at $6, when it was asked for: before the
// publish, so that it never reads as later than the re-run's outcome. The re-run has its
// lease ($5 ms): if it has not reported back by then, the sweeper makes the row FAILED again
// (returnLostReruns).
const markRerunning = new Statement(
  'compensation mark rerunning',
  `WITH marked AS (UPDATE failed_messages f SET status = 'RETRYING', next_sweep_at = NULL,
                          rerun_expires_at = now() + $5 * interval '1 millisecond'
                     FROM unnest($1::uuid[], $4::int[]) AS claimed (id, attempts)
                    WHERE f.id = claimed.id AND f.attempts = claimed.attempts AND f.status IN ('FAILED', 'RETRYING'))
   INSERT INTO failed_message_actions (failed_message_id, action, actor, at) SELECT id, $2, $3, $6::timestamptz FROM unnest($1::uuid[]) AS id`,
);

const clock = new Statement<{ now: Date }>('compensation clock', `SELECT clock_timestamp() AS now`);

/** The state changes of `failed_messages` and their audit trail (`failed_message_actions`). */
@Injectable()
export class FailedMessagesRepository {
  constructor(private readonly db: Db) {}

  async record(failure: FailureRow): Promise<void> {
    await this.db.run(record, [
      failure.id,
      failure.handler,
      failure.messageId,
      failure.routingKey,
      failure.payload,
      JSON.stringify(failure.headers),
      failure.error,
      JSON.stringify(failure.errors),
      failure.attempts,
      failure.poison,
      failure.failedAt,
      failure.nextSweepAt,
      failure.orderId,
      failure.group.fingerprint,
      failure.group.endpoint,
      failure.group.key,
    ]);
  }

  async queueOf(id: string): Promise<string | undefined> {
    return (await this.db.run(queueOf, [id]))[0]?.queue;
  }

  async statusOf(id: string): Promise<FailedMessageStatus | undefined> {
    return (await this.db.run(statusOf, [id]))[0]?.status;
  }

  /** RESOLVED at `resolvedAt`, from RETRYING or FAILED; a row in any other status is left as it is. */
  async resolve(id: string, resolvedAt: Date): Promise<void> {
    await this.db.run(resolve, [id, resolvedAt]);
  }

  /** Locks the row (FOR UPDATE) until `transaction` ends, answering what settling a re-run's failure needs. */
  async lockForRerunOutcome(id: string, transaction: Queryable): Promise<RerunOutcomeState | undefined> {
    return (await transaction.run(lockForRerunOutcome, [id]))[0];
  }

  async markRerunFailed(id: string, failure: RerunFailure, transaction: Queryable): Promise<void> {
    await transaction.run(markRerunFailed, [
      id,
      failure.sweepCount,
      failure.attempts,
      failure.error,
      JSON.stringify([failure.attemptError]),
      failure.failedAt,
      failure.nextSweepAt,
      failure.group.fingerprint,
      failure.group.endpoint,
      failure.group.key,
    ]);
  }

  /** Locks the row (FOR UPDATE) until `transaction` ends, answering its status; undefined when there is none. */
  async lockForDiscard(id: string, transaction: Queryable): Promise<FailedMessageStatus | undefined> {
    return (await transaction.run(lockForDiscard, [id]))[0]?.status;
  }

  /** DISCARDED, dated now (retention counts from it), with the operator's action. */
  async discard(id: string, reason: string, actor: string, transaction: Queryable): Promise<void> {
    await transaction.run(discard, [id, reason, actor]);
  }

  /**
   * RETRYING for the rows published again, each at the attempt count it was claimed with, and
   * the action of each, stamped `at` (the database's clock before the publish, `now()`); each
   * re-run has `leaseMs` to report back.
   */
  async markRerunning(rows: { id: string; attempts: number }[], action: FailedMessageActionKind, actor: string, leaseMs: number, at: Date): Promise<void> {
    await this.db.run(markRerunning, [rows.map((row) => row.id), action, actor, rows.map((row) => row.attempts), Math.ceil(leaseMs), at]);
  }

  /** The database's clock, the one that stamps the actions: the app's may differ. */
  async now(): Promise<Date> {
    return (await this.db.run(clock))[0].now;
  }
}
