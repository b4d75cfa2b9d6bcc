import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { Statement } from '../database/sql';
import { TimePartitions } from '../database/time-partitions';

// DELIVERED only: a PENDING or FAILED notification is still owed to its merchant, however old.
const pruneDeliveredNotifications = new Statement(
  'notify prune delivered notifications',
  `DELETE FROM notifications
    WHERE event_id IN (SELECT event_id FROM notifications
                        WHERE delivered_at < now() - $1 * interval '1 millisecond' AND state = 'DELIVERED'
                        ORDER BY delivered_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING 1`,
);

// Never wait long behind another lock (a migration, a VACUUM FULL): give up this round rather
// than have the hot path queue up behind our waiting delete.
const shortLockWait = new Statement('notify prune lock wait', `SET LOCAL lock_timeout = '2s'`);

/**
 * Notify's retention. The delivery log is partitioned by day of `attempted_at` and dropped a
 * day at a time; delivered notifications are pruned in batches, each deleting up to `limit`
 * rows aged over `olderThanMs` in a short transaction and answering how many went.
 */
@Injectable()
export class NotifyHistoryRepository {
  readonly deliveryPartitions: TimePartitions;

  constructor(private readonly db: Db) {
    this.deliveryPartitions = new TimePartitions(db, 'deliveries');
  }

  pruneDeliveredNotifications(olderThanMs: number, limit: number): Promise<number> {
    return this.pruneBatch(pruneDeliveredNotifications, olderThanMs, limit);
  }

  private pruneBatch(statement: Statement, olderThanMs: number, limit: number): Promise<number> {
    return this.db.transaction(async (transaction) => (await transaction.run(statement, [olderThanMs, limit])).length, [shortLockWait.bind([])]);
  }
}
