import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import { Statement } from '../../database/sql';
import { pruneBatch as runPruneBatch, PrunedRow } from '../../retention/prune-batch';
import type { PrunedBatch } from '../../retention/retention.service';
import type { FailedMessageStatus } from './failed-message.entity';

// Kept by triggers as rows change (migrations/1795330100000-FailedMessageCounts.ts): a few rows,
// however many closed rows retention keeps. A connection's shard may go below zero; the sum does not.
const countByStatus = new Statement<{ status: FailedMessageStatus; count: number }>(
  'compensation count failed by status',
  `SELECT status, sum(count)::int AS count FROM failed_message_counts GROUP BY status`,
);

// Every failed attempt is in its row's `errors`, so a re-run's failure counts as well.
const failedAttemptBuckets = new Statement<{ at: Date; count: number }>(
  'compensation failed attempt buckets',
  `SELECT date_bin($1 * interval '1 millisecond', (attempt->>'at')::timestamptz, 'epoch') AS at, count(*)::int AS count
     FROM failed_messages, jsonb_array_elements(errors) AS attempt
    WHERE last_failed_at >= $2 AND (attempt->>'at')::timestamptz >= $2 GROUP BY 1`,
);

// Closed rows only (RESOLVED, DISCARDED), aged from their closing: FAILED and RETRYING rows
// are still needed. The audit trail has no foreign key to its row: it goes in the same statement.
// From where the round's last batch stopped ($3, `>=`: rows of the same instant are not skipped).
// The rows go by address (ctid), which the row lock keeps, rather than found again by id.
const pruneClosed = new Statement<PrunedRow>(
  'compensation prune failed messages',
  `WITH aged AS (
     SELECT id, ctid FROM failed_messages
      WHERE resolved_at < now() - $1 * interval '1 millisecond' AND status IN ('RESOLVED', 'DISCARDED')
        AND resolved_at >= coalesce($3::timestamptz, '-infinity')
      ORDER BY resolved_at LIMIT $2
        FOR UPDATE SKIP LOCKED),
   dependents AS (DELETE FROM failed_message_actions WHERE failed_message_id IN (SELECT id FROM aged)),
   pruned AS (DELETE FROM failed_messages WHERE ctid = ANY (ARRAY(SELECT ctid FROM aged)) RETURNING resolved_at)
   SELECT count(*)::int AS pruned, max(resolved_at)::text AS reached FROM pruned`,
);

/** What `failed_messages` says over time: counts for ops and metrics, and its retention. */
@Injectable()
export class FailedMessagesHistory {
  constructor(private readonly db: Db) {}

  async countByStatus(): Promise<Partial<Record<FailedMessageStatus, number>>> {
    return Object.fromEntries((await this.db.run(countByStatus)).map((row) => [row.status, row.count]));
  }

  /** Failed attempts since `since`, in buckets of `bucketMs` counted from the epoch; empty buckets are left out. */
  failedAttemptBuckets(bucketMs: number, since: Date): Promise<{ at: Date; count: number }[]> {
    return this.db.run(failedAttemptBuckets, [bucketMs, since]);
  }

  /**
   * Deletes up to `limit` closed rows closed over `olderThanMs` ago, oldest first from `from`,
   * with their actions, in a short transaction of its own; answers how many went and where it stopped.
   */
  pruneBatch(olderThanMs: number, limit: number, from?: string): Promise<PrunedBatch> {
    return runPruneBatch(this.db, pruneClosed, olderThanMs, limit, from);
  }
}
