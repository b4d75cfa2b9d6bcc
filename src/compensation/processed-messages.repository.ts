import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { Bound, Statement } from '../database/sql';

const markProcessed = new Statement<{ message_id: string }>(
  'compensation mark processed',
  `INSERT INTO processed_messages (handler, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING message_id`,
);

const processedBuckets = new Statement<{ at: Date; count: number }>(
  'compensation processed buckets',
  `SELECT date_bin($1 * interval '1 millisecond', processed_at, 'epoch') AS at, count(*)::int AS count
     FROM processed_messages WHERE processed_at >= $2 GROUP BY 1`,
);

const pruneBatch = new Statement(
  'compensation prune processed messages',
  `DELETE FROM processed_messages
    WHERE (handler, message_id) IN (SELECT handler, message_id FROM processed_messages
                                      WHERE processed_at < now() - $1 * interval '1 millisecond'
                                      ORDER BY processed_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING 1`,
);

// Never wait long behind another lock (a migration, a VACUUM FULL): give up this round rather
// than have the hot path queue up behind our waiting delete.
const shortLockWait = new Statement('compensation processed messages prune lock wait', `SET LOCAL lock_timeout = '2s'`);

/** The idempotency markers of handler runs: (handler queue, message id), one per message a handler processed. */
@Injectable()
export class ProcessedMessagesRepository {
  constructor(private readonly db: Db) {}

  /**
   * Marks the message processed by `handler`, to be sent with a handler transaction's BEGIN:
   * it answers the row when this run is the first, none when the message was done before.
   */
  markProcessed(handler: string, messageId: string): Bound<{ message_id: string }> {
    return markProcessed.bind([handler, messageId]);
  }

  /** Messages processed since `since`, in buckets of `bucketMs` counted from the epoch; empty buckets are left out. */
  processedBuckets(bucketMs: number, since: Date): Promise<{ at: Date; count: number }[]> {
    return this.db.run(processedBuckets, [bucketMs, since]);
  }

  /** Deletes up to `limit` markers made over `olderThanMs` ago, in a short transaction of its own; answers how many went. */
  pruneBatch(olderThanMs: number, limit: number): Promise<number> {
    return this.db.transaction(async (transaction) => (await transaction.run(pruneBatch, [olderThanMs, limit])).length, shortLockWait.bind([]));
  }
}
