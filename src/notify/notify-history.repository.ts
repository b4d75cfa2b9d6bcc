import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { Statement } from '../database/sql';
import { TimePartitions } from '../database/time-partitions';
import { pruneBatch, PrunedRow } from '../retention/prune-batch';
import type { PrunedBatch } from '../retention/retention.service';

// DELIVERED only: a PENDING or FAILED notification is still owed to its merchant, however old.
// From where the round's last batch stopped ($3, `>=`: rows of the same instant are not skipped).
// Deleted by address (ctid), which the row lock keeps: by `event_id`, a random UUID, each row
// was found again through the primary key, an index page read for nearly every row of a grown
// table (EXPLAIN ANALYZE, pages not yet in memory: 15.9 ms a batch of 250, 1.8 by address; 6.4
// and 1.2 once they were).
const pruneDeliveredNotifications = new Statement<PrunedRow>(
  'notify prune delivered notifications',
  `WITH aged AS (SELECT ctid FROM notifications
                  WHERE delivered_at < now() - $1 * interval '1 millisecond' AND state = 'DELIVERED'
                    AND delivered_at >= coalesce($3::timestamptz, '-infinity')
                  ORDER BY delivered_at LIMIT $2 FOR UPDATE SKIP LOCKED),
        pruned AS (DELETE FROM notifications WHERE ctid = ANY (ARRAY(SELECT ctid FROM aged)) RETURNING delivered_at)
   SELECT count(*)::int AS pruned, max(delivered_at)::text AS reached FROM pruned`,
);

/**
 * Notify's retention. The delivery log is partitioned by day of `attempted_at` and dropped a
 * day at a time; delivered notifications are pruned in batches, each deleting up to `limit`
 * rows aged over `olderThanMs` in a short transaction and answering how many went and where it stopped.
 */
@Injectable()
export class NotifyHistoryRepository {
  readonly deliveryPartitions: TimePartitions;

  constructor(private readonly db: Db) {
    this.deliveryPartitions = new TimePartitions(db, 'deliveries');
  }

  pruneDeliveredNotifications(olderThanMs: number, limit: number, from?: string): Promise<PrunedBatch> {
    return pruneBatch(this.db, pruneDeliveredNotifications, olderThanMs, limit, from);
  }
}
